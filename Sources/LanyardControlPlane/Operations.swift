import AlibabaCloudSigning
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where log lines go: one JSON object per line, by default on stderr.
public struct LogSink: Sendable {
    /// Receives one complete line (without the trailing newline).
    public let write: @Sendable (String) -> Void

    /// A sink calling `write` for each line.
    public init(_ write: @escaping @Sendable (String) -> Void) { self.write = write }

    /// Lines on standard error, each written with one `write(2)` so concurrent lines never interleave.
    public static let standardError = LogSink { line in
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// Discards every line.
    public static let discard = LogSink { _ in }
}

/// Structured operational logging. Callers must never pass a secret or a whole SecurityToken.
struct EventLog: Sendable {
    let sink: LogSink
    let now: @Sendable () -> Date

    /// Writes `{"time":...,"level":...,"msg":...,<fields>}`.
    func log(_ level: String, _ message: String, _ fields: [(String, any Sendable)] = []) {
        let precise = now().timeIntervalSince1970
        var pairs: [(String, any Sendable)] = [
            ("time", SigningTime.iso8601(Date(timeIntervalSince1970: precise))), ("level", level), ("msg", message),
        ]
        pairs.append(contentsOf: fields)
        sink.write(JSONText.object(pairs))
    }
}

/// The audit trail `<data>/audit.jsonl`: one JSON object per line for every credential issued and every
/// refused authentication or authorization, in the spirit of ActionTrail (who, what, which role and session,
/// until when, from where). Lines are appended with `O_APPEND`, one `write(2)` each.
final class AuditTrail: Sendable {
    private let descriptor: Mutex<Int32>
    private let now: @Sendable () -> Date

    /// Opens (creating, mode 0600) the trail for appending.
    init(path: String, now: @escaping @Sendable () -> Date) throws(ControlPlaneError) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ControlPlaneError(code: "DataDirectoryUnusable", message: "cannot open \(path): \(errnoText())")
        }
        self.descriptor = Mutex(descriptor)
        self.now = now
    }

    deinit { close() }

    /// Appends one event: `{"time":...,"event":...,<fields>}`.
    func record(_ event: String, _ fields: [(String, any Sendable)]) {
        var pairs: [(String, any Sendable)] = [("time", SigningTime.iso8601(now())), ("event", event)]
        pairs.append(contentsOf: fields)
        var bytes = Array(JSONText.object(pairs).utf8)
        bytes.append(10)
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        }
    }

    /// Closes the file; later records are dropped.
    func close() {
        descriptor.withLock { descriptor in
            if descriptor >= 0 { Glibc.close(descriptor) }
            descriptor = -1
        }
    }
}

/// Prometheus metrics of the RPC API: requests by action and code, latency histograms by action, and STS
/// sessions issued.
final class Metrics: Sendable {
    /// Histogram bucket upper bounds, in seconds.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
    /// Distinct action labels kept before further ones are counted as `other` (unknown actions are chosen by
    /// clients, so they must not grow the label set without bound).
    static let maximumActions = 200

    private struct Histogram {
        var counts = [UInt64](repeating: 0, count: Metrics.buckets.count)
        var count: UInt64 = 0
        var sum: Double = 0
    }

    private struct State {
        var requests: [String: [String: UInt64]] = [:]  // action -> code -> count
        var latency: [String: Histogram] = [:]
        var sessionsIssued: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Counts one finished request.
    func observe(action: String, code: String, seconds: Double) {
        state.withLock { state in
            var label = action
            if state.requests[label] == nil && state.requests.count >= Self.maximumActions { label = "other" }
            state.requests[label, default: [:]][code, default: 0] += 1
            var histogram = state.latency[label] ?? Histogram()
            if let bucket = Self.buckets.firstIndex(where: { seconds <= $0 }) { histogram.counts[bucket] += 1 }
            histogram.count += 1
            histogram.sum += seconds
            state.latency[label] = histogram
        }
    }

    /// Counts one STS session issued (AssumeRole or a session minted for a pod).
    func sessionIssued() {
        state.withLock { $0.sessionsIssued += 1 }
    }

    /// The Prometheus text exposition (format 0.0.4).
    func render() -> String {
        let snapshot = state.withLock { $0 }
        var out = "# HELP lanyard_rpc_requests_total RPC API requests by action and result code.\n"
        out += "# TYPE lanyard_rpc_requests_total counter\n"
        for action in snapshot.requests.keys.sorted() {
            for (code, count) in snapshot.requests[action, default: [:]].sorted(by: { $0.key < $1.key }) {
                out += "lanyard_rpc_requests_total{action=\"\(Self.escape(action))\",code=\"\(Self.escape(code))\"} \(count)\n"
            }
        }
        out += "# HELP lanyard_rpc_request_duration_seconds RPC API request latency by action.\n"
        out += "# TYPE lanyard_rpc_request_duration_seconds histogram\n"
        for action in snapshot.latency.keys.sorted() {
            guard let histogram = snapshot.latency[action] else { continue }
            let label = "action=\"\(Self.escape(action))\""
            var cumulative: UInt64 = 0
            for (index, bound) in Self.buckets.enumerated() {
                cumulative += histogram.counts[index]
                out += "lanyard_rpc_request_duration_seconds_bucket{\(label),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "lanyard_rpc_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.count)\n"
            out += "lanyard_rpc_request_duration_seconds_sum{\(label)} \(histogram.sum)\n"
            out += "lanyard_rpc_request_duration_seconds_count{\(label)} \(histogram.count)\n"
        }
        out += "# HELP lanyard_sts_sessions_issued_total STS role sessions issued.\n"
        out += "# TYPE lanyard_sts_sessions_issued_total counter\n"
        out += "lanyard_sts_sessions_issued_total \(snapshot.sessionsIssued)\n"
        return out
    }

    private static func escape(_ label: String) -> String {
        var out = ""
        for character in label {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}

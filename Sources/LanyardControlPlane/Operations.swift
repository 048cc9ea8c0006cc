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

    /// Lines on standard error. The calling thread only copies its line into a buffer; a writer thread writes
    /// what has gathered shortly after (about 2 ms) with one `write(2)`, so lines never interleave or split and
    /// a busy server pays one system call per batch rather than per request. Buffered lines are written at
    /// exit.
    public static let standardError = LogSink { line in BatchedLineWriter.standardError.append(line) }

    /// Discards every line.
    public static let discard = LogSink { _ in }
}

/// Appends lines to a descriptor in batches (see ``LogSink/standardError``). Past `limit` buffered bytes the
/// appending thread writes them itself, so a stalled descriptor slows its writers instead of growing memory.
final class BatchedLineWriter: Sendable {
    /// The writer of standard error, flushed at exit.
    static let standardError: BatchedLineWriter = {
        let writer = BatchedLineWriter(descriptor: 2)
        atexit { BatchedLineWriter.standardError.flush() }
        return writer
    }()

    private struct Pending {
        var bytes: [UInt8] = []
        var scheduled = false
    }

    private static let gatherMicroseconds: useconds_t = 2000
    private static let limit = 1 << 20
    private let descriptor: Int32
    private let pending = Mutex(Pending())
    /// Held while writing, so batches reach the descriptor in the order they were taken.
    private let writing = Mutex(())
    private let wake = DispatchSemaphore(value: 0)

    /// A writer for a descriptor that stays open for the life of the process (its thread never ends).
    init(descriptor: Int32) {
        self.descriptor = descriptor
        let thread = Thread { [self] in
            while true {
                wake.wait()
                usleep(Self.gatherMicroseconds)
                flush()
            }
        }
        thread.name = "lanyard-log"
        thread.start()
    }

    /// Buffers `line` and a newline.
    func append(_ line: String) {
        let (schedule, full) = pending.withLock { pending in
            pending.bytes.append(contentsOf: line.utf8)
            pending.bytes.append(UInt8(ascii: "\n"))
            defer { pending.scheduled = true }
            return (!pending.scheduled, pending.bytes.count > Self.limit)
        }
        if full {
            flush()
        } else if schedule {
            wake.signal()
        }
    }

    /// Writes everything buffered now.
    func flush() {
        writing.withLock { _ in
            let bytes = pending.withLock { pending in
                pending.scheduled = false
                defer { pending.bytes = [] }
                return pending.bytes
            }
            bytes.withUnsafeBytes { buffer in
                var done = 0
                while done < buffer.count {
                    let n = Glibc.write(descriptor, buffer.baseAddress! + done, buffer.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return }
                    done += n
                }
            }
        }
    }
}

/// Structured operational logging. Callers must never pass a secret or a whole SecurityToken.
public struct EventLog: Sendable {
    let sink: LogSink
    let now: @Sendable () -> Date

    /// A log writing to `sink`, stamping lines with `now`.
    public init(sink: LogSink, now: @escaping @Sendable () -> Date = { Date() }) {
        self.sink = sink
        self.now = now
    }

    /// Writes `{"time":...,"level":...,"msg":...,<fields>}`.
    public func log(_ level: String, _ message: String, _ fields: [(String, any Sendable)] = []) {
        let precise = now().timeIntervalSince1970
        var pairs: [(String, any Sendable)] = [
            ("time", SigningTime.iso8601(Date(timeIntervalSince1970: precise))), ("level", level), ("msg", message),
        ]
        pairs.append(contentsOf: fields)
        sink.write(JSONText.object(pairs))
    }
}

/// One entry of the audit trail: who did what to which resource, with what outcome, from where. Never put a
/// secret or a whole SecurityToken in it (an AccessKeyId is fine).
public struct AuditEvent: Sendable {
    /// The kind of entry: `Refused` for a refusal, else what was issued (`AssumeRole`, `IssueRoleSession`, ...).
    public var event: String
    /// The product, lower case: `oss`, `sts`, `ram`, `eci`.
    public var service: String
    /// The action, e.g. `oss:GetObject` or `AssumeRole`.
    public var action: String
    /// The resource ARN acted on, when known.
    public var resource: String?
    /// The result code: the protocol's error code for a refusal, `OK` otherwise.
    public var code: String
    /// The HTTP status answered.
    public var status: Int
    /// The caller's ARN, when the request was authenticated.
    public var caller: String?
    /// The AccessKeyId the request was signed with, when it named one.
    public var accessKeyId: String?
    /// The client's IP address.
    public var sourceIp: String
    /// The RequestId answered to the client.
    public var requestId: String
    /// Further event-specific fields (e.g. `roleArn`, `expiration`), in order.
    public var details: [(String, String)]

    /// Creates an event.
    public init(
        event: String, service: String, action: String, resource: String? = nil, code: String, status: Int,
        caller: String? = nil, accessKeyId: String? = nil, sourceIp: String, requestId: String,
        details: [(String, String)] = []
    ) {
        self.event = event
        self.service = service
        self.action = action
        self.resource = resource
        self.code = code
        self.status = status
        self.caller = caller
        self.accessKeyId = accessKeyId
        self.sourceIp = sourceIp
        self.requestId = requestId
        self.details = details
    }

    /// The fields of the trail's line, after `time` and `event`.
    var fields: [(String, any Sendable)] {
        var fields: [(String, any Sendable)] = [
            ("requestId", requestId), ("service", service), ("action", action), ("code", code), ("status", status),
            ("sourceIp", sourceIp),
        ]
        if let resource { fields.append(("resource", resource)) }
        if let accessKeyId { fields.append(("accessKeyId", accessKeyId)) }
        if let caller { fields.append(("caller", caller)) }
        for (name, value) in details { fields.append((name, value)) }
        return fields
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

    /// Appends one structured event.
    func record(_ event: AuditEvent) {
        record(event.event, event.fields)
    }

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

/// A Prometheus latency histogram (cumulative buckets rendered in the text format).
public struct LatencyHistogram: Sendable {
    /// Bucket upper bounds, in seconds.
    public static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    private var counts = [UInt64](repeating: 0, count: LatencyHistogram.bounds.count)
    private(set) var count: UInt64 = 0
    private(set) var sum: Double = 0

    /// An empty histogram.
    public init() {}

    /// Counts one observation.
    public mutating func observe(_ seconds: Double) {
        if let bucket = Self.bounds.firstIndex(where: { seconds <= $0 }) { counts[bucket] += 1 }
        count += 1
        sum += seconds
    }

    /// The `_bucket`, `_sum` and `_count` lines of metric `name` with the label text `labels` (`a="b",...`).
    public func render(name: String, labels: String) -> String {
        let prefix = labels.isEmpty ? "" : labels + ","
        let plain = labels.isEmpty ? "" : "{\(labels)}"
        var out = ""
        var cumulative: UInt64 = 0
        for (index, bound) in Self.bounds.enumerated() {
            cumulative += counts[index]
            out += "\(name)_bucket{\(prefix)le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(count)\n"
        out += "\(name)_sum\(plain) \(sum)\n"
        out += "\(name)_count\(plain) \(count)\n"
        return out
    }

    /// A label value escaped for the text format.
    public static func escape(_ label: String) -> String {
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

/// Prometheus metrics of the RPC API: requests by action and code, latency histograms by action, and STS
/// sessions issued.
final class Metrics: Sendable {
    /// Distinct action labels kept before further ones are counted as `other` (unknown actions are chosen by
    /// clients, so they must not grow the label set without bound).
    static let maximumActions = 200

    private struct State {
        var requests: [String: [String: UInt64]] = [:]  // action -> code -> count
        var latency: [String: LatencyHistogram] = [:]
        var sessionsIssued: UInt64 = 0
        /// Other parts' metrics (the object service), appended to the exposition.
        var sources: [@Sendable () -> String] = []
    }

    private let state = Mutex(State())

    /// Counts one finished request.
    func observe(action: String, code: String, seconds: Double) {
        state.withLock { state in
            var label = action
            if state.requests[label] == nil && state.requests.count >= Self.maximumActions { label = "other" }
            state.requests[label, default: [:]][code, default: 0] += 1
            state.latency[label, default: LatencyHistogram()].observe(seconds)
        }
    }

    /// Counts one STS session issued (AssumeRole or a session minted for a pod).
    func sessionIssued() {
        state.withLock { $0.sessionsIssued += 1 }
    }

    /// Adds a source of further Prometheus text to the exposition.
    func add(source: @escaping @Sendable () -> String) {
        state.withLock { $0.sources.append(source) }
    }

    /// The Prometheus text exposition (format 0.0.4).
    func render() -> String {
        let snapshot = state.withLock { ($0.requests, $0.latency, $0.sessionsIssued, $0.sources) }
        let (requests, latency, sessionsIssued, sources) = snapshot
        var out = "# HELP lanyard_rpc_requests_total RPC API requests by action and result code.\n"
        out += "# TYPE lanyard_rpc_requests_total counter\n"
        for action in requests.keys.sorted() {
            for (code, count) in requests[action, default: [:]].sorted(by: { $0.key < $1.key }) {
                out += "lanyard_rpc_requests_total{action=\"\(LatencyHistogram.escape(action))\",code=\"\(LatencyHistogram.escape(code))\"} \(count)\n"
            }
        }
        out += "# HELP lanyard_rpc_request_duration_seconds RPC API request latency by action.\n"
        out += "# TYPE lanyard_rpc_request_duration_seconds histogram\n"
        for action in latency.keys.sorted() {
            guard let histogram = latency[action] else { continue }
            out += histogram.render(
                name: "lanyard_rpc_request_duration_seconds", labels: "action=\"\(LatencyHistogram.escape(action))\"")
        }
        out += "# HELP lanyard_sts_sessions_issued_total STS role sessions issued.\n"
        out += "# TYPE lanyard_sts_sessions_issued_total counter\n"
        out += "lanyard_sts_sessions_issued_total \(sessionsIssued)\n"
        for source in sources { out += source() }
        return out
    }
}

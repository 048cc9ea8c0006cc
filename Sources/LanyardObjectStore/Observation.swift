import Foundation
import LanyardControlPlane
import LanyardHTTP
import Synchronization

/// What becomes known about one OSS request while it is served, for its log line, the metrics and the audit
/// trail. Filled on the connection's thread (head, then body, then response); a lock keeps it Sendable.
final class RequestTrace: Sendable {
    struct State: Sendable {
        var operation: String?
        /// The RAM action and resource of a denied authorization.
        var denied: (action: String, resource: String)?
        var bucket: String?
        var key: String?
        var accessKeyId: String?
        var caller: String?
        var error: OSSError?
        var bytesIn: Int64 = 0
        var finished = false
    }

    let requestId: String
    let method: String
    let sourceIp: String
    let started: UInt64
    let state = Mutex(State())

    init(requestId: String, head: HTTPRequestHead) {
        self.requestId = requestId
        method = head.method
        sourceIp = head.remoteAddress
        started = DispatchTime.now().uptimeNanoseconds
    }

    func update(_ body: (inout State) -> Void) { state.withLock { body(&$0) } }
}

/// The object service's Prometheus metrics: requests by operation and code, latency by operation, bytes
/// received and sent.
final class OSSMetrics: Sendable {
    /// Distinct operation labels kept (operations are a fixed set plus `unknown`).
    private struct State {
        var requests: [String: [String: UInt64]] = [:]   // operation -> code -> count
        var latency: [String: LatencyHistogram] = [:]
        var bytesIn: UInt64 = 0
        var bytesOut: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Counts one finished request.
    func observe(operation: String, code: String, seconds: Double, bytesIn: Int64, bytesOut: Int64) {
        state.withLock { state in
            state.requests[operation, default: [:]][code, default: 0] += 1
            state.latency[operation, default: LatencyHistogram()].observe(seconds)
            state.bytesIn += UInt64(max(0, bytesIn))
            state.bytesOut += UInt64(max(0, bytesOut))
        }
    }

    /// The Prometheus text (format 0.0.4).
    func render() -> String {
        let snapshot = state.withLock { $0 }
        var out = "# HELP lanyard_oss_requests_total OSS requests by operation and result code.\n"
        out += "# TYPE lanyard_oss_requests_total counter\n"
        for operation in snapshot.requests.keys.sorted() {
            for (code, count) in snapshot.requests[operation, default: [:]].sorted(by: { $0.key < $1.key }) {
                out += "lanyard_oss_requests_total{operation=\"\(operation)\",code=\"\(LatencyHistogram.escape(code))\"} \(count)\n"
            }
        }
        // A histogram family is announced only with its samples (scrapers expect a +Inf bucket per family).
        if !snapshot.latency.isEmpty {
            out += "# HELP lanyard_oss_request_duration_seconds OSS request latency by operation (until the response is queued).\n"
            out += "# TYPE lanyard_oss_request_duration_seconds histogram\n"
        }
        for operation in snapshot.latency.keys.sorted() {
            guard let histogram = snapshot.latency[operation] else { continue }
            out += histogram.render(name: "lanyard_oss_request_duration_seconds", labels: "operation=\"\(operation)\"")
        }
        out += "# HELP lanyard_oss_received_bytes_total OSS request body bytes received.\n"
        out += "# TYPE lanyard_oss_received_bytes_total counter\n"
        out += "lanyard_oss_received_bytes_total \(snapshot.bytesIn)\n"
        out += "# HELP lanyard_oss_sent_bytes_total OSS response body bytes sent.\n"
        out += "# TYPE lanyard_oss_sent_bytes_total counter\n"
        out += "lanyard_oss_sent_bytes_total \(snapshot.bytesOut)\n"
        return out
    }
}

/// Passes a streamed body to the real sink, counting its bytes; finishes the trace with the sink's response.
final class TracingSink: HTTPBodySink {
    private let sink: any HTTPBodySink
    private let trace: RequestTrace
    private let service: ObjectService

    init(_ sink: any HTTPBodySink, trace: RequestTrace, service: ObjectService) {
        self.sink = sink
        self.trace = trace
        self.service = service
    }

    func write(_ chunk: UnsafeRawBufferPointer) -> HTTPResponse? {
        trace.update { $0.bytesIn += Int64(chunk.count) }
        guard let early = sink.write(chunk) else { return nil }
        return service.finish(trace, early)
    }

    func finish() -> HTTPResponse { service.finish(trace, sink.finish()) }

    func abort() {
        sink.abort()
        service.finish(trace, status: 0, code: "ClientClosed", bytesOut: 0)
    }
}

extension ObjectService {
    /// OSS refusals recorded in the audit trail: failed authentication and denied access.
    static let refusalCodes: Set<String> = [
        "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidSecurityToken", "SecurityTokenExpired",
        "AccessKeyIdAndSecurityTokenNotMatch", "MissingSecurityToken", "RequestTimeTooSkewed",
    ]

    /// Wraps a disposition so the request is logged, counted and (when refused) audited once its response is known.
    func observe(_ disposition: HTTPBodyDisposition, _ trace: RequestTrace) -> HTTPBodyDisposition {
        switch disposition {
        case .respond(let response):
            return .respond(finish(trace, response))
        case .collect(let limit, let then):
            return .collect(limit: limit) { [self] request in
                trace.update { $0.bytesIn = Int64(request.body.count) }
                return finish(trace, then(request))
            }
        case .collectThenReply(let limit, let then):
            return .collectThenReply(limit: limit) { [self] request in
                trace.update { $0.bytesIn = Int64(request.body.count) }
                switch then(request) {
                case .now(let response): return .now(finish(trace, response))
                case .blocking(let work): return .blocking { [self] presence in finish(trace, work(presence)) }
                }
            }
        case .stream(let sink):
            return .stream(TracingSink(sink, trace: trace, service: self))
        }
    }

    /// Finishes the trace with `response`, which it returns unchanged.
    @discardableResult
    func finish(_ trace: RequestTrace, _ response: HTTPResponse) -> HTTPResponse {
        let code = trace.state.withLock { $0.error?.code } ?? (response.status < 400 ? "OK" : String(response.status))
        let bytesOut: Int64
        switch response.body {
        case .empty: bytesOut = 0
        case .bytes(let bytes): bytesOut = Int64(bytes.count)
        case .file(_, _, let length): bytesOut = length
        case .stream(let length, _): bytesOut = length ?? 0
        }
        finish(trace, status: response.status, code: code, bytesOut: trace.method == "HEAD" ? 0 : bytesOut)
        return response
    }

    /// Logs, counts and audits a request once (later calls for the same trace do nothing).
    func finish(_ trace: RequestTrace, status: Int, code: String, bytesOut: Int64) {
        let state: RequestTrace.State? = trace.state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            return state
        }
        guard let state else { return }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - trace.started) / 1e9
        let operation = state.operation ?? "unknown"
        metrics.observe(operation: operation, code: code, seconds: seconds, bytesIn: state.bytesIn, bytesOut: bytesOut)
        if configuration.logRequests {
            // Keys can be sensitive: the line names the bucket and the operation, never the key.
            var fields: [(String, any Sendable)] = [
                ("requestId", trace.requestId), ("method", trace.method), ("operation", operation),
                ("bucket", state.bucket ?? ""), ("status", status), ("code", code),
                ("latencyMs", (seconds * 1e6).rounded() / 1e3), ("bytesIn", state.bytesIn), ("bytesOut", bytesOut),
                ("sourceIp", trace.sourceIp),
            ]
            if let accessKeyId = state.accessKeyId { fields.append(("accessKeyId", accessKeyId)) }
            if let caller = state.caller { fields.append(("caller", caller)) }
            log.log(status >= 500 ? "error" : "info", "oss request", fields)
        }
        guard let error = state.error, Self.refusalCodes.contains(error.code) else { return }
        let resource = state.denied?.resource ?? state.bucket.map {
            OSSAuthorizationMapping.resource(account: authority.accountId, bucket: $0, key: state.key)
        }
        authority.audit(
            AuditEvent(
                event: "Refused", service: "oss",
                action: state.denied?.action ?? state.operation.map { "oss:\($0)" } ?? "oss:unknown",
                resource: resource, code: error.code, status: error.status, caller: state.caller,
                accessKeyId: state.accessKeyId, sourceIp: trace.sourceIp, requestId: trace.requestId,
                details: [("method", trace.method)]))
    }

    /// A body over a `collect` limit (the XML bodies of bucket, delete and multipart requests): the OSS XML
    /// error, logged like any other request.
    public func limitExceeded(_ limit: HTTPLimit, head: HTTPRequestHead) -> HTTPResponse {
        let trace = RequestTrace(requestId: nextRequestId(), head: head)
        let maximum: Int
        switch limit {
        case .body(let bytes): maximum = bytes
        }
        let error = OSSError(
            status: 400, code: "EntityTooLarge",
            message: "Your proposed upload exceeds the maximum allowed size of this request (\(maximum) bytes).")
        return finish(trace, errorResponse(error, trace: trace, head: head))
    }
}

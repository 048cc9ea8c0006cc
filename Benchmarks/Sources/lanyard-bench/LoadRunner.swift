import Foundation
import Synchronization

/// One prepared request: its head (request line and headers) and a body, usually shared between requests.
struct PreparedRequest: Sendable {
    var head: [UInt8]
    var body: [UInt8]

    /// Builds a request with `Host`, `Content-Length` (when there is a body or the method sends one) and
    /// the given extra headers.
    init(method: String, target: String, host: String, headers: [(String, String)] = [], body: [UInt8] = []) {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "PUT" || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        self.head = Array(text.utf8)
        self.body = body
    }
}

/// What a closed-loop run is asked to do: `connections` clients, each sending its next request as soon as
/// the previous response has arrived, until `seconds` have passed or `maxRequests` have been sent.
struct LoadPlan: Sendable {
    var host: String
    var port: Int
    var connections: Int
    var seconds: Double
    var maxRequests: Int
    /// Request number `i` (0-based, global across connections).
    var request: @Sendable (Int) -> PreparedRequest
}

/// The outcome of a run, printed as one JSON object.
struct LoadResult: Encodable {
    var requests: Int
    var seconds: Double
    var requestsPerSecond: Double
    var bytesPerSecond: Double
    var p50Milliseconds: Double
    var p90Milliseconds: Double
    var p99Milliseconds: Double
    var maxMilliseconds: Double
    var statuses: [String: Int]
    var reconnects: Int
    var failures: Int
    var firstFailure: String?
}

/// Runs a closed-loop load: one thread per connection, blocking I/O, latencies recorded per request.
enum LoadRunner {
    private final class Shared: Sendable {
        let next = Atomic<Int>(0)
        let results = Mutex<[WorkerResult]>([])
    }

    private struct WorkerResult: Sendable {
        var latencies: [Int64] = []   // nanoseconds
        var bytes = 0
        var statuses: [Int: Int] = [:]
        var reconnects = 0
        var failures = 0
        var firstFailure: String?
    }

    static func run(_ plan: LoadPlan) -> LoadResult {
        let shared = Shared()
        let begin = monotonicNanoseconds()
        let deadline = begin + Int64(plan.seconds * 1e9)
        let group = DispatchGroup()
        for _ in 0..<plan.connections {
            group.enter()
            let thread = Thread {
                let result = worker(plan, shared: shared, deadline: deadline)
                shared.results.withLock { $0.append(result) }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        let elapsed = Double(monotonicNanoseconds() - begin) / 1e9
        return summarize(shared.results.withLock { $0 }, elapsed: elapsed)
    }

    private static func worker(_ plan: LoadPlan, shared: Shared, deadline: Int64) -> WorkerResult {
        var result = WorkerResult()
        result.latencies.reserveCapacity(min(plan.maxRequests / max(plan.connections, 1) + 1, 1 << 22))
        var connection: HTTPConnection?
        while monotonicNanoseconds() < deadline {
            let index = shared.next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < plan.maxRequests else { break }
            let request = plan.request(index)
            let started = monotonicNanoseconds()
            do throws(ConnectionError) {
                if connection == nil {
                    connection = try HTTPConnection(host: plan.host, port: plan.port)
                    result.reconnects += 1
                }
                try connection!.send(head: request.head, body: request.body)
                let response = try connection!.readResponse(keepBody: false)
                result.latencies.append(monotonicNanoseconds() - started)
                result.bytes += response.bodyBytes
                result.statuses[response.status, default: 0] += 1
                if !response.keepAlive { connection = nil }
            } catch {
                connection = nil
                result.failures += 1
                if result.firstFailure == nil { result.firstFailure = error.description }
                if result.failures > 100 && result.latencies.isEmpty { break }   // the server is not there
            }
        }
        result.reconnects = max(result.reconnects - 1, 0)   // the first connect is not a reconnect
        return result
    }

    private static func summarize(_ workers: [WorkerResult], elapsed: Double) -> LoadResult {
        var latencies = workers.flatMap(\.latencies)
        latencies.sort()
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let rank = min(Int((p * Double(latencies.count)).rounded(.up)) - 1, latencies.count - 1)
            return Double(latencies[max(rank, 0)]) / 1e6
        }
        var statuses: [String: Int] = [:]
        for worker in workers { for (status, count) in worker.statuses { statuses[String(status), default: 0] += count } }
        let bytes = workers.reduce(0) { $0 + $1.bytes }
        return LoadResult(
            requests: latencies.count, seconds: elapsed,
            requestsPerSecond: Double(latencies.count) / elapsed, bytesPerSecond: Double(bytes) / elapsed,
            p50Milliseconds: percentile(0.50), p90Milliseconds: percentile(0.90), p99Milliseconds: percentile(0.99),
            maxMilliseconds: latencies.last.map { Double($0) / 1e6 } ?? 0, statuses: statuses,
            reconnects: workers.reduce(0) { $0 + $1.reconnects }, failures: workers.reduce(0) { $0 + $1.failures },
            firstFailure: workers.compactMap(\.firstFailure).first)
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

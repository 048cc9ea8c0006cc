// lanyard-bench-credentials: what the SDK's credential cache costs and saves.
//
// Against a loopback metadata server (never 100.100.100.200), it measures, in one run:
//   - a cached call: `credentials()` on the ECS RAM role provider once its credentials are cached;
//   - the alternative without a cache: `fetchCredentials()`, one hardened-mode token PUT and one GET;
//   - the stampede at expiry: the provider's clock jumps past the Expiration and 1,000 tasks ask at once;
//     it counts the credential GETs the metadata server saw (the SDK's promise: exactly one).
// Prints one JSON object.

import AlibabaCloudCredentials
import AlibabaCloudTestSupport
import Foundation
import Synchronization

let cachedCalls = Int(ProcessInfo.processInfo.environment["BENCH_CACHED_CALLS"] ?? "") ?? 200_000
let uncachedCalls = Int(ProcessInfo.processInfo.environment["BENCH_UNCACHED_CALLS"] ?? "") ?? 2_000
let concurrentCallers = 1_000

let issued = Atomic<Int>(0)
let credentialGets = Atomic<Int>(0)
let lifetime: TimeInterval = 6 * 3600
let serverClock = ManualClock(Date())

let server = try TestHTTPServer { request in
    switch (request.method, request.path) {
    case ("PUT", "/latest/api/token"):
        return .text(200, "token")
    case ("GET", "/latest/meta-data/ram/security-credentials/bench"):
        credentialGets.add(1, ordering: .relaxed)
        let n = issued.add(1, ordering: .relaxed).newValue
        let now = serverClock.now
        let formatter = ISO8601DateFormatter()
        return .json(
            200,
            """
            {"AccessKeyId":"STS.bench\(n)","AccessKeySecret":"secret","SecurityToken":"token\(n)",\
            "Expiration":"\(formatter.string(from: now.addingTimeInterval(lifetime)))",\
            "LastUpdated":"\(formatter.string(from: now))","Code":"Success"}
            """)
    default:
        return .text(404, "not found")
    }
}
defer { server.shutdown() }

/// The provider's clock, which the stampede moves past the credentials' expiry.
let providerClock = ManualClock(Date())
let provider = try ECSRAMRoleCredentialsProvider(
    roleName: "bench", metadataURL: server.baseURL,
    clock: CredentialsClock(now: { providerClock.now }), environment: [:])

/// Times `body` on the global executor: top-level code runs on the main actor, and awaiting from there
/// would add two thread hops to every call.
func seconds(_ body: @escaping @Sendable () async throws -> Void) async throws -> Double {
    try await Task.detached {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }.value
}

_ = try await provider.credentials()  // warm: the first fetch fills the cache
let cached = try await seconds {
    for _ in 0..<cachedCalls { _ = try await provider.credentials() }
}
let uncached = try await seconds {
    for _ in 0..<uncachedCalls { _ = try await provider.fetchCredentials() }
}

// The stampede: every cached credential has expired; 1,000 callers arrive together.
serverClock.advance(lifetime + 60)
providerClock.advance(lifetime + 60)
let before = credentialGets.load(ordering: .relaxed)
let distinctKeys = try await withThrowingTaskGroup(of: String.self) { group in
    for _ in 0..<concurrentCallers { group.addTask { try await provider.credentials().accessKeyId } }
    var keys = Set<String>()
    for try await key in group { keys.insert(key) }
    return keys.count
}
let stampedeGets = credentialGets.load(ordering: .relaxed) - before

let cachedNs = cached / Double(cachedCalls) * 1e9
let uncachedNs = uncached / Double(uncachedCalls) * 1e9
let result: [String: Any] = [
    "cachedCallNs": cachedNs, "uncachedFetchNs": uncachedNs, "uncachedOverCached": uncachedNs / cachedNs,
    "concurrentCallers": concurrentCallers, "metadataGetsAtExpiry": stampedeGets, "distinctKeysAtExpiry": distinctKeys,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))

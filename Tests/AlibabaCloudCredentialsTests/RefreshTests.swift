import AlibabaCloudTestSupport
import Foundation
import Testing

@testable import AlibabaCloudCredentials

/// A source that counts fetches and answers from a script; optionally slow, so callers pile up.
final class ScriptedSource: CredentialsProvider {
    let fetches = Box(0)
    let script: @Sendable (Int) throws -> Credentials
    let delayNanoseconds: UInt64

    init(delayNanoseconds: UInt64 = 0, _ script: @escaping @Sendable (Int) throws -> Credentials) {
        self.script = script
        self.delayNanoseconds = delayNanoseconds
    }

    func credentials() async throws -> Credentials {
        let n = fetches.with { count in
            count += 1
            return count
        }
        if delayNanoseconds > 0 { try await Task.sleep(nanoseconds: delayNanoseconds) }
        return try script(n)
    }
}

func sts(_ n: Int, expiring expiration: Date?) -> Credentials {
    Credentials(
        accessKeyId: "STS.key-\(n)", accessKeySecret: "secret-\(n)", securityToken: "token-\(n)",
        expiration: expiration, providerName: "scripted")
}

/// Calls `body` until it returns true, yielding between tries; fails the test after many tries.
func eventually(_ what: Comment, _ body: () async throws -> Bool) async rethrows {
    for _ in 0..<2000 {
        if try await body() { return }
        try? await Task.sleep(nanoseconds: 5_000_000)
    }
    Issue.record("never happened: \(what)")
}

let testPolicy = RefreshPolicy(
    refreshWindow: 15 * 60, prefetchInterval: 60 * 60, expiryMargin: 0, initialBackoff: 10, maximumBackoff: 80,
    jitter: 0)

@Suite("Refresh rules (pure)")
struct RefreshStateTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test(
        "next refresh time",
        arguments: [
            // lifetime, prefetch interval, expected delay until the refresh is due
            (6.0 * 3600, Optional(3600.0), 3600.0),  // the hourly prefetch comes first
            (6.0 * 3600, nil, 6.0 * 3600 - 900),  // 15 minutes before expiry
            (15.0 * 60, Optional(3600.0), 7.5 * 60),  // short-lived: half the lifetime, not at once
            (3.0 * 60, nil, 90.0),
        ] as [(TimeInterval, TimeInterval?, TimeInterval)])
    func nextRefresh(lifetime: TimeInterval, prefetch: TimeInterval?, expected: TimeInterval) {
        var policy = testPolicy
        policy.prefetchInterval = prefetch
        let due = RefreshState.nextRefresh(for: sts(1, expiring: Self.now + lifetime), at: Self.now, policy: policy)
        #expect(due.timeIntervalSince(Self.now) == expected)
    }

    @Test func nonExpiringCredentialsAreNeverRefreshed() {
        #expect(RefreshState.nextRefresh(for: sts(1, expiring: nil), at: Self.now, policy: testPolicy) == .distantFuture)
    }

    @Test func backoffDoublesUpToTheMaximumAndResetsOnSuccess() throws {
        var state = RefreshState()
        var delays: [TimeInterval] = []
        for _ in 0..<5 {
            state.recordFailure(at: Self.now, policy: testPolicy, jitterSample: 0)
            delays.append(state.refreshAt.timeIntervalSince(Self.now))
        }
        #expect(delays == [10, 20, 40, 80, 80])
        _ = try state.recordSuccess(sts(1, expiring: Self.now + 3600), at: Self.now, policy: testPolicy)
        #expect(state.consecutiveFailures == 0)
        state.recordFailure(at: Self.now, policy: testPolicy, jitterSample: 1)
        #expect(state.refreshAt.timeIntervalSince(Self.now) == 10)  // jitter 0 in this policy
    }

    @Test func jitterSpreadsTheDelay() {
        var policy = testPolicy
        policy.jitter = 0.5
        var state = RefreshState()
        state.recordFailure(at: Self.now, policy: policy, jitterSample: -1)
        #expect(state.refreshAt.timeIntervalSince(Self.now) == 5)
    }

    @Test func alreadyExpiredCredentialsAreRejected() {
        var state = RefreshState()
        #expect(throws: CredentialsError.self) {
            try state.recordSuccess(sts(1, expiring: Self.now - 1), at: Self.now, policy: testPolicy)
        }
        #expect(state.current == nil)
        #expect(state.consecutiveFailures == 1)
    }

    @Test func expiryMarginCountsAsExpired() {
        var policy = testPolicy
        policy.expiryMargin = 10
        let state = RefreshState()
        #expect(state.isUsable(sts(1, expiring: Self.now + 11), at: Self.now, policy: policy))
        #expect(!state.isUsable(sts(1, expiring: Self.now + 10), at: Self.now, policy: policy))
        #expect(state.isUsable(sts(1, expiring: nil), at: Self.now, policy: policy))
    }
}

@Suite("RefreshingCredentialsProvider")
struct RefreshingProviderTests {
    @Test func servesTheCacheUntilARefreshIsDueThenRotates() async throws {
        let clock = ManualClock()
        let source = ScriptedSource { n in sts(n, expiring: clock.now + 2 * 3600) }
        let provider = RefreshingCredentialsProvider(
            wrapping: source, policy: testPolicy, clock: CredentialsClock { clock.now })

        #expect(try await provider.credentials().accessKeyId == "STS.key-1")
        clock.advance(30 * 60)
        #expect(try await provider.credentials().accessKeyId == "STS.key-1")
        #expect(source.fetches.current == 1)

        // Past the hourly prefetch point: the caller still gets the cached set, a background fetch runs.
        clock.advance(31 * 60)
        #expect(try await provider.credentials().accessKeyId == "STS.key-1")
        try await eventually("background prefetch") { try await provider.credentials().accessKeyId == "STS.key-2" }
        #expect(source.fetches.current == 2)

        // Past the expiry of key-2 with nobody calling in between: the next caller waits for key-3.
        clock.advance(3 * 3600)
        #expect(try await provider.credentials().accessKeyId == "STS.key-3")
        #expect(source.fetches.current == 3)
    }

    @Test func oneFetchForAThousandConcurrentCallersAtExpiry() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(delayNanoseconds: 20_000_000) { n in sts(n, expiring: clock.now + 3600) }
        let provider = RefreshingCredentialsProvider(
            wrapping: source, policy: testPolicy, clock: CredentialsClock { clock.now })
        _ = try await provider.credentials()
        clock.advance(3601)

        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<1000 { group.addTask { try await provider.credentials().accessKeyId } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["STS.key-2"])
        #expect(source.fetches.current == 2)
    }

    @Test func failedRefreshServesValidCredentialsThenFailsOnlyAfterExpiryAndRecovers() async throws {
        let clock = ManualClock()
        let failing = Box(false)
        let source = ScriptedSource { n in
            if failing.current { throw CredentialsError(code: "Boom", message: "fetch \(n) failed") }
            return sts(n, expiring: clock.now + 3600)
        }
        let provider = RefreshingCredentialsProvider(
            wrapping: source, policy: testPolicy, clock: CredentialsClock { clock.now })
        #expect(try await provider.credentials().accessKeyId == "STS.key-1")

        failing.with { $0 = true }
        clock.advance(50 * 60)  // inside the 15-minute window
        #expect(try await provider.credentials().accessKeyId == "STS.key-1")
        await eventually("failed background refresh") { source.fetches.current == 2 && !provider.refreshInFlight }
        // Within the backoff nothing new starts; the valid set keeps being served.
        #expect(try await provider.credentials().accessKeyId == "STS.key-1")
        clock.advance(11)
        #expect(try await provider.credentials().accessKeyId == "STS.key-1")
        await eventually("retry after backoff") { source.fetches.current == 3 && !provider.refreshInFlight }

        clock.advance(15 * 60)  // now really expired
        let first = await #expect(throws: CredentialsError.self) { try await provider.credentials() }
        #expect(first?.code == "Boom")
        // Not stuck: every later call tries again.
        await #expect(throws: CredentialsError.self) { try await provider.credentials() }
        #expect(source.fetches.current == 5)

        failing.with { $0 = false }
        #expect(try await provider.credentials().accessKeyId == "STS.key-6")
    }

    @Test func nonExpiringCredentialsAreFetchedOnce() async throws {
        let source = ScriptedSource { n in sts(n, expiring: nil) }
        let provider = RefreshingCredentialsProvider(wrapping: source, policy: testPolicy)
        for _ in 0..<10 { _ = try await provider.credentials() }
        #expect(source.fetches.current == 1)
    }

    @Test func forcedRefreshFetchesAgain() async throws {
        let source = ScriptedSource { n in sts(n, expiring: nil) }
        let provider = RefreshingCredentialsProvider(wrapping: source, policy: testPolicy)
        _ = try await provider.credentials()
        #expect(try await provider.refresh().accessKeyId == "STS.key-2")
        #expect(try await provider.credentials().accessKeyId == "STS.key-2")
    }

    @Test func descriptionHidesSecrets() {
        let text = "\(sts(7, expiring: Date(timeIntervalSince1970: 0)))"
        #expect(text.contains("STS.key-7"))
        #expect(!text.contains("secret-7"))
        #expect(!text.contains("token-7"))
        #expect(text.contains("1970-01-01T00:00:00Z"))
    }
}

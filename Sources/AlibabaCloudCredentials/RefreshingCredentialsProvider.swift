import AlibabaCloudSigning
import Foundation

/// The time source of a ``RefreshingCredentialsProvider``; inject a fake one in tests.
public struct CredentialsClock: Sendable {
    /// Returns the current time.
    public let now: @Sendable () -> Date

    /// A clock reading `now`.
    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    /// The system clock.
    public static let system = CredentialsClock(now: { Date() })
}

/// When a ``RefreshingCredentialsProvider`` refreshes, and how it backs off after failures.
///
/// The defaults follow the official libraries: credentials are refreshed in the background from 15 minutes
/// before their expiry (at most half their remaining lifetime early, so short-lived credentials are not
/// refetched on every call) and at least once an hour.
public struct RefreshPolicy: Sendable, Hashable {
    /// How long before expiration a background refresh becomes due.
    public var refreshWindow: TimeInterval
    /// A background refresh becomes due at the latest this long after a successful fetch (nil: never early).
    public var prefetchInterval: TimeInterval?
    /// Credentials count as expired this long before their stated expiration (requests need time to arrive).
    public var expiryMargin: TimeInterval
    /// Delay before retrying after the first failed background refresh; doubles per further failure.
    public var initialBackoff: TimeInterval
    /// Upper bound of the retry delay.
    public var maximumBackoff: TimeInterval
    /// Random spread applied to retry delays, as a fraction (0.2 = ±20 %).
    public var jitter: Double

    /// Creates a policy.
    public init(
        refreshWindow: TimeInterval = 15 * 60, prefetchInterval: TimeInterval? = 60 * 60,
        expiryMargin: TimeInterval = 10, initialBackoff: TimeInterval = 10, maximumBackoff: TimeInterval = 5 * 60,
        jitter: Double = 0.2
    ) {
        self.refreshWindow = refreshWindow
        self.prefetchInterval = prefetchInterval
        self.expiryMargin = expiryMargin
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.jitter = jitter
    }

    /// The official libraries' timing.
    public static let `default` = RefreshPolicy()
}

/// The caching layer every expiring provider goes through.
///
/// - Valid cached credentials are returned without waiting, whatever else happens.
/// - Once a refresh is due (see ``RefreshPolicy``), the call that notices starts one background fetch and
///   still returns the cached credentials.
/// - When nothing valid is cached, all concurrent callers wait for one single fetch.
/// - A failed background refresh keeps the cached credentials and is retried with exponential backoff; an
///   error reaches callers only when the cached credentials have really expired and a fresh fetch failed.
///   There is no sticky error state: the next call after a failure fetches again.
public final class RefreshingCredentialsProvider: CredentialsProvider {
    private let source: any CredentialsProvider
    private let policy: RefreshPolicy
    private let clock: CredentialsClock
    private let state = Locked(RefreshState())

    /// Wraps `source`, whose `credentials()` is called only to fetch.
    public init(wrapping source: any CredentialsProvider, policy: RefreshPolicy = .default, clock: CredentialsClock = .system) {
        self.source = source
        self.policy = policy
        self.clock = clock
    }

    /// Returns cached credentials, or waits for the single in-flight fetch when none are valid.
    public func credentials() async throws -> Credentials {
        let now = clock.now()
        let step: Step = state.withLock { s in
            if let cached = s.current, s.isUsable(cached, at: now, policy: policy) {
                if now >= s.refreshAt, s.inFlight == nil { s.inFlight = startFetch() }
                return .serve(cached)
            }
            if let task = s.inFlight { return .wait(task) }
            let task = startFetch()
            s.inFlight = task
            return .wait(task)
        }
        switch step {
        case .serve(let credentials): return credentials
        case .wait(let task): return try await task.value
        }
    }

    /// Fetches now (joining a fetch already in flight) and returns the result, e.g. after the server
    /// rejected the cached credentials.
    public func refresh() async throws -> Credentials {
        let task = state.withLock { s in
            if let task = s.inFlight { return task }
            let task = startFetch()
            s.inFlight = task
            return task
        }
        return try await task.value
    }

    /// Whether a fetch is running (for tests).
    var refreshInFlight: Bool { state.withLock { $0.inFlight != nil } }

    private enum Step {
        case serve(Credentials)
        case wait(Task<Credentials, any Error>)
    }

    /// Starts the fetch task; must be called with the state lock held, and the result stored as `inFlight`.
    private func startFetch() -> Task<Credentials, any Error> {
        Task { [source, state, policy, clock] in
            do {
                let fresh = try await source.credentials()
                let now = clock.now()
                return try state.withLock { s throws(CredentialsError) in
                    try s.recordSuccess(fresh, at: now, policy: policy)
                }
            } catch {
                let now = clock.now()
                state.withLock { s in s.recordFailure(at: now, policy: policy, jitterSample: Double.random(in: -1...1)) }
                throw error
            }
        }
    }
}

/// The cache's bookkeeping, a pure value so its rules are testable without tasks or clocks.
struct RefreshState: Sendable {
    var current: Credentials?
    var refreshAt = Date.distantFuture
    var consecutiveFailures = 0
    var inFlight: Task<Credentials, any Error>?

    func isUsable(_ credentials: Credentials, at now: Date, policy: RefreshPolicy) -> Bool {
        guard let expiration = credentials.expiration else { return true }
        return now < expiration.addingTimeInterval(-policy.expiryMargin)
    }

    /// Stores fresh credentials and schedules the next background refresh; rejects expired ones.
    mutating func recordSuccess(_ fresh: Credentials, at now: Date, policy: RefreshPolicy) throws(CredentialsError)
        -> Credentials
    {
        inFlight = nil
        guard isUsable(fresh, at: now, policy: policy) else {
            recordFailure(at: now, policy: policy, jitterSample: 0)
            throw CredentialsError(
                code: CredentialsError.expired,
                message: "\(fresh.providerName) returned credentials that expire at "
                    + (fresh.expiration.map(SigningTime.iso8601) ?? "?"))
        }
        current = fresh
        consecutiveFailures = 0
        refreshAt = Self.nextRefresh(for: fresh, at: now, policy: policy)
        return fresh
    }

    /// Keeps whatever is cached and schedules a retry with exponential backoff.
    mutating func recordFailure(at now: Date, policy: RefreshPolicy, jitterSample: Double) {
        inFlight = nil
        consecutiveFailures += 1
        let exponent = Double(min(consecutiveFailures - 1, 30))
        let base = min(policy.initialBackoff * pow(2, exponent), policy.maximumBackoff)
        refreshAt = now.addingTimeInterval(max(0, base * (1 + policy.jitter * jitterSample)))
    }

    /// `max(expiration − window, now + remaining/2)`, capped by the prefetch interval.
    static func nextRefresh(for credentials: Credentials, at now: Date, policy: RefreshPolicy) -> Date {
        guard let expiration = credentials.expiration else { return .distantFuture }
        let remaining = expiration.timeIntervalSince(now)
        var next = max(expiration.addingTimeInterval(-policy.refreshWindow), now.addingTimeInterval(remaining / 2))
        if let interval = policy.prefetchInterval { next = min(next, now.addingTimeInterval(interval)) }
        return next
    }
}

/// A value guarded by a lock; never held across a suspension point.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

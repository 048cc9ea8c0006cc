import Foundation
import Synchronization

/// Remembers request nonces (`SignatureNonce` / `x-acs-signature-nonce`) long enough to refuse a replay.
///
/// Why memory and not the database: a signed request is only accepted while its timestamp is within the
/// skew window (15 minutes either way), so a nonce only needs remembering until its timestamp leaves the
/// window; after that the timestamp check alone refuses the replay. That makes the set small and
/// short-lived, and keeps a disk write off every request (AssumeRole must stay cheap). A restart forgets the
/// set, which opens a replay window of at most the skew for requests captured just before the restart; a
/// multi-node deployment would move this set into the shared store (etcd leases fit it exactly).
///
/// Entries are 128-bit keyed hashes of (AccessKeyId, nonce), not the strings, to bound memory; the set is
/// sharded to keep lock contention low, and each shard drops expired entries at most once a minute.
public final class NonceRegistry: Sendable {
    private struct Key: Hashable {
        let high: UInt64
        let low: UInt64
    }

    private struct Entries {
        var entries: [Key: Int64] = [:]  // key -> forget after (Unix seconds)
        var nextSweep: Int64 = 0
    }

    private final class Shard: Sendable {
        let state = Mutex(Entries())
    }

    /// How far a request timestamp may be from the server clock.
    public let window: TimeInterval
    private let shards: [Shard]
    private let seeds: (UInt64, UInt64)

    /// Creates an empty registry for a skew window (15 minutes for POP RPC).
    public init(window: TimeInterval = 15 * 60, shardCount: Int = 16) {
        self.window = window
        shards = (0..<max(1, shardCount)).map { _ in Shard() }
        seeds = (UInt64.random(in: .min ... .max), UInt64.random(in: .min ... .max))
    }

    /// Records `nonce` for `accessKeyId`; false when it was already seen within the window.
    ///
    /// - Parameters:
    ///   - timestamp: the request's own (already validated) timestamp; the nonce is kept until it leaves
    ///     the window, so it cannot be replayed while that timestamp is still acceptable.
    ///   - now: the server clock.
    public func register(accessKeyId: String, nonce: String, timestamp: Date, now: Date) -> Bool {
        let key = hash(accessKeyId, nonce)
        let nowSeconds = Int64(now.timeIntervalSince1970)
        let forgetAfter = Int64(max(timestamp, now).timeIntervalSince1970 + window) + 1
        let shard = shards[Int(key.low % UInt64(shards.count))]
        return shard.state.withLock { shard in
            if nowSeconds >= shard.nextSweep {
                shard.entries = shard.entries.filter { $0.value > nowSeconds }
                shard.nextSweep = nowSeconds + 60
            }
            if let existing = shard.entries[key], existing > nowSeconds { return false }
            shard.entries[key] = forgetAfter
            return true
        }
    }

    /// How many nonces are currently remembered (diagnostics and tests).
    public var count: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.entries.count } } }

    private func hash(_ accessKeyId: String, _ nonce: String) -> Key {
        var first = Hasher()
        first.combine(seeds.0)
        first.combine(accessKeyId)
        first.combine(nonce)
        var second = Hasher()
        second.combine(seeds.1)
        second.combine(accessKeyId)
        second.combine(nonce)
        return Key(high: UInt64(bitPattern: Int64(first.finalize())), low: UInt64(bitPattern: Int64(second.finalize())))
    }
}

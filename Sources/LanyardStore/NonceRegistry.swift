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
/// Entries are 64-bit keyed hashes of (AccessKeyId, nonce) with their expiry, 12 bytes a slot in an
/// open-addressing table per shard: the set holds every nonce of the last 15 minutes, so at thousands of
/// requests a second its size is what matters (a `Dictionary` of 128-bit keys took about 60 bytes a nonce,
/// and rebuilt itself every minute to sweep). An expired slot is reused in place; a table is rebuilt with
/// only its live entries when live and expired slots fill 80% of it. A false "nonce used" needs a 64-bit
/// collision with a live entry: with ten million live nonces, about one request in two trillion.
public final class NonceRegistry: Sendable {
    /// Linear probing over fingerprints (0 marks a slot never used) and their expiry in Unix seconds (a slot
    /// whose expiry is not after now is dead: never matched, and reusable).
    private struct Table {
        var fingerprints: [UInt64]
        var expiries: [UInt32]
        /// Slots used since the last rebuild, live or dead.
        var occupied = 0
        /// The latest clock reading seen, for `liveCount`.
        var lastNow: UInt32 = 0

        init(capacity: Int) {
            fingerprints = [UInt64](repeating: 0, count: capacity)
            expiries = [UInt32](repeating: 0, count: capacity)
        }

        private func home(_ fingerprint: UInt64) -> Int {
            Int(fingerprint.multipliedFullWidth(by: UInt64(fingerprints.count)).high)
        }

        /// Adds `fingerprint` until `expiry`; false when it is already there and live.
        mutating func insert(_ fingerprint: UInt64, expiry: UInt32, now: UInt32) -> Bool {
            lastNow = max(lastNow, now)
            if (occupied + 1) * 5 > fingerprints.count * 4 { rebuild(now: now) }
            var index = home(fingerprint)
            var reusable: Int?
            while fingerprints[index] != 0 {
                if expiries[index] <= now {
                    if reusable == nil { reusable = index }
                } else if fingerprints[index] == fingerprint {
                    return false
                }
                index += 1
                if index == fingerprints.count { index = 0 }
            }
            if let reusable { index = reusable } else { occupied += 1 }
            fingerprints[index] = fingerprint
            expiries[index] = expiry
            return true
        }

        /// Entries not expired at the latest clock reading.
        var liveCount: Int { expiries.reduce(0) { $1 > lastNow ? $0 + 1 : $0 } }

        /// A table twice the size of the live entries, holding only them.
        private mutating func rebuild(now: UInt32) {
            var fresh = Table(capacity: max(64, 2 * expiries.reduce(0) { $1 > now ? $0 + 1 : $0 }))
            fresh.lastNow = lastNow
            for index in fingerprints.indices where fingerprints[index] != 0 && expiries[index] > now {
                _ = fresh.insert(fingerprints[index], expiry: expiries[index], now: now)
            }
            self = fresh
        }
    }

    private final class Shard: Sendable {
        let table = Mutex(Table(capacity: 64))
    }

    /// How far a request timestamp may be from the server clock.
    public let window: TimeInterval
    private let shards: [Shard]
    private let seed: UInt64

    /// Creates an empty registry for a skew window (15 minutes for POP RPC).
    public init(window: TimeInterval = 15 * 60, shardCount: Int = 16) {
        self.window = window
        shards = (0..<max(1, shardCount)).map { _ in Shard() }
        seed = UInt64.random(in: .min ... .max)
    }

    /// Records `nonce` for `accessKeyId`; false when it was already seen within the window.
    ///
    /// - Parameters:
    ///   - timestamp: the request's own (already validated) timestamp; the nonce is kept until it leaves
    ///     the window, so it cannot be replayed while that timestamp is still acceptable.
    ///   - now: the server clock.
    public func register(accessKeyId: String, nonce: String, timestamp: Date, now: Date) -> Bool {
        var hasher = Hasher()
        hasher.combine(seed)
        hasher.combine(accessKeyId)
        hasher.combine(nonce)
        let hash = UInt64(bitPattern: Int64(hasher.finalize()))
        let fingerprint = hash == 0 ? 1 : hash
        let nowSeconds = Self.seconds(now.timeIntervalSince1970)
        let forgetAfter = Self.seconds(max(timestamp, now).timeIntervalSince1970 + window + 1)
        // The shard comes from the high bits, the slot from the full value (multiplied into the table's range).
        let shard = shards[Int((fingerprint >> 32) % UInt64(shards.count))]
        return shard.table.withLock { $0.insert(fingerprint, expiry: forgetAfter, now: nowSeconds) }
    }

    /// How many nonces are currently remembered (diagnostics and tests).
    public var count: Int { shards.reduce(0) { $0 + $1.table.withLock { $0.liveCount } } }

    private static func seconds(_ time: TimeInterval) -> UInt32 {
        UInt32(clamping: Int64(max(0, min(time, Double(UInt32.max)))))
    }
}

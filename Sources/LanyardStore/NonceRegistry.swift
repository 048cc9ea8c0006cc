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
/// Entries are 64-bit keyed hashes of (AccessKeyId, nonce), 8 bytes a slot in open-addressing tables grouped
/// by the minute in which they stop mattering: a nonce matters while its request's timestamp is acceptable,
/// that is until timestamp + window, so a replay (same timestamp) always lands in the same minute's table,
/// and a whole table is dropped once its minute has passed. At a steady request rate the set of tables is the
/// same size from the moment the window has filled: nothing is rebuilt and nothing outlives its minute. (The
/// single table this replaced kept expiries per slot and grew in rebuilds until well after the window had
/// filled.) A false "nonce used" needs a 64-bit collision with a live entry of the same minute.
public final class NonceRegistry: Sendable {
    /// The fingerprints of one minute: linear probing, 0 marks an empty slot, grown by half at 80% full.
    private struct Minute {
        var slots: [UInt64]
        var count = 0

        init(capacity: Int) { slots = [UInt64](repeating: 0, count: capacity) }

        /// Adds `fingerprint`; false when it is already there.
        mutating func insert(_ fingerprint: UInt64) -> Bool {
            if (count + 1) * 5 > slots.count * 4 { grow() }
            var index = Int(fingerprint.multipliedFullWidth(by: UInt64(slots.count)).high)
            while slots[index] != 0 {
                if slots[index] == fingerprint { return false }
                index += 1
                if index == slots.count { index = 0 }
            }
            slots[index] = fingerprint
            count += 1
            return true
        }

        private mutating func grow() {
            var bigger = Minute(capacity: slots.count * 3 / 2)
            for fingerprint in slots where fingerprint != 0 { _ = bigger.insert(fingerprint) }
            self = bigger
        }
    }

    /// A shard's tables by the minute (Unix seconds / 60) at whose start all their entries have expired.
    private struct Minutes {
        var tables: [UInt32: Minute] = [:]
        var sweptAt: UInt32 = 0

        mutating func insert(_ fingerprint: UInt64, until expiry: UInt32, now: UInt32) -> Bool {
            let minute = now / 60
            if minute != sweptAt {
                sweptAt = minute
                tables = tables.filter { $0.key > minute }
            }
            return tables[expiry / 60 + 1, default: Minute(capacity: 64)].insert(fingerprint)
        }
    }

    private final class Shard: Sendable {
        let minutes = Mutex(Minutes())
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
    ///   - timestamp: the request's own (already validated) timestamp; the nonce is kept until that timestamp
    ///     leaves the window, so it cannot be replayed while the timestamp is still acceptable.
    ///   - now: the server clock.
    public func register(accessKeyId: String, nonce: String, timestamp: Date, now: Date) -> Bool {
        var hasher = Hasher()
        hasher.combine(seed)
        hasher.combine(accessKeyId)
        hasher.combine(nonce)
        let hash = UInt64(bitPattern: Int64(hasher.finalize()))
        let fingerprint = hash == 0 ? 1 : hash
        let expiry = Self.seconds(timestamp.timeIntervalSince1970 + window + 1)
        let nowSeconds = Self.seconds(now.timeIntervalSince1970)
        // The shard comes from the high bits, the slot from the full value (multiplied into the table's range).
        let shard = shards[Int((fingerprint >> 32) % UInt64(shards.count))]
        return shard.minutes.withLock { $0.insert(fingerprint, until: expiry, now: nowSeconds) }
    }

    /// How many nonces are currently remembered, counting those of minutes not yet dropped (diagnostics and
    /// tests).
    public var count: Int { shards.reduce(0) { $0 + $1.minutes.withLock { $0.tables.values.reduce(0) { $0 + $1.count } } } }

    /// Bytes held by the tables (diagnostics and tests).
    public var tableBytes: Int {
        shards.reduce(0) { $0 + $1.minutes.withLock { $0.tables.values.reduce(0) { $0 + $1.slots.count * 8 } } }
    }

    private static func seconds(_ time: TimeInterval) -> UInt32 {
        UInt32(clamping: Int64(max(0, min(time, Double(UInt32.max)))))
    }
}

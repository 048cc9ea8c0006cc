import Foundation
import LanyardPolicy
import LanyardStore
import Synchronization

/// A permanent AccessKey resolved to its caller, with the secret decrypted.
struct CachedKey: Sendable {
    let caller: Caller
    let secret: String
    let status: AccessKeyStatus
}

/// A role with its trust policy parsed.
struct CachedRole: Sendable {
    let record: RoleRecord
    /// nil when the stored document no longer parses (then nobody may assume the role).
    let trust: Policy?
}

/// Derived identity state (resolved keys, roles with parsed trust policies, parsed attached policies),
/// valid for one store version: the first lookup after any write starts from empty, so a policy change
/// takes effect on the next request.
///
/// Loads run outside the lock. A load that raced a write is stored only while the snapshot still belongs to
/// the version read before the load, and since the store's version moves only after its commit, a load can
/// only see data at least as new as that version: stale data never outlives a version change.
final class IdentityCache: Sendable {
    /// Entries per table before the table is emptied (bounds memory under many distinct lookups).
    static let maximumEntries = 50_000

    private struct Snapshot {
        var version: UInt64
        var keys: [String: CachedKey] = [:]
        var roles: [String: CachedRole] = [:]
        var policies: [PolicyPrincipal: [Policy]] = [:]
    }

    private let state: Mutex<Snapshot>
    private let parsedSessionPolicies = Mutex<[String: Policy]>([:])

    init(version: UInt64) {
        state = Mutex(Snapshot(version: version))
    }

    /// The cached value of `key` in `table` for `version`, else `load()` (stored when non-nil).
    private func cached<Key: Hashable & Sendable, Value: Sendable>(
        _ table: WritableKeyPath<Snapshot, [Key: Value]>, _ key: Key, version: UInt64,
        load: () throws(RPCError) -> Value?
    ) throws(RPCError) -> Value? {
        let hit: Value? = state.withLock { snapshot in
            if snapshot.version != version {
                guard snapshot.version < version else { return nil }
                snapshot = Snapshot(version: version)
                return nil
            }
            return snapshot[keyPath: table][key]
        }
        if let hit { return hit }
        guard let loaded = try load() else { return nil }
        state.withLock { snapshot in
            guard snapshot.version == version else { return }
            if snapshot[keyPath: table].count >= Self.maximumEntries { snapshot[keyPath: table] = [:] }
            snapshot[keyPath: table][key] = loaded
        }
        return loaded
    }

    func key(_ accessKeyId: String, version: UInt64, load: () throws(RPCError) -> CachedKey?) throws(RPCError)
        -> CachedKey?
    {
        try cached(\.keys, accessKeyId, version: version, load: load)
    }

    func role(_ name: String, version: UInt64, load: () throws(RPCError) -> CachedRole?) throws(RPCError)
        -> CachedRole?
    {
        try cached(\.roles, name.lowercased(), version: version, load: load)
    }

    func policies(
        _ principal: PolicyPrincipal, version: UInt64, load: () throws(RPCError) -> [Policy]
    ) throws(RPCError) -> [Policy] {
        let lowered: PolicyPrincipal =
            switch principal {
            case .user(let name): .user(name.lowercased())
            case .role(let name): .role(name.lowercased())
            }
        return try cached(\.policies, lowered, version: version, load: load) ?? []
    }

    /// A session policy document parsed once: tokens carry the text, and the same few documents recur.
    func sessionPolicy(_ document: String) -> Policy? {
        if let hit = parsedSessionPolicies.withLock({ $0[document] }) { return hit }
        guard let parsed = try? Policy(parsing: document, as: .identity) else { return nil }
        parsedSessionPolicies.withLock { table in
            if table.count >= 1024 { table.removeAll(keepingCapacity: true) }
            table[document] = parsed
        }
        return parsed
    }
}

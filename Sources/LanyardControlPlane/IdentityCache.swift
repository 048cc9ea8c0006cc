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

/// The session policies seen for each role-session ``Caller``, so that `authorize(_:_:)` (which receives
/// only the caller) still intersects with the session policy. Two sessions that share a caller value
/// (same role, session name and expiry second) but carry different session policies are both applied:
/// the result can only be narrower, never wider.
final class SessionPolicyRegistry: Sendable {
    private struct Entry {
        var policies: [Policy]
        let expiration: Date
    }

    private let entries = Mutex<[Caller: Entry]>([:])

    /// Remembers that `caller` carries `policy` (until the session expires).
    func record(_ caller: Caller, policy: Policy, now: Date) {
        guard case .roleSession(_, _, _, _, let expiration) = caller else { return }
        entries.withLock { entries in
            if var entry = entries[caller] {
                if !entry.policies.contains(policy) {
                    entry.policies.append(policy)
                    entries[caller] = entry
                }
                return
            }
            if entries.count >= 10_000 { entries = entries.filter { $0.value.expiration > now } }
            entries[caller] = Entry(policies: [policy], expiration: expiration)
        }
    }

    /// The session policies recorded for `caller`.
    func policies(for caller: Caller) -> [Policy] {
        entries.withLock { $0[caller]?.policies ?? [] }
    }
}

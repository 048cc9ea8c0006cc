import Foundation

/// The identity state of one account: users, AccessKeys, roles, custom policies with versions, and
/// attachments.
///
/// Deliberately narrow, so that a distributed backend (etcd) can implement it later: every method is one
/// atomic step, and each rule that spans several records (limits, conflicts, renames) is enforced inside
/// that step rather than by the caller. Every successful write increases ``version``; callers cache derived
/// state (parsed policies, resolved keys) and drop it when the version moves.
///
/// Rule violations are reported as ``StoreError``s whose code is the RAM error code.
public protocol IdentityStore: Sendable {
    /// A number that increases with every committed write (cache invalidation).
    var version: UInt64 { get }

    /// The account, or nil before first start.
    func account() throws(StoreError) -> AccountRecord?
    /// Creates the account and its first root AccessKey; fails when an account exists.
    func createAccount(_ account: AccountRecord, rootKey: AccessKeyRecord) throws(StoreError)

    /// Adds a user; `EntityAlreadyExists.User` when the name is taken.
    func createUser(_ user: UserRecord) throws(StoreError)
    /// The user with this name.
    func user(named name: String) throws(StoreError) -> UserRecord?
    /// Users sorted by name, starting after `marker`, at most `limit`.
    func listUsers(after marker: String?, limit: Int) throws(StoreError) -> [UserRecord]
    /// Replaces the user `name` with `user` (which may carry a new name; keys and attachments follow).
    func updateUser(named name: String, to user: UserRecord) throws(StoreError)
    /// Deletes a user that has no AccessKeys and no attached policies.
    func deleteUser(named name: String) throws(StoreError)

    /// Adds an AccessKey; `LimitExceeded.User.AccessKey` past the per-user limit.
    func createAccessKey(_ key: AccessKeyRecord) throws(StoreError)
    /// The AccessKey with this id (root's or a user's).
    func accessKey(id: String) throws(StoreError) -> AccessKeyRecord?
    /// The keys of a user (`nil` = root), oldest first.
    func accessKeys(userName: String?) throws(StoreError) -> [AccessKeyRecord]
    /// Sets a key's status; `EntityNotExist.User.AccessKey` when the user has no such key.
    func setAccessKeyStatus(id: String, userName: String?, status: AccessKeyStatus) throws(StoreError)
    /// Deletes a key; `EntityNotExist.User.AccessKey` when the user has no such key.
    func deleteAccessKey(id: String, userName: String?) throws(StoreError)

    /// Adds a role; `EntityAlreadyExists.Role` when the name is taken.
    func createRole(_ role: RoleRecord) throws(StoreError)
    /// The role with this name.
    func role(named name: String) throws(StoreError) -> RoleRecord?
    /// Roles sorted by name, starting after `marker`, at most `limit`.
    func listRoles(after marker: String?, limit: Int) throws(StoreError) -> [RoleRecord]
    /// Replaces the role of the same name.
    func updateRole(_ role: RoleRecord) throws(StoreError)
    /// Deletes a role; `DeleteConflict.Role.Policy` while policies are attached.
    func deleteRole(named name: String) throws(StoreError)

    /// Adds a custom policy with its first version `v1`; `EntityAlreadyExists.Policy`, `LimitExceeded.Policy`.
    func createPolicy(_ policy: PolicyRecord, document: String) throws(StoreError)
    /// The custom policy with this name.
    func policy(named name: String) throws(StoreError) -> PolicyRecord?
    /// Custom policies sorted by name, starting after `marker`, at most `limit`.
    func listPolicies(after marker: String?, limit: Int) throws(StoreError) -> [PolicyRecord]
    /// Adds the next version. At the version limit: with `rotate`, deletes the oldest non-default version
    /// first, else `LimitExceeded.Policy.Version`.
    func createPolicyVersion(
        policyName: String, document: String, setAsDefault: Bool, rotate: Bool, date: Date
    ) throws(StoreError) -> PolicyVersionRecord
    /// One version of a custom policy.
    func policyVersion(policyName: String, versionId: String) throws(StoreError) -> PolicyVersionRecord?
    /// Every version of a custom policy, oldest first.
    func policyVersions(policyName: String) throws(StoreError) -> [PolicyVersionRecord]
    /// Makes a version the default.
    func setDefaultPolicyVersion(policyName: String, versionId: String, date: Date) throws(StoreError)
    /// Deletes a non-default version; `DeleteConflict.PolicyVersion.Default` for the default one.
    func deletePolicyVersion(policyName: String, versionId: String) throws(StoreError)
    /// Deletes a custom policy. Without `cascade`: `DeleteConflict.Policy.User`/`.Role` while attached,
    /// `DeleteConflict.Policy.Version` while it has non-default versions. With `cascade`, detaches and
    /// deletes everything.
    func deletePolicy(named name: String, cascade: Bool) throws(StoreError)

    /// Attaches a policy (whose existence the caller checked for System policies; the store checks custom
    /// ones); `EntityAlreadyExists.User.Policy`/`.Role.Policy`, `LimitExceeded.User.Policy`/`.Role.Policy`.
    func attach(_ attachment: AttachmentRecord) throws(StoreError)
    /// Detaches; `EntityNotExist.User.Policy`/`.Role.Policy` when not attached.
    func detach(principal: PolicyPrincipal, policyKind: PolicyKind, policyName: String) throws(StoreError)
    /// The policies attached to a user or role, with the default documents of custom ones.
    func attachedPolicies(_ principal: PolicyPrincipal) throws(StoreError) -> [AttachedPolicyDocument]
    /// The users and roles a policy is attached to.
    func attachments(policyKind: PolicyKind, policyName: String) throws(StoreError) -> [AttachmentRecord]
}

import Foundation

/// The account that owns every identity in this store.
public struct AccountRecord: Sendable, Hashable {
    /// 16-digit decimal account id.
    public var accountId: String
    /// When the account was created.
    public var createDate: Date

    /// Creates an account record.
    public init(accountId: String, createDate: Date) {
        self.accountId = accountId
        self.createDate = createDate
    }
}

/// A RAM user.
public struct UserRecord: Sendable, Hashable {
    public var userId: String
    public var userName: String
    public var displayName: String
    public var mobilePhone: String
    public var email: String
    public var comments: String
    public var createDate: Date
    public var updateDate: Date

    /// Creates a user record.
    public init(
        userId: String, userName: String, displayName: String = "", mobilePhone: String = "", email: String = "",
        comments: String = "", createDate: Date, updateDate: Date
    ) {
        self.userId = userId
        self.userName = userName
        self.displayName = displayName
        self.mobilePhone = mobilePhone
        self.email = email
        self.comments = comments
        self.createDate = createDate
        self.updateDate = updateDate
    }
}

/// Whether an AccessKey may sign requests.
public enum AccessKeyStatus: String, Sendable, Hashable {
    case active = "Active"
    case inactive = "Inactive"
}

/// A permanent AccessKey of the root account (`userName == nil`) or of a RAM user.
///
/// The secret is held only sealed (encrypted by the control plane with its data key); the store never
/// sees the plaintext.
public struct AccessKeyRecord: Sendable, Hashable {
    public var accessKeyId: String
    /// Owner; nil for the root account's keys.
    public var userName: String?
    /// The secret, encrypted and authenticated by the caller of the store.
    public var sealedSecret: [UInt8]
    public var status: AccessKeyStatus
    public var createDate: Date

    /// Creates an AccessKey record.
    public init(accessKeyId: String, userName: String?, sealedSecret: [UInt8], status: AccessKeyStatus, createDate: Date) {
        self.accessKeyId = accessKeyId
        self.userName = userName
        self.sealedSecret = sealedSecret
        self.status = status
        self.createDate = createDate
    }
}

/// A RAM role.
public struct RoleRecord: Sendable, Hashable {
    public var roleId: String
    public var roleName: String
    public var description: String
    /// The trust policy (who may assume the role), as the JSON text the client sent.
    public var assumeRolePolicyDocument: String
    /// Longest session, in seconds (3600...43200).
    public var maxSessionDuration: Int
    public var createDate: Date
    public var updateDate: Date

    /// Creates a role record.
    public init(
        roleId: String, roleName: String, description: String, assumeRolePolicyDocument: String,
        maxSessionDuration: Int, createDate: Date, updateDate: Date
    ) {
        self.roleId = roleId
        self.roleName = roleName
        self.description = description
        self.assumeRolePolicyDocument = assumeRolePolicyDocument
        self.maxSessionDuration = maxSessionDuration
        self.createDate = createDate
        self.updateDate = updateDate
    }
}

/// A custom policy (its versions are ``PolicyVersionRecord``s).
public struct PolicyRecord: Sendable, Hashable {
    public var policyName: String
    public var description: String
    /// The version in force, e.g. "v3".
    public var defaultVersion: String
    public var createDate: Date
    public var updateDate: Date

    /// Creates a policy record.
    public init(policyName: String, description: String, defaultVersion: String, createDate: Date, updateDate: Date) {
        self.policyName = policyName
        self.description = description
        self.defaultVersion = defaultVersion
        self.createDate = createDate
        self.updateDate = updateDate
    }
}

/// One version of a custom policy.
public struct PolicyVersionRecord: Sendable, Hashable {
    public var policyName: String
    /// "v1", "v2", ... (never reused within a policy).
    public var versionId: String
    public var document: String
    public var isDefaultVersion: Bool
    public var createDate: Date

    /// Creates a policy version record.
    public init(policyName: String, versionId: String, document: String, isDefaultVersion: Bool, createDate: Date) {
        self.policyName = policyName
        self.versionId = versionId
        self.document = document
        self.isDefaultVersion = isDefaultVersion
        self.createDate = createDate
    }
}

/// Who a policy is attached to.
public enum PolicyPrincipal: Sendable, Hashable {
    case user(String)
    case role(String)

    /// The principal's name.
    public var name: String {
        switch self {
        case .user(let name), .role(let name): name
        }
    }
}

/// Whether a policy is one of the built-in System policies or a custom one of this account.
public enum PolicyKind: String, Sendable, Hashable, CaseIterable {
    case system = "System"
    case custom = "Custom"
}

/// A policy attached to a user or a role.
public struct AttachmentRecord: Sendable, Hashable {
    public var principal: PolicyPrincipal
    public var policyKind: PolicyKind
    public var policyName: String
    public var attachDate: Date

    /// Creates an attachment record.
    public init(principal: PolicyPrincipal, policyKind: PolicyKind, policyName: String, attachDate: Date) {
        self.principal = principal
        self.policyKind = policyKind
        self.policyName = policyName
        self.attachDate = attachDate
    }
}

/// An attachment together with the document in force: the default version's text for custom policies,
/// nil for System policies (whose documents the caller knows).
public struct AttachedPolicyDocument: Sendable, Hashable {
    public var attachment: AttachmentRecord
    public var document: String?

    /// Creates an attached-document pair.
    public init(attachment: AttachmentRecord, document: String?) {
        self.attachment = attachment
        self.document = document
    }
}

/// Limits the store enforces atomically with the writes they guard.
public struct IdentityLimits: Sendable, Hashable {
    /// AccessKeys per RAM user.
    public var accessKeysPerUser = 2
    /// Versions kept per custom policy.
    public var versionsPerPolicy = 5
    /// Custom policies per account.
    public var customPolicies = 1500
    /// System policies attached to one user or role.
    public var systemPoliciesPerPrincipal = 20
    /// Custom policies attached to one user or role.
    public var customPoliciesPerPrincipal = 5

    /// The limits of Alibaba Cloud RAM.
    public init() {}
}

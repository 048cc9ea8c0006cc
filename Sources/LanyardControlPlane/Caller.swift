import Foundation
import LanyardPolicy

/// Who signed a request.
public enum Caller: Sendable, Hashable {
    /// The account's root identity (a root AccessKey).
    case root(accountId: String)
    /// A RAM user (one of its AccessKeys).
    case user(accountId: String, userName: String, userId: String)
    /// An STS session of a role (an `STS.` AccessKey with its SecurityToken).
    case roleSession(accountId: String, roleName: String, roleId: String, sessionName: String, expiration: Date)

    /// The account the caller belongs to.
    public var accountId: String {
        switch self {
        case .root(let accountId), .user(let accountId, _, _), .roleSession(let accountId, _, _, _, _): accountId
        }
    }

    /// The caller's ARN: `acs:ram::<uid>:root`, `acs:ram::<uid>:user/<name>`, or for role sessions
    /// `acs:ram::<uid>:role/<role>/<session>` (the form AssumeRole's `AssumedRoleUser.Arn` documents).
    public var arn: String {
        switch self {
        case .root(let accountId): "acs:ram::\(accountId):root"
        case .user(let accountId, let userName, _): "acs:ram::\(accountId):user/\(userName)"
        case .roleSession(let accountId, let roleName, _, let sessionName, _):
            "acs:ram::\(accountId):role/\(roleName)/\(sessionName)"
        }
    }
}

/// What an AccessKeyId (plus, for STS keys, its SecurityToken) resolves to.
public struct ResolvedCredentials: Sendable {
    /// Who signs with this key.
    public let caller: Caller
    /// The signing secret (derived, for STS keys).
    public let secret: String
    /// For role sessions: the session policy given to AssumeRole (already parsed), if any.
    public let sessionPolicy: Policy?

    /// Creates resolved credentials.
    public init(caller: Caller, secret: String, sessionPolicy: Policy? = nil) {
        self.caller = caller
        self.secret = secret
        self.sessionPolicy = sessionPolicy
    }
}

/// Short-lived credentials of a role session.
public struct IssuedCredentials: Sendable, Hashable {
    /// `STS.` followed by random characters.
    public let accessKeyId: String
    /// The signing secret, derived from the AccessKeyId under the token key.
    public let accessKeySecret: String
    /// The sealed session token.
    public let securityToken: String
    /// When the session ends (whole seconds).
    public let expiration: Date

    /// Creates issued credentials.
    public init(accessKeyId: String, accessKeySecret: String, securityToken: String, expiration: Date) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
        self.expiration = expiration
    }
}

/// The account and its root AccessKey.
public struct AccountInfo: Sendable, Hashable {
    /// 16-digit account id.
    public let accountId: String
    /// The root AccessKeyId written to `root-credentials.json`.
    public let accessKeyId: String
    /// The root AccessKeySecret.
    public let accessKeySecret: String
}

/// An error answered to an RPC caller: HTTP status, the protocol's error code, and its message.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// HTTP status of the error response.
    public let status: Int
    /// The POP error code (`NoPermission`, `EntityNotExist.Role`, ...).
    public let code: String
    /// The message clients show.
    public let message: String

    /// Creates an error.
    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }

    /// 400 `MissingParameter` in the gateway's wording.
    public static func missingParameter(_ name: String) -> RPCError {
        RPCError(
            status: 400, code: "MissingParameter",
            message: "The input parameter \"\(name)\" that is mandatory for processing this request is not supplied.")
    }

    /// 400 `InvalidParameter` for an unknown Action or Version.
    public static let invalidActionOrVersion = RPCError(
        status: 400, code: "InvalidParameter", message: "The specified parameter \"Action or Version\" is not valid.")

    /// 403 `NoPermission` for a RAM call the caller's policies do not allow.
    public static let noPermission = RPCError(
        status: 403, code: "NoPermission", message: "You are not authorized to do this action.")

    /// 403 `NoPermission` in STS's wording.
    public static let stsNoPermission = RPCError(
        status: 403, code: "NoPermission",
        message: "You are not authorized to do this action. You should be authorized by RAM.")

    /// 403 `InvalidSecurityToken` for a role session whose role was deleted (or deleted and created again under
    /// the same name: the session is bound to the RoleId it was issued for).
    public static let roleOfSessionDeleted = RPCError(
        status: 403, code: "InvalidSecurityToken",
        message: "The RAM role of this SecurityToken has been deleted; the session is no longer valid.")

    /// 500 `InternalError`.
    public static func internalError(_ product: String = "Server") -> RPCError {
        RPCError(status: 500, code: "InternalError", message: "\(product) Internal Error happened.")
    }
}

/// A failure to start the control plane (data directory locked or unusable, corrupt key, store failure).
public struct ControlPlaneError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `DataDirectoryLocked`, `DataDirectoryUnusable`, `InvalidTokenKey`, `StoreFailure`.
    public let code: String
    /// What happened, naming the file.
    public let message: String

    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

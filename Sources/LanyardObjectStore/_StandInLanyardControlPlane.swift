import Foundation

// Stand-in for LanyardControlPlane's contract (CONTRACTS.md), deleted when LanyardControlPlane is merged.

/// Stand-in.
public enum Caller: Sendable, Hashable {
    case root(accountId: String)
    case user(accountId: String, userName: String, userId: String)
    case roleSession(accountId: String, roleName: String, roleId: String, sessionName: String, expiration: Date)
}

/// Stand-in.
public struct ResolvedCredentials: Sendable {
    public let caller: Caller
    public let secret: String
    /// Stand-in.
    public init(caller: Caller, secret: String) { self.caller = caller; self.secret = secret }
}

/// Stand-in.
public struct RPCError: Error, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    /// Stand-in.
    public init(status: Int, code: String, message: String) { self.status = status; self.code = code; self.message = message }
}

/// Stand-in.
public struct AccountInfo: Sendable {
    public let accountId: String
}

/// Stand-in.
public final class ControlPlane: Sendable {
    /// Stand-in.
    public var account: AccountInfo { AccountInfo(accountId: "0") }
    /// Stand-in.
    public func credentials(accessKeyId: String, securityToken: String?) throws(RPCError) -> ResolvedCredentials {
        throw RPCError(status: 404, code: "InvalidAccessKeyId.NotFound", message: "stand-in")
    }
    /// Stand-in.
    public func authorize(_ caller: Caller, _ request: AuthorizationRequest) -> Decision { .implicitDeny }
}

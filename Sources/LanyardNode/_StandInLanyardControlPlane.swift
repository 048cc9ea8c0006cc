// Stand-in for LanyardControlPlane until it is merged into main (CONTRACTS.md API). Deleted at merge.
import Foundation

public struct RPCError: Error, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }
}
public enum Caller: Sendable, Hashable {
    case root(accountId: String)
    case user(accountId: String, userName: String, userId: String)
    case roleSession(accountId: String, roleName: String, roleId: String, sessionName: String, expiration: Date)
}
public struct IssuedCredentials: Sendable {
    public let accessKeyId: String
    public let accessKeySecret: String
    public let securityToken: String
    public let expiration: Date
}
public struct RPCRequest: Sendable {
    public let action: String
    public let parameters: [String: String]
    public let caller: Caller
    public let sourceIp: String
    public let secureTransport: Bool
    public let userAgent: String?
    public let requestId: String
    public init(action: String, parameters: [String: String], caller: Caller, sourceIp: String, secureTransport: Bool,
                userAgent: String?, requestId: String) {
        self.action = action
        self.parameters = parameters
        self.caller = caller
        self.sourceIp = sourceIp
        self.secureTransport = secureTransport
        self.userAgent = userAgent
        self.requestId = requestId
    }
}
public protocol RPCService: Sendable {
    func handle(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable]
}
public struct AccountInfo: Sendable {
    public let accountId: String
}
public final class ControlPlane: Sendable {
    public var account: AccountInfo { AccountInfo(accountId: "") }
    public func authorize(_ caller: Caller, _ request: AuthorizationRequest) -> Decision { .implicitDeny }
    public func issueRoleSession(roleName: String, sessionName: String, duration: TimeInterval, policy: Policy?) throws(RPCError)
        -> IssuedCredentials
    { throw RPCError(status: 500, code: "StandIn", message: "stand-in") }
    public func register(version: String, product: String, service: any RPCService) {}
}

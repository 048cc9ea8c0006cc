// Stand-in for LanyardPolicy (contract signatures only) until that module is merged; deleted at merge.
public struct PolicyError: Error, Sendable, Hashable { public let code: String; public let message: String }
public struct Policy: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case identity, trust }
    public init(parsing json: String) throws(PolicyError) { fatalError("stand-in") }
    public init(parsing json: String, as kind: Kind) throws(PolicyError) { fatalError("stand-in") }
    public func evaluate(_ request: AuthorizationRequest) -> Decision { fatalError("stand-in") }
    public func evaluateTrust(principal: TrustPrincipal, context: [String: [String]]) -> Decision { fatalError("stand-in") }
}
public struct AuthorizationRequest: Sendable {
    public var action: String
    public var resource: String
    public var context: [String: [String]]
    public init(action: String, resource: String, context: [String: [String]] = [:]) {
        self.action = action; self.resource = resource; self.context = context
    }
}
public enum Decision: Sendable, Hashable { case allow, explicitDeny, implicitDeny }
public enum PolicyEvaluator {
    public static func evaluate(identityPolicies: [Policy], sessionPolicy: Policy?, request: AuthorizationRequest) -> Decision { fatalError("stand-in") }
}
public struct TrustPrincipal: Sendable, Hashable {
    public static func ramUser(accountId: String, userName: String) -> TrustPrincipal { fatalError("stand-in") }
    public static func ramRole(accountId: String, roleName: String) -> TrustPrincipal { fatalError("stand-in") }
    public static func account(accountId: String) -> TrustPrincipal { fatalError("stand-in") }
}

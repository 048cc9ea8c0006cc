// Stand-in for LanyardPolicy until it is merged into main (CONTRACTS.md API). Deleted at merge.
public struct PolicyError: Error, Sendable, Hashable {
    public let code: String
    public let message: String
}
public struct Policy: Sendable, Hashable {
    let json: String
    public init(parsing json: String) throws(PolicyError) { self.json = json }
    public func evaluate(_ request: AuthorizationRequest) -> Decision { .implicitDeny }
    public func evaluateTrust(principal: TrustPrincipal, context: [String: [String]]) -> Decision { .implicitDeny }
}
public struct AuthorizationRequest: Sendable {
    public var action: String
    public var resource: String
    public var context: [String: [String]]
    public init(action: String, resource: String, context: [String: [String]] = [:]) {
        self.action = action
        self.resource = resource
        self.context = context
    }
}
public enum Decision: Sendable, Hashable { case allow, explicitDeny, implicitDeny }
public struct TrustPrincipal: Sendable, Hashable {
    let text: String
    public static func service(_ name: String) -> TrustPrincipal { TrustPrincipal(text: name) }
}

// Stand-in for LanyardPolicy's contract (CONTRACTS.md), deleted when LanyardPolicy is merged.

/// Stand-in.
public struct AuthorizationRequest: Sendable {
    public var action: String
    public var resource: String
    public var context: [String: [String]]
    /// Stand-in.
    public init(action: String, resource: String, context: [String: [String]] = [:]) {
        self.action = action; self.resource = resource; self.context = context
    }
}

/// Stand-in.
public enum Decision: Sendable, Hashable { case allow, explicitDeny, implicitDeny }

import LanyardControlPlane
import LanyardHTTP
import LanyardPolicy
/// What the object service needs from the control plane: resolving credentials and evaluating the caller's
/// current policies. `ControlPlane` conforms; tests can supply their own.
public protocol ObjectServiceAuthority: Sendable {
    /// The account that owns every bucket of this service.
    var accountId: String { get }
    /// Resolves an AccessKeyId (+ STS token) to the caller and the secret it signs with.
    func credentials(accessKeyId: String, securityToken: String?) throws(RPCError) -> ResolvedCredentials
    /// Evaluates the caller's current policies, intersected with the session policy of a role session.
    func authorize(_ caller: Caller, sessionPolicy: Policy?, _ request: AuthorizationRequest) -> Decision
    /// Records a refusal in the audit trail.
    func audit(_ event: AuditEvent)
}

extension ControlPlane: ObjectServiceAuthority {
    /// The control plane's account id.
    public var accountId: String { account.accountId }
}

/// Who made a request, once its signature has been checked.
public enum OSSPrincipal: Sendable, Hashable {
    /// No credentials: only what ACLs grant to everyone.
    case anonymous
    /// A verified caller, the AccessKeyId it signed with and, for a role session, the session policy its token carries.
    case authenticated(Caller, accessKeyId: String, sessionPolicy: Policy? = nil)
}

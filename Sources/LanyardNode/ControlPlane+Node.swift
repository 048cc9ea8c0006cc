import Foundation
import LanyardControlPlane
import LanyardPolicy

/// The control plane is the node's source of roles, trust decisions, authorization and pod sessions.
extension ControlPlane: NodeControlPlane {
    /// The account that owns every pod and role.
    public var accountId: String { account.accountId }

    /// Mints the pod's STS session through
    /// ``ControlPlane/issueRoleSession(roleName:roleId:sessionName:duration:policy:)``.
    public func issueRoleSession(roleName: String, roleId: String, sessionName: String, duration: TimeInterval)
        throws(NodeError) -> PodCredentials
    {
        do {
            let issued = try issueRoleSession(
                roleName: roleName, roleId: Optional(roleId), sessionName: sessionName, duration: duration, policy: nil)
            return PodCredentials(
                accessKeyId: issued.accessKeyId, accessKeySecret: issued.accessKeySecret,
                securityToken: issued.securityToken, expiration: issued.expiration, lastUpdated: Date())
        } catch {
            throw NodeError(code: error.code, message: error.message)
        }
    }
}

import AlibabaCloudSigning
import Foundation
import LanyardPolicy

/// STS 2015-04-01: AssumeRole and GetCallerIdentity.
struct STSService: RPCService {
    static let version = "2015-04-01"
    let core: ControlPlaneCore

    func handle(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        switch request.action {
        case "AssumeRole": return try assumeRole(request)
        case "GetCallerIdentity": return callerIdentity(request.caller)
        default: throw .invalidActionOrVersion
        }
    }

    // MARK: AssumeRole

    private static let invalidRoleArn = RPCError(
        status: 400, code: "InvalidParameter.RoleArn", message: "The parameter RoleArn is wrongly formed.")
    private static let roleNotFound = RPCError(
        status: 404, code: "EntityNotExist.Role", message: "The specified Role not exists.")

    private func assumeRole(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        if case .root = request.caller {
            throw RPCError(status: 403, code: "NoPermission", message: "Roles may not be assumed by root accounts.")
        }
        let roleArn = try request.required("RoleArn")
        let sessionName = try request.required("RoleSessionName")
        guard let (arnAccount, arnRoleName) = Self.parseRoleArn(roleArn) else { throw Self.invalidRoleArn }
        guard SessionRules.isValidSessionName(sessionName) else { throw SessionRules.invalidSessionName }
        var duration = 3600
        if let text = request.optional("DurationSeconds") {
            guard let value = Int(text), value >= 900 else { throw Self.invalidDuration(maximum: nil) }
            duration = value
        }
        var policyDocument: String?
        if let document = request.optional("Policy") {
            guard document.utf8.count <= SessionRules.maximumPolicyBytes else {
                throw RPCError(
                    status: 400, code: "InvalidParameter.PolicySize",
                    message: "The size of Policy must be smaller than \(SessionRules.maximumPolicyBytes) bytes.")
            }
            do {
                _ = try Policy(parsing: document, as: .identity)
            } catch {
                throw RPCError(
                    status: 400, code: "InvalidParameter.PolicyGrammar",
                    message: "The parameter Policy has not passed grammar check. \(error.message)")
            }
            policyDocument = document
        }
        let externalId = request.optional("ExternalId")
        if let externalId, !Self.isValidExternalId(externalId) {
            throw RPCError(
                status: 400, code: "InvalidParameter.ExternalId", message: "The parameter ExternalId is wrongly formed.")
        }

        // The caller's own policies must allow sts:AssumeRole on the role ARN.
        let now = core.now()
        var context = request.conditionContext(now: now)
        if let externalId { context["sts:ExternalId"] = [externalId] }
        let resource = "acs:ram::\(arnAccount):role/\(arnRoleName)"
        let decision = core.authorize(
            request.caller, sessionPolicies: request.sessionPolicy.map { [$0] } ?? [],
            AuthorizationRequest(action: "sts:AssumeRole", resource: resource, context: context))
        guard decision == .allow else { throw RPCError.stsNoPermission }

        guard arnAccount == core.accountId, let role = try core.role(named: arnRoleName) else { throw Self.roleNotFound }
        guard duration <= role.record.maxSessionDuration else {
            throw Self.invalidDuration(maximum: role.record.maxSessionDuration)
        }

        // The role's trust policy must allow this caller.
        let principal: TrustPrincipal
        switch request.caller {
        case .user(let accountId, let userName, _): principal = .ramUser(accountId: accountId, userName: userName)
        case .roleSession(let accountId, let roleName, _, _, _):
            principal = .ramRole(accountId: accountId, roleName: roleName)
        case .root: throw RPCError.stsNoPermission
        }
        guard let trust = role.trust, trust.evaluateTrust(principal: principal, context: context) == .allow else {
            throw RPCError.stsNoPermission
        }

        let credentials = core.issueSession(
            role: role.record, sessionName: sessionName, duration: duration, policyDocument: policyDocument)
        let assumedArn = "\(core.roleArn(role.record.roleName))/\(sessionName)"
        core.audit.record(
            "AssumeRole",
            [
                ("requestId", request.requestId), ("caller", request.caller.arn), ("accessKeyId", request.accessKeyId),
                ("roleArn", core.roleArn(role.record.roleName)), ("roleSessionName", sessionName),
                ("issuedAccessKeyId", credentials.accessKeyId), ("expiration", SigningTime.iso8601(credentials.expiration)),
                ("sessionPolicy", policyDocument != nil), ("sourceIp", request.sourceIp),
            ])
        var result: [String: any Sendable] = [
            "AssumedRoleUser": [
                "Arn": assumedArn, "AssumedRoleId": "\(role.record.roleId):\(sessionName)",
            ] as [String: any Sendable],
            "Credentials": [
                "AccessKeyId": credentials.accessKeyId, "AccessKeySecret": credentials.accessKeySecret,
                "SecurityToken": credentials.securityToken, "Expiration": SigningTime.iso8601(credentials.expiration),
            ] as [String: any Sendable],
        ]
        if let sourceIdentity = request.optional("SourceIdentity") { result["SourceIdentity"] = sourceIdentity }
        return result
    }

    private static func invalidDuration(maximum: Int?) -> RPCError {
        let hours = (maximum ?? 3600) / 3600
        return RPCError(
            status: 400, code: "InvalidParameter.DurationSeconds",
            message: "The Min/Max value of DurationSeconds is 15min/\(hours)hr.")
    }

    /// `acs:ram::<16-digit account>:role/<name>` → (account, name).
    static func parseRoleArn(_ arn: String) -> (String, String)? {
        let parts = arn.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "acs", parts[1] == "ram", parts[2].isEmpty,
            !parts[3].isEmpty, parts[3].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), parts[4].hasPrefix("role/")
        else { return nil }
        let name = parts[4].dropFirst("role/".count)
        guard !name.isEmpty, name.count <= 64, !name.utf8.contains(UInt8(ascii: "/")) else { return nil }
        return (String(parts[3]), String(name))
    }

    /// ExternalId: 2–1224 characters of `[\w+=,.@:/-]`.
    static func isValidExternalId(_ value: String) -> Bool {
        guard (2...1224).contains(value.utf8.count) else { return false }
        return value.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || "_+=,.@:/-".utf8.contains(byte)
        }
    }

    // MARK: GetCallerIdentity

    /// Root: IdentityType `Account`, Arn `acs:ram::<uid>:root`; user: `RAMUser`, its user ARN; role session:
    /// `AssumedRoleUser`, Arn `acs:ram::<uid>:role/<role>/<session>` (the AssumedRoleUser.Arn of AssumeRole),
    /// PrincipalId `<RoleId>:<session>` as ActionTrail shows it.
    private func callerIdentity(_ caller: Caller) -> [String: any Sendable] {
        switch caller {
        case .root(let accountId):
            return [
                "AccountId": accountId, "Arn": caller.arn, "IdentityType": "Account", "PrincipalId": accountId,
                "UserId": accountId,
            ]
        case .user(let accountId, _, let userId):
            return [
                "AccountId": accountId, "Arn": caller.arn, "IdentityType": "RAMUser", "PrincipalId": userId,
                "UserId": userId,
            ]
        case .roleSession(let accountId, _, let roleId, let sessionName, _):
            return [
                "AccountId": accountId, "Arn": caller.arn, "IdentityType": "AssumedRoleUser",
                "PrincipalId": "\(roleId):\(sessionName)", "RoleId": roleId,
            ]
        }
    }
}

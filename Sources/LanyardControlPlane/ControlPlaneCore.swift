import Foundation
import LanyardPolicy
import LanyardStore

/// The shared state behind the public ``ControlPlane``, the RPC pipeline and the RAM/STS services:
/// credential resolution, authorization and session issuance.
final class ControlPlaneCore: Sendable {
    let accountId: String
    let store: any IdentityStore
    let sealer: SessionTokenSealer
    let cache: IdentityCache
    let nonces = NonceRegistry()
    let audit: AuditTrail
    let metrics = Metrics()
    let log: EventLog
    let now: @Sendable () -> Date

    init(
        accountId: String, store: any IdentityStore, sealer: SessionTokenSealer, audit: AuditTrail,
        log: EventLog, now: @escaping @Sendable () -> Date
    ) {
        self.accountId = accountId
        self.store = store
        self.sealer = sealer
        self.audit = audit
        self.log = log
        self.now = now
        cache = IdentityCache(version: store.version)
    }

    // MARK: Store access

    /// Runs a store call, turning rule violations into their RAM errors and engine failures into 500s.
    func storeCall<T>(_ body: () throws(StoreError) -> T) throws(RPCError) -> T {
        do {
            return try body()
        } catch {
            throw rpcError(error)
        }
    }

    func rpcError(_ error: StoreError) -> RPCError {
        if error.isStorageFailure {
            log.log("error", "store failure", [("error", error.message)])
            return .internalError()
        }
        let conflicts = ["EntityAlreadyExists.", "DeleteConflict.", "LimitExceeded."]
        let status: Int
        if error.code.hasPrefix("EntityNotExist.") {
            status = 404
        } else if conflicts.contains(where: { error.code.hasPrefix($0) }) {
            status = 409
        } else {
            status = 400
        }
        return RPCError(status: status, code: error.code, message: error.message)
    }

    // MARK: Credentials

    /// Resolves a signing AccessKeyId (and for `STS.` keys its SecurityToken) to the caller and secret.
    /// STS keys are opened and their secret derived; the only lookup, the session's role (which must still exist
    /// with the RoleId the token carries), is cached.
    func credentials(accessKeyId: String, securityToken: String?) throws(RPCError) -> ResolvedCredentials {
        if let securityToken, !securityToken.isEmpty {
            return try sessionCredentials(accessKeyId: accessKeyId, token: securityToken)
        }
        if accessKeyId.hasPrefix("STS.") {
            throw RPCError(status: 400, code: "MissingSecurityToken", message: "SecurityToken is mandatory for this action.")
        }
        let version = store.version
        let key = try cache.key(accessKeyId, version: version) { () throws(RPCError) in
            guard let record = try storeCall({ () throws(StoreError) in try store.accessKey(id: accessKeyId) }) else {
                return nil
            }
            guard let secret = sealer.openSecret(record.sealedSecret, accessKeyId: accessKeyId) else {
                log.log("error", "stored AccessKey secret does not decrypt", [("accessKeyId", accessKeyId)])
                throw .internalError()
            }
            let caller: Caller
            if let userName = record.userName {
                guard let user = try storeCall({ () throws(StoreError) in try store.user(named: userName) }) else {
                    return nil
                }
                caller = .user(accountId: accountId, userName: user.userName, userId: user.userId)
            } else {
                caller = .root(accountId: accountId)
            }
            return CachedKey(caller: caller, secret: secret, status: record.status)
        }
        guard let key else {
            throw RPCError(status: 404, code: "InvalidAccessKeyId.NotFound", message: "Specified access key is not found.")
        }
        guard key.status == .active else {
            throw RPCError(status: 400, code: "InvalidAccessKeyId.Inactive", message: "Specified access key is disabled.")
        }
        return ResolvedCredentials(caller: key.caller, secret: key.secret)
    }

    private func sessionCredentials(accessKeyId: String, token: String) throws(RPCError) -> ResolvedCredentials {
        let opened: (claims: SessionClaims, keyId: UInt8)
        do {
            opened = try sealer.open(token)
        } catch {
            throw RPCError(
                status: 400, code: "InvalidSecurityToken.Malformed", message: "Specified SecurityToken is malformed.")
        }
        let claims = opened.claims
        guard claims.accountId == accountId else {
            throw RPCError(
                status: 400, code: "InvalidSecurityToken.Malformed", message: "Specified SecurityToken is malformed.")
        }
        guard claims.accessKeyId == accessKeyId else {
            throw RPCError(
                status: 400, code: "InvalidSecurityToken.MismatchWithAccessKey",
                message: "Specified SecurityToken mismatch with the AccessKey.")
        }
        let current = now()
        guard claims.expiration > current else {
            throw RPCError(status: 400, code: "InvalidSecurityToken.Expired", message: "Specified SecurityToken is expired.")
        }
        guard let secret = sealer.sessionSecret(accessKeyId: accessKeyId, keyId: opened.keyId) else {
            throw RPCError(
                status: 400, code: "InvalidSecurityToken.Malformed", message: "Specified SecurityToken is malformed.")
        }
        // A session is bound to the RoleId it was issued for: once that role is deleted (even if a new role
        // took its name) the session is dead. The lookup is cached per store version.
        guard let role = try self.role(named: claims.roleName), role.record.roleId == claims.roleId else {
            throw RPCError.roleOfSessionDeleted
        }
        let caller = Caller.roleSession(
            accountId: claims.accountId, roleName: claims.roleName, roleId: claims.roleId,
            sessionName: claims.sessionName, expiration: claims.expiration)
        var sessionPolicy: Policy?
        if let document = claims.sessionPolicy {
            // The document was validated when the token was issued; if it no longer parses, fail closed
            // with a policy that allows nothing rather than dropping the restriction.
            let parsed = cache.sessionPolicy(document) ?? Self.allowNothing
            sessionPolicy = parsed
        }
        return ResolvedCredentials(caller: caller, secret: secret, sessionPolicy: sessionPolicy)
    }

    private static let allowNothing: Policy = {
        do {
            return try Policy(parsing: #"{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#)
        } catch {
            fatalError("built-in deny-all policy does not parse: \(error)")
        }
    }()

    // MARK: Authorization

    /// The caller's identity policies as of now: a user's attached policies, a role session's role's.
    func identityPolicies(_ principal: PolicyPrincipal) throws(RPCError) -> [Policy] {
        try cache.policies(principal, version: store.version) { () throws(RPCError) in
            let attached = try storeCall { () throws(StoreError) in try store.attachedPolicies(principal) }
            var policies: [Policy] = []
            policies.reserveCapacity(attached.count)
            for item in attached {
                switch item.attachment.policyKind {
                case .system:
                    if let system = SystemPolicies.named(item.attachment.policyName) { policies.append(system.policy) }
                case .custom:
                    if let document = item.document, let policy = try? Policy(parsing: document, as: .identity) {
                        policies.append(policy)
                    }
                }
            }
            return policies
        }
    }

    /// Evaluates `request` for `caller`: root always allowed; a user by its policies; a role session by its
    /// role's policies intersected with each of `sessionPolicies`. A store failure denies.
    func authorize(_ caller: Caller, sessionPolicies: [Policy], _ request: AuthorizationRequest) -> Decision {
        let principal: PolicyPrincipal
        switch caller {
        case .root: return .allow
        case .user(_, let userName, _): principal = .user(userName)
        case .roleSession(_, let roleName, _, _, _): principal = .role(roleName)
        }
        guard let identity = try? identityPolicies(principal) else { return .implicitDeny }
        guard !sessionPolicies.isEmpty else {
            return PolicyEvaluator.evaluate(identityPolicies: identity, sessionPolicy: nil, request: request)
        }
        var decision = Decision.allow
        for sessionPolicy in sessionPolicies {
            switch PolicyEvaluator.evaluate(identityPolicies: identity, sessionPolicy: sessionPolicy, request: request) {
            case .explicitDeny: return .explicitDeny
            case .implicitDeny: decision = .implicitDeny
            case .allow: break
            }
        }
        return decision
    }

    /// The session policies to apply for a caller known only by its ``Caller`` value.
    // MARK: Roles and sessions

    /// The role (any casing) with its parsed trust policy, or nil.
    func role(named name: String) throws(RPCError) -> CachedRole? {
        try cache.role(name, version: store.version) { () throws(RPCError) in
            guard let record = try storeCall({ () throws(StoreError) in try store.role(named: name) }) else {
                return nil
            }
            return CachedRole(record: record, trust: try? Policy(parsing: record.assumeRolePolicyDocument, as: .trust))
        }
    }

    /// Mints a session of `role`: a fresh `STS.` AccessKeyId, its derived secret, and the sealed token.
    func issueSession(role: RoleRecord, sessionName: String, duration: Int, policyDocument: String?)
        -> IssuedCredentials
    {
        let issuedAt = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
        let expiration = issuedAt.addingTimeInterval(TimeInterval(duration))
        let accessKeyId = Identifiers.stsAccessKeyId()
        let claims = SessionClaims(
            accessKeyId: accessKeyId, accountId: accountId, roleName: role.roleName, roleId: role.roleId,
            sessionName: sessionName, expiration: expiration, issuedAt: issuedAt, sessionPolicy: policyDocument)
        let token = sealer.seal(claims)
        let secret = sealer.sessionSecret(accessKeyId: accessKeyId) ?? ""
        metrics.sessionIssued()
        return IssuedCredentials(
            accessKeyId: accessKeyId, accessKeySecret: secret, securityToken: token, expiration: expiration)
    }

    /// `acs:ram::<account>:role/<name>`.
    func roleArn(_ roleName: String) -> String { "acs:ram::\(accountId):role/\(roleName)" }

    /// RAM's resource name in policies: `acs:ram:*:<account>:<relative>`.
    func ramResource(_ relative: String) -> String { "acs:ram:*:\(accountId):\(relative)" }
}

/// Validation shared by AssumeRole and sessions minted for pods.
enum SessionRules {
    /// RoleSessionName: 2–64 of letters, digits, `.`, `@`, `-`, `_`.
    static func isValidSessionName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (2...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_")
        }
    }

    static let invalidSessionName = RPCError(
        status: 400, code: "InvalidParameter.RoleSessionName",
        message: "The parameter RoleSessionName is wrongly formed.")

    /// Session policies: at most this many bytes.
    static let maximumPolicyBytes = 2048
}

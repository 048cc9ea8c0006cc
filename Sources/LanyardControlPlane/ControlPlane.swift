import AlibabaCloudSigning
import Foundation
import LanyardPolicy
import LanyardHTTP
import LanyardStore

/// How to run the control plane.
public struct ControlPlaneConfiguration: Sendable {
    /// The data directory (store, token key, root credentials, audit trail, instance lock).
    public var dataDirectory: String
    /// The region this endpoint claims to be (`cn-hangzhou` by default).
    public var region: String
    /// Where JSON log lines go (stderr by default).
    public var logSink: LogSink
    /// Whether every RPC request gets a log line (errors and startup are logged regardless).
    public var logRequests: Bool
    /// The clock (tests move it to expire tokens and timestamps).
    public var clock: @Sendable () -> Date

    /// A configuration with the defaults of `lanyard up`.
    public init(
        dataDirectory: String, region: String = "cn-hangzhou", logSink: LogSink = .standardError,
        logRequests: Bool = true, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.dataDirectory = dataDirectory
        self.region = region
        self.logSink = logSink
        self.logRequests = logRequests
        self.clock = clock
    }
}

/// The control plane: the account and its identities (RAM), role sessions (STS), and the POP RPC API that
/// serves them, plus what other server parts need: credential resolution, authorization, and sessions for
/// pods.
///
/// One instance owns its data directory (an exclusive lock); a second one on the same directory fails with
/// `DataDirectoryLocked`.
public final class ControlPlane: Sendable {
    let core: ControlPlaneCore
    private let registry = ServiceRegistry()
    private let instanceLock: InstanceLock
    private let sqliteStore: SQLiteIdentityStore
    private let logRequests: Bool

    /// The account id and the root AccessKey.
    public let account: AccountInfo
    /// The region this endpoint serves (from the configuration).
    public let region: String

    /// Opens the data directory: takes the instance lock, reads or creates the token key, opens the store,
    /// and on first start creates the account and its root AccessKey (written once to
    /// `<data>/root-credentials.json`, mode 0600).
    public init(configuration: ControlPlaneConfiguration) throws(ControlPlaneError) {
        let directory = try DataDirectory(path: configuration.dataDirectory)
        instanceLock = try directory.lock()
        let log = EventLog(sink: configuration.logSink, now: configuration.clock)
        region = configuration.region
        do throws(ControlPlaneError) {
            let masterKey = try directory.masterKey()
            let ring = KeyRing(masterKey: masterKey, keyId: 1)
            let sealer = SessionTokenSealer(current: ring, all: [ring])
            let store: SQLiteIdentityStore
            do {
                store = try SQLiteIdentityStore(path: directory.storePath)
            } catch {
                throw ControlPlaneError(code: "StoreFailure", message: "cannot open \(directory.storePath): \(error.message)")
            }
            sqliteStore = store
            let account = try Self.bootstrap(store: store, sealer: sealer, directory: directory, clock: configuration.clock,
                                             log: log)
            self.account = account
            let audit = try AuditTrail(path: directory.auditPath, now: configuration.clock)
            core = ControlPlaneCore(
                accountId: account.accountId, store: store, sealer: sealer, audit: audit,
                log: log, now: configuration.clock)
            logRequests = configuration.logRequests
        } catch {
            instanceLock.release()
            throw error
        }
        registry.register(version: RAMService.version, product: "Ram", service: RAMService(core: core))
        registry.register(version: STSService.version, product: "Sts", service: STSService(core: core))
        log.log("info", "control plane ready", [("dataDirectory", directory.path), ("accountId", account.accountId)])
    }

    /// Creates the account and root key on first start; returns the account with its root key.
    private static func bootstrap(
        store: SQLiteIdentityStore, sealer: SessionTokenSealer, directory: DataDirectory,
        clock: @Sendable () -> Date, log: EventLog
    ) throws(ControlPlaneError) -> AccountInfo {
        do {
            if let existing = try store.account() {
                guard let key = try store.accessKeys(userName: nil).first(where: { $0.status == .active }),
                    let secret = sealer.openSecret(key.sealedSecret, accessKeyId: key.accessKeyId)
                else {
                    throw ControlPlaneError(
                        code: "StoreFailure",
                        message: "the account has no usable root AccessKey (or token.key does not match the store)")
                }
                return AccountInfo(accountId: existing.accountId, accessKeyId: key.accessKeyId, accessKeySecret: secret)
            }
            let created = Date(timeIntervalSince1970: clock().timeIntervalSince1970.rounded(.down))
            let account = AccountInfo(
                accountId: Identifiers.decimal(digits: 16), accessKeyId: Identifiers.accessKeyId(),
                accessKeySecret: Identifiers.accessKeySecret())
            try store.createAccount(
                AccountRecord(accountId: account.accountId, createDate: created),
                rootKey: AccessKeyRecord(
                    accessKeyId: account.accessKeyId, userName: nil,
                    sealedSecret: sealer.sealSecret(account.accessKeySecret, accessKeyId: account.accessKeyId),
                    status: .active, createDate: created))
            try directory.writeRootCredentials(account)
            log.log(
                "info", "account created",
                [("accountId", account.accountId), ("rootAccessKeyId", account.accessKeyId),
                 ("rootCredentials", directory.rootCredentialsPath)])
            return account
        } catch let error as ControlPlaneError {
            throw error
        } catch let error as StoreError {
            throw ControlPlaneError(code: "StoreFailure", message: error.message)
        } catch {
            throw ControlPlaneError(code: "StoreFailure", message: "\(error)")
        }
    }

    /// Releases the data directory: closes the store and the audit trail and drops the instance lock.
    /// Requests handled afterwards fail with `InternalError`.
    public func close() {
        sqliteStore.close()
        core.audit.close()
        instanceLock.release()
    }

    /// The RPC API (RAM, STS and registered services) and `GET /metrics`.
    public var handler: any HTTPHandler {
        RPCPipeline(core: core, registry: registry, logRequests: logRequests)
    }

    /// The Prometheus text of the API metrics (what `GET /metrics` serves).
    public var metricsText: String { core.metrics.render() }

    /// Appends another part's Prometheus text (e.g. the object service's) to what `GET /metrics` serves.
    public func addMetrics(_ source: @escaping @Sendable () -> String) {
        core.metrics.add(source: source)
    }

    /// Appends an event to the audit trail `<data>/audit.jsonl` (for refusals and credentials issued by
    /// other server parts, e.g. the object service). Never pass a secret or a whole token.
    public func audit(_ event: AuditEvent) {
        core.audit.record(event)
    }

    /// Per-connection memory the API server should be given (``LanyardHTTP/HTTPServerConfiguration``): large
    /// enough that a request line or header block the pipeline refuses itself (in the POP JSON shape) reaches
    /// it, instead of libmicrohttpd's HTML 414/431. Fits a 6 KB policy sent percent-encoded in the query.
    public static let connectionMemoryLimit = 256 * 1024

    /// Adds an RPC service for an API `Version` (e.g. ECI `2018-08-08`, product `Eci`).
    public func register(version: String, product: String, service: any RPCService) {
        registry.register(version: version, product: product, service: service)
    }

    /// Resolves an AccessKeyId (with its SecurityToken for `STS.` keys) to the caller and signing secret.
    /// STS keys are resolved from the token and a cached lookup of its role, which must still exist with the
    /// token's RoleId (else 403 ``RPCError/roleOfSessionDeleted``).
    public func credentials(accessKeyId: String, securityToken: String?) throws(RPCError) -> ResolvedCredentials {
        try core.credentials(accessKeyId: accessKeyId, securityToken: securityToken)
    }

    /// Evaluates the caller's current policies (a user's; a role session's role's, intersected with its
    /// session policy from ``ResolvedCredentials/sessionPolicy`` or ``RPCRequest/sessionPolicy``).
    /// Root: always allowed.
    public func authorize(_ caller: Caller, sessionPolicy: Policy?, _ request: AuthorizationRequest) -> Decision {
        core.authorize(caller, sessionPolicies: sessionPolicy.map { [$0] } ?? [], request)
    }

    /// Evaluates for resolved credentials, including their session policy.
    public func authorize(_ credentials: ResolvedCredentials, _ request: AuthorizationRequest) -> Decision {
        authorize(credentials.caller, sessionPolicy: credentials.sessionPolicy, request)
    }

    /// What the trust policy of role `roleName` says about `principal` assuming it, or nil when there is no
    /// such role. A stored trust document that no longer parses denies.
    public func trustDecision(roleName: String, principal: TrustPrincipal) throws(RPCError) -> Decision? {
        guard let role = try core.role(named: roleName) else { return nil }
        return role.trust?.evaluateTrust(principal: principal, context: [:]) ?? .implicitDeny
    }

    /// The RoleId of role `roleName` (any casing), or nil when there is no such role. Cached per store version.
    public func roleId(named roleName: String) throws(RPCError) -> String? {
        try core.role(named: roleName)?.record.roleId
    }

    /// Mints an STS session for a role without a calling principal (the node, for a pod after admission).
    ///
    /// - Parameters:
    ///   - roleId: when given, the role must still be this one (a role deleted and created again under the same
    ///     name is another role): else 404 `EntityNotExist.Role`.
    ///   - duration: seconds, 900...43200 (not capped by the role's MaxSessionDuration, like the
    ///     credentials the metadata service hands to instances).
    ///   - policy: an optional session policy document (JSON), validated here; the token carries its text.
    public func issueRoleSession(
        roleName: String, roleId: String? = nil, sessionName: String, duration: TimeInterval, policy: String? = nil
    ) throws(RPCError) -> IssuedCredentials
    {
        guard SessionRules.isValidSessionName(sessionName) else { throw SessionRules.invalidSessionName }
        let seconds = Int(duration)
        guard (900...43200).contains(seconds) else {
            throw RPCError(
                status: 400, code: "InvalidParameter.DurationSeconds",
                message: "The Min/Max value of DurationSeconds is 15min/12hr.")
        }
        if let policy {
            guard policy.utf8.count <= SessionRules.maximumPolicyBytes else {
                throw RPCError(
                    status: 400, code: "InvalidParameter.PolicySize",
                    message: "The size of Policy must be smaller than \(SessionRules.maximumPolicyBytes) bytes.")
            }
            do {
                _ = try Policy(parsing: policy, as: .identity)
            } catch {
                throw RPCError(
                    status: 400, code: "InvalidParameter.PolicyGrammar",
                    message: "The parameter Policy has not passed grammar check. \(error.message)")
            }
        }
        guard let role = try core.role(named: roleName), roleId == nil || role.record.roleId == roleId else {
            throw RPCError(status: 404, code: "EntityNotExist.Role", message: "The specified Role not exists.")
        }
        let credentials = core.issueSession(
            role: role.record, sessionName: sessionName, duration: seconds, policyDocument: policy)
        core.audit.record(
            "IssueRoleSession",
            [
                ("caller", "lanyard-node"), ("roleArn", core.roleArn(role.record.roleName)),
                ("roleSessionName", sessionName), ("issuedAccessKeyId", credentials.accessKeyId),
                ("expiration", SigningTime.iso8601(credentials.expiration)), ("sessionPolicy", policy != nil),
            ])
        return credentials
    }
}

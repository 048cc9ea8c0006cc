/// Who asks to assume a role, for trust-policy evaluation.
public struct TrustPrincipal: Sendable, Hashable, CustomStringConvertible {
    fileprivate enum Kind: Sendable, Hashable {
        case ram
        case service
        case federated
    }

    fileprivate let kind: Kind
    /// RAM ARN (`acs:ram::<uid>:user/<u>`, `…:role/<r>`, `…:root`), service name, or provider ARN.
    fileprivate let identifier: String
    /// For RAM principals: `acs:ram::<uid>:root`, which `:root` entries in a trust policy are matched against.
    fileprivate let accountRoot: String?

    private init(kind: Kind, identifier: String, accountRoot: String?) {
        self.kind = kind
        self.identifier = identifier
        self.accountRoot = accountRoot
    }

    private static func ram(_ accountId: String, _ relative: String) -> TrustPrincipal {
        TrustPrincipal(kind: .ram, identifier: "acs:ram::\(accountId):\(relative)", accountRoot: "acs:ram::\(accountId):root")
    }

    /// A RAM user of `accountId`.
    public static func ramUser(accountId: String, userName: String) -> TrustPrincipal {
        ram(accountId, "user/\(userName)")
    }

    /// A session of RAM role `roleName` in `accountId` (a role session assuming another role).
    public static func ramRole(accountId: String, roleName: String) -> TrustPrincipal {
        ram(accountId, "role/\(roleName)")
    }

    /// The account itself (its root identity).
    public static func account(accountId: String) -> TrustPrincipal {
        ram(accountId, "root")
    }

    /// A cloud service, e.g. `ecs.aliyuncs.com`.
    public static func service(_ name: String) -> TrustPrincipal {
        TrustPrincipal(kind: .service, identifier: name, accountRoot: nil)
    }

    /// An identity provider, e.g. `acs:ram::<uid>:saml-provider/<p>` or `…:oidc-provider/<p>`.
    public static func federated(_ providerArn: String) -> TrustPrincipal {
        TrustPrincipal(kind: .federated, identifier: providerArn, accountRoot: nil)
    }

    /// The principal's ARN (RAM, Federated) or service name.
    public var description: String { identifier }
}

/// A statement's compiled `Principal` element.
///
/// Matching rules:
/// - `"Principal": "*"` matches every principal of every kind.
/// - `RAM` entries are ARN patterns matched case-sensitively, field by field (`ARNPattern`), with `*`/`?`
///   wildcards. An entry ending in
///   `:root` (e.g. `acs:ram::<uid>:root`, or `acs:ram::*:root`) names an account: it matches the account
///   itself and every RAM user and role session of that account. Other entries match the principal's own
///   ARN (`acs:ram::<uid>:user/<u>`, `acs:ram::<uid>:role/<r>`); `"*"` matches any RAM principal.
/// - `Service` entries match service names ignoring ASCII case (they are DNS names).
/// - `Federated` entries match provider ARNs like RAM entries (case-sensitive, field by field).
struct PrincipalMatcher: Sendable, Hashable {
    private let everyone: Bool
    private let accounts: ARNPatternList
    private let ramArns: ARNPatternList
    private let services: PatternList
    private let federated: ARNPatternList

    static let anyone = PrincipalMatcher(everyone: true, accounts: [], ramArns: [], services: [], federated: [])

    private init(everyone: Bool, accounts: [String], ramArns: [String], services: [String], federated: [String]) {
        self.everyone = everyone
        self.accounts = ARNPatternList(accounts)
        self.ramArns = ARNPatternList(ramArns)
        self.services = PatternList(services, foldsCase: true)
        self.federated = ARNPatternList(federated)
    }

    /// Compiles a `Principal` value: `"*"` or an object with any of `RAM`, `Service`, `Federated`, each a
    /// non-empty string or non-empty array of non-empty strings.
    static func compile(_ value: JSONValue, location: String) throws(PolicyError) -> PrincipalMatcher {
        switch value {
        case .string("*"):
            return .anyone
        case .object(let members):
            guard !members.isEmpty else { throw .malformed("\(location): Principal must not be empty") }
            var accounts: [String] = []
            var ramArns: [String] = []
            var services: [String] = []
            var federated: [String] = []
            for (kind, entries) in members {
                let values = try Statement.stringList(entries, element: "Principal \(kind)", location: location)
                switch kind {
                case "RAM":
                    for entry in values {
                        guard entry == "*" || entry.hasPrefix("acs:ram:") else {
                            throw .malformed("\(location): Principal RAM must be an acs:ram ARN or *: \(entry)")
                        }
                        if entry.hasSuffix(":root") { accounts.append(entry) } else { ramArns.append(entry) }
                    }
                case "Service": services += values
                case "Federated": federated += values
                default: throw .malformed("\(location): Unknown principal type: \(kind)")
                }
            }
            return PrincipalMatcher(
                everyone: false, accounts: accounts, ramArns: ramArns, services: services, federated: federated)
        default:
            throw .malformed("\(location): Principal must be \"*\" or an object of RAM, Service and Federated")
        }
    }

    /// True when `principal` is among those this element names.
    func matches(_ principal: TrustPrincipal) -> Bool {
        if everyone { return true }
        switch principal.kind {
        case .ram:
            if ramArns.matches(principal.identifier) { return true }
            guard let root = principal.accountRoot else { return false }
            return accounts.matches(root)
        case .service:
            var identifier = principal.identifier
            return identifier.withUTF8 { withFoldedASCII($0) { services.matches($0) } }
        case .federated:
            return federated.matches(principal.identifier)
        }
    }
}

extension Policy {
    /// Trust policy check: a statement whose Action matches `sts:AssumeRole` (wildcards and NotAction
    /// honoured, case-insensitive), whose Principal matches `principal` and whose conditions hold in
    /// `context` (e.g. `sts:ExternalId`). A matching Deny wins; statements without a Principal are ignored,
    /// and so is Resource.
    public func evaluateTrust(principal: TrustPrincipal, context: [String: [String]]) -> Decision {
        var action = "sts:assumerole"
        return action.withUTF8 { actionBytes in
            func applies(_ statement: Statement) -> Bool {
                guard let principals = statement.principals, statement.matchesAction(actionBytes),
                      principals.matches(principal)
                else { return false }
                return statement.conditionsHold(in: context)
            }
            if denyStatements.contains(where: applies) { return .explicitDeny }
            return allowStatements.contains(where: applies) ? .allow : .implicitDeny
        }
    }
}

/// A RAM policy document, parsed and validated once into a compiled form that evaluates without parsing
/// or allocating per request.
///
/// Document rules enforced (each violation is a `MalformedPolicyDocument` error naming the place):
/// - Top level: an object with exactly `Version` (the string `"1"`) and `Statement` (one statement object or
///   a non-empty array of them). Member names are case-sensitive; unknown members and duplicate names are
///   refused.
/// - Statement: `Effect` (`Allow` | `Deny`); exactly one of `Action` / `NotAction`; at most one of `Resource`
///   / `NotResource` (one is required unless the statement has a `Principal`, as trust policies omit
///   Resource); optional `Condition`, `Principal`, `Sid`. Every list is a string or a non-empty array of
///   non-empty strings: an empty array (`"Action": []`) is refused rather than silently matching nothing
///   (or, under `NotAction`, everything).
/// - Actions are `*` or `<service>:<name>`; resources are `*` or start with `acs:`.
///
/// Matching rules:
/// - `*` matches any run of characters (including none), `?` exactly one character, in every element.
/// - Actions match ignoring ASCII case, both the service prefix and the API name (`oss:getobject` ≡
///   `OSS:GetObject`): the spec says action values are case-insensitive.
/// - Resources match case-sensitively: the relative part holds OSS object keys and RAM names, and OSS keys
///   are case-sensitive (`dir/A.txt` ≠ `dir/a.txt`), so a pattern for one must not grant the other.
/// - Resource patterns of the form `acs:<service>:<region>:<account>:<relative-id>` match field by field, so
///   a `*` in the region or account cannot reach into the relative id (see `ARNPattern`).
public struct Policy: Sendable, Hashable {
    /// What a document is meant to be, for the stricter checks of `init(parsing:as:)`.
    public enum Kind: Sendable, Hashable {
        /// Attached to users and roles, or given as a session policy: no `Principal`, `Resource` required.
        case identity
        /// A role's trust policy: every statement names a `Principal`.
        case trust
    }

    let denyStatements: [Statement]
    let allowStatements: [Statement]

    /// Parses and validates a document that may be an identity or a trust policy.
    public init(parsing json: String) throws(PolicyError) {
        try self.init(parsing: json, kind: nil)
    }

    /// Parses and validates a document of a known kind (e.g. CreatePolicy → `.identity`, CreateRole →
    /// `.trust`), additionally refusing statements that do not fit that kind.
    public init(parsing json: String, as kind: Kind) throws(PolicyError) {
        try self.init(parsing: json, kind: kind)
    }

    private init(parsing json: String, kind: Kind?) throws(PolicyError) {
        guard case .object(let members) = try JSONParser.parse(json) else {
            throw .malformed("Policy document must be a JSON object")
        }
        var version: JSONValue?
        var statementValue: JSONValue?
        for (name, value) in members {
            switch name {
            case "Version": version = value
            case "Statement": statementValue = value
            default: throw .malformed("Unknown policy element: \(name)")
            }
        }
        guard let version else { throw .malformed("Missing Version") }
        guard case .string("1") = version else { throw .malformed("Unsupported policy version: Version must be \"1\"") }
        guard let statementValue else { throw .malformed("Missing Statement") }
        let statementObjects: [JSONValue]
        switch statementValue {
        case .array(let elements):
            guard !elements.isEmpty else { throw .malformed("Statement must not be empty") }
            statementObjects = elements
        case .object:
            statementObjects = [statementValue]
        default:
            throw .malformed("Statement must be an object or an array of objects")
        }
        var denies: [Statement] = []
        var allows: [Statement] = []
        for (index, object) in statementObjects.enumerated() {
            let (effect, statement) = try Statement.compile(object, location: "Statement[\(index)]", kind: kind)
            if effect == .deny { denies.append(statement) } else { allows.append(statement) }
        }
        denyStatements = denies
        allowStatements = allows
    }

    /// Evaluates this policy alone: a matching Deny statement → `.explicitDeny`; else a matching Allow →
    /// `.allow`; else `.implicitDeny`. `Principal` elements are not consulted here (see `evaluateTrust`).
    public func evaluate(_ request: AuthorizationRequest) -> Decision {
        request.withPrepared { prepared in
            if denies(prepared) { return .explicitDeny }
            return allows(prepared) ? .allow : .implicitDeny
        }
    }

    @inline(__always)
    func denies(_ request: PreparedRequest) -> Bool {
        Statement.anyApplies(denyStatements, to: request)
    }

    @inline(__always)
    func allows(_ request: PreparedRequest) -> Bool {
        Statement.anyApplies(allowStatements, to: request)
    }
}

/// The outcome of evaluating policies for one request.
public enum Decision: Sendable, Hashable {
    /// A matching Allow and no matching Deny.
    case allow
    /// A matching Deny statement: final, nothing else can allow.
    case explicitDeny
    /// Nothing allowed the request (the default).
    case implicitDeny
}

/// One request to authorize: an action on a resource, with condition keys.
public struct AuthorizationRequest: Sendable {
    /// `<service>:<Api>`, e.g. `oss:GetObject`, `ram:CreateUser`, `sts:AssumeRole`, `ram:PassRole`.
    public var action: String
    /// The resource ARN, e.g. `acs:oss:*:1234567890123456:bucket/key`, `acs:ram:*:<acct>:role/R`.
    public var resource: String
    /// Condition keys (matched ignoring ASCII case) to their values, e.g. `acs:SourceIp`, `acs:CurrentTime`
    /// (ISO 8601), `acs:SecureTransport` (`true`/`false`), `acs:AccessId`, `acs:UserAgent`, `oss:Prefix`.
    /// Absent keys are simply not present; a key with an empty list counts as absent.
    public var context: [String: [String]]

    /// Creates a request.
    public init(action: String, resource: String, context: [String: [String]] = [:]) {
        self.action = action
        self.resource = resource
        self.context = context
    }

    /// Runs `body` with the action ASCII-lower-cased once (in stack memory) and the resource as contiguous
    /// UTF-8 (free for native strings).
    @inline(__always)
    func withPrepared(_ body: (PreparedRequest) -> Decision) -> Decision {
        var action = action
        var resource = resource
        return action.withUTF8 { actionBytes in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(actionBytes.count, 1)) { buffer in
                for i in 0..<actionBytes.count { buffer[i] = foldASCII(actionBytes[i]) }
                let foldedAction = UnsafeBufferPointer(rebasing: buffer[0..<actionBytes.count])
                return resource.withUTF8 { resourceBytes in
                    body(PreparedRequest(
                        action: foldedAction, resource: resourceBytes, resourceFields: ARNFields(resourceBytes),
                        context: context))
                }
            }
        }
    }
}

/// A request's bytes, valid only inside `AuthorizationRequest.withPrepared`.
struct PreparedRequest {
    /// ASCII-lower-cased.
    let action: UnsafeBufferPointer<UInt8>
    let resource: UnsafeBufferPointer<UInt8>
    let resourceFields: ARNFields?
    let context: [String: [String]]
}

/// Combines the policies that apply to one caller.
public enum PolicyEvaluator {
    /// Identity policies (a user's, or a role's attached ones) are combined: any explicit Deny →
    /// `.explicitDeny`, else any Allow → allowed. For role sessions with a session policy, the session
    /// policy must also Allow (the session's permissions are the intersection), and its Deny statements
    /// deny too. With no identity policies nothing is allowed.
    public static func evaluate(identityPolicies: [Policy], sessionPolicy: Policy?, request: AuthorizationRequest) -> Decision {
        request.withPrepared { prepared in
            for policy in identityPolicies where policy.denies(prepared) { return .explicitDeny }
            if let sessionPolicy, sessionPolicy.denies(prepared) { return .explicitDeny }
            var identityAllows = false
            for policy in identityPolicies where policy.allows(prepared) {
                identityAllows = true
                break
            }
            guard identityAllows else { return .implicitDeny }
            if let sessionPolicy, !sessionPolicy.allows(prepared) { return .implicitDeny }
            return .allow
        }
    }
}

/// A compiled statement (its Effect decides which list of the policy it lives in).
///
/// A final class with immutable fields rather than a struct: the evaluation loop can then read a statement
/// in place, where a struct element would be copied out of the array (retaining each array it holds) on
/// every iteration.
final class Statement: Sendable, Hashable {
    enum Effect {
        case allow
        case deny
    }

    private let actions: PatternList
    private let actionsNegated: Bool
    /// `*` when the statement has no Resource element (trust statements).
    private let resources: ARNPatternList
    private let resourcesNegated: Bool
    let principals: PrincipalMatcher?
    private let conditions: [Condition]

    private init(actions: PatternList, actionsNegated: Bool, resources: ARNPatternList, resourcesNegated: Bool,
                 principals: PrincipalMatcher?, conditions: [Condition]) {
        self.actions = actions
        self.actionsNegated = actionsNegated
        self.resources = resources
        self.resourcesNegated = resourcesNegated
        self.principals = principals
        self.conditions = conditions
    }

    static func == (a: Statement, b: Statement) -> Bool {
        a.actions == b.actions && a.actionsNegated == b.actionsNegated && a.resources == b.resources
            && a.resourcesNegated == b.resourcesNegated && a.principals == b.principals && a.conditions == b.conditions
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(actions)
        hasher.combine(actionsNegated)
        hasher.combine(resources)
        hasher.combine(resourcesNegated)
        hasher.combine(principals)
        hasher.combine(conditions)
    }

    /// `action` must be ASCII-lower-cased.
    @inline(__always)
    func matchesAction(_ action: UnsafeBufferPointer<UInt8>) -> Bool {
        actions.matches(action) != actionsNegated
    }

    @inline(__always)
    func conditionsHold(in context: [String: [String]]) -> Bool {
        conditions.withUnsafeBufferPointer { conditions in
            for index in conditions.indices where !conditions[index].holds(in: context) { return false }
            return true
        }
    }

    /// Whether any of `statements` applies. The array keeps every statement alive for the whole loop, so each
    /// one is used as a guaranteed (+0) reference: no retain/release pair per statement on the hot path.
    @inline(__always)
    static func anyApplies(_ statements: [Statement], to request: PreparedRequest) -> Bool {
        statements.withUnsafeBufferPointer { statements in
            for index in statements.indices
            where Unmanaged.passUnretained(statements[index])._withUnsafeGuaranteedRef({ $0.applies(to: request) }) {
                return true
            }
            return false
        }
    }

    @inline(__always)
    func applies(to request: PreparedRequest) -> Bool {
        guard matchesAction(request.action) else { return false }
        guard resources.matches(request.resource, fields: request.resourceFields) != resourcesNegated else { return false }
        return conditionsHold(in: request.context)
    }

    /// Validates and compiles one statement object.
    static func compile(_ value: JSONValue, location: String, kind: Policy.Kind?) throws(PolicyError) -> (Effect, Statement) {
        guard case .object(let members) = value else {
            throw .malformed("\(location): a statement must be an object, not \(value.typeName)")
        }
        var effect: Effect?
        var action: (values: [String], negated: Bool)?
        var resource: (values: [String], negated: Bool)?
        var principals: PrincipalMatcher?
        var conditions: [Condition] = []
        for (name, element) in members {
            switch name {
            case "Effect":
                switch element {
                case .string("Allow"): effect = .allow
                case .string("Deny"): effect = .deny
                default: throw .malformed("\(location): Effect must be \"Allow\" or \"Deny\"")
                }
            case "Action", "NotAction":
                guard action == nil else { throw .malformed("\(location): Action and NotAction are mutually exclusive") }
                let values = try stringList(element, element: name, location: location)
                for value in values where value != "*" {
                    guard let colon = value.firstIndex(of: ":"), colon != value.startIndex else {
                        throw .malformed("\(location): \(name) must be * or <service>:<action>: \(value)")
                    }
                }
                action = (values, name == "NotAction")
            case "Resource", "NotResource":
                guard resource == nil else { throw .malformed("\(location): Resource and NotResource are mutually exclusive") }
                let values = try stringList(element, element: name, location: location)
                for value in values where value != "*" && !value.hasPrefix("acs:") {
                    throw .malformed("\(location): \(name) must be * or an acs: resource name: \(value)")
                }
                resource = (values, name == "NotResource")
            case "Principal":
                principals = try PrincipalMatcher.compile(element, location: location)
            case "Condition":
                conditions = try Condition.compileBlock(element, location: location)
            case "Sid":
                guard case .string = element else { throw .malformed("\(location): Sid must be a string") }
            default:
                throw .malformed("\(location): Unknown statement element: \(name)")
            }
        }
        guard let effect else { throw .malformed("\(location): Missing Effect") }
        guard let action else { throw .malformed("\(location): Missing Action (one of Action or NotAction is required)") }
        switch kind {
        case .identity?:
            if principals != nil { throw .malformed("\(location): Principal is not allowed in this policy") }
        case .trust?:
            if principals == nil { throw .malformed("\(location): Missing Principal") }
        case nil:
            break
        }
        if resource == nil && principals == nil {
            throw .malformed("\(location): Missing Resource (one of Resource or NotResource is required)")
        }
        let statement = Statement(
            actions: PatternList(action.values, foldsCase: true), actionsNegated: action.negated,
            resources: ARNPatternList(resource?.values ?? ["*"]),
            resourcesNegated: resource?.negated ?? false, principals: principals, conditions: conditions)
        if kind == .trust {
            var assumeRole = "sts:assumerole"   // action patterns expect case-folded input
            let matches = assumeRole.withUTF8 { statement.matchesAction($0) }
            guard matches else {
                let element = action.negated ? "NotAction" : "Action"
                throw .malformed(
                    "\(location): a trust policy only governs sts:AssumeRole, and \(element) "
                        + "\(action.values.joined(separator: ", ")) can never match it")
            }
        }
        return (effect, statement)
    }

    /// A string or a non-empty array of non-empty strings.
    static func stringList(_ value: JSONValue, element: String, location: String) throws(PolicyError) -> [String] {
        switch value {
        case .string(let single):
            guard !single.isEmpty else { throw .malformed("\(location): \(element) must not be an empty string") }
            return [single]
        case .array(let elements):
            guard !elements.isEmpty else { throw .malformed("\(location): \(element) must not be an empty array") }
            var strings: [String] = []
            for entry in elements {
                guard case .string(let text) = entry, !text.isEmpty else {
                    throw .malformed("\(location): \(element) entries must be non-empty strings")
                }
                strings.append(text)
            }
            return strings
        default:
            throw .malformed("\(location): \(element) must be a string or an array of strings, not \(value.typeName)")
        }
    }
}

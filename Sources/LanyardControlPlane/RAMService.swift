import AlibabaCloudSigning
import Foundation
import LanyardPolicy
import LanyardStore

/// RAM 2015-05-01: users, AccessKeys, roles, custom policies with versions, System policies, attachments.
///
/// Every call is authorized: the root identity may do everything; a RAM user or a role session needs
/// `ram:<Action>` allowed on the resource the call acts on, `acs:ram:*:<account>:user/<name>`,
/// `role/<name>` or `policy/<name>` (`user/*`, `role/*`, `policy/*` for the List calls without a subject);
/// attaching and listing the policies of a user or role is authorized on that user or role.
struct RAMService: RPCService {
    static let version = "2015-05-01"
    let core: ControlPlaneCore

    func handle(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        switch request.action {
        case "CreateUser": return try createUser(request)
        case "GetUser": return try getUser(request)
        case "ListUsers": return try listUsers(request)
        case "UpdateUser": return try updateUser(request)
        case "DeleteUser": return try deleteUser(request)
        case "CreateAccessKey": return try createAccessKey(request)
        case "ListAccessKeys": return try listAccessKeys(request)
        case "UpdateAccessKey": return try updateAccessKey(request)
        case "DeleteAccessKey": return try deleteAccessKey(request)
        case "CreateRole": return try createRole(request)
        case "GetRole": return try getRole(request)
        case "ListRoles": return try listRoles(request)
        case "UpdateRole": return try updateRole(request)
        case "DeleteRole": return try deleteRole(request)
        case "CreatePolicy": return try createPolicy(request)
        case "GetPolicy": return try getPolicy(request)
        case "ListPolicies": return try listPolicies(request)
        case "DeletePolicy": return try deletePolicy(request)
        case "CreatePolicyVersion": return try createPolicyVersion(request)
        case "GetPolicyVersion": return try getPolicyVersion(request)
        case "ListPolicyVersions": return try listPolicyVersions(request)
        case "SetDefaultPolicyVersion": return try setDefaultPolicyVersion(request)
        case "DeletePolicyVersion": return try deletePolicyVersion(request)
        case "AttachPolicyToUser": return try attach(request, principal: .user(try request.required("UserName")))
        case "AttachPolicyToRole": return try attach(request, principal: .role(try request.required("RoleName")))
        case "DetachPolicyFromUser": return try detach(request, principal: .user(try request.required("UserName")))
        case "DetachPolicyFromRole": return try detach(request, principal: .role(try request.required("RoleName")))
        case "ListPoliciesForUser":
            return try listPoliciesFor(request, principal: .user(try request.required("UserName")))
        case "ListPoliciesForRole":
            return try listPoliciesFor(request, principal: .role(try request.required("RoleName")))
        case "ListEntitiesForPolicy": return try listEntitiesForPolicy(request)
        default: throw .invalidActionOrVersion
        }
    }

    // MARK: Shared

    /// Throws `NoPermission` unless the caller may do `ram:<Action>` on `acs:ram:*:<account>:<relative>`.
    func authorize(_ request: RPCRequest, _ relative: String) throws(RPCError) {
        if case .root = request.caller { return }
        let authorization = AuthorizationRequest(
            action: "ram:\(request.action)", resource: core.ramResource(relative),
            context: request.conditionContext(now: core.now()))
        let decision = core.authorize(
            request.caller, sessionPolicies: request.sessionPolicy.map { [$0] } ?? [], authorization)
        guard decision == .allow else { throw RPCError.noPermission }
    }

    func store<T>(_ body: () throws(StoreError) -> T) throws(RPCError) -> T { try core.storeCall(body) }

    var now: Date { Date(timeIntervalSince1970: core.now().timeIntervalSince1970.rounded(.down)) }

    static func date(_ date: Date) -> String { SigningTime.iso8601(date) }

    /// Marker/MaxItems of a List call: MaxItems 1–1000, default 100.
    func page(_ request: RPCRequest) throws(RPCError) -> (marker: String?, limit: Int) {
        var limit = 100
        if let text = request.optional("MaxItems") {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw RPCError(
                    status: 400, code: "InvalidParameter.MaxItems",
                    message: "The parameter MaxItems must be between 1 and 1000.")
            }
            limit = value
        }
        return (request.optional("Marker"), limit)
    }

    /// The page fields: `IsTruncated`, and `Marker` when truncated.
    static func pageFields<T>(_ items: [T], limit: Int, marker: (T) -> String) -> (
        items: [T], fields: [String: any Sendable]
    ) {
        guard items.count > limit else { return (items, ["IsTruncated": false]) }
        let shown = Array(items.prefix(limit))
        return (shown, ["IsTruncated": true, "Marker": marker(shown[shown.count - 1])])
    }

    func parseBool(_ request: RPCRequest, _ name: String, default value: Bool) throws(RPCError) -> Bool {
        guard let text = request.optional(name) else { return value }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            throw RPCError(
                status: 400, code: "InvalidParameter.\(name)", message: "The parameter \(name) must be true or false.")
        }
    }

    func policyKind(_ request: RPCRequest, required: Bool) throws(RPCError) -> PolicyKind? {
        guard let text = required ? try request.required("PolicyType") : request.optional("PolicyType") else {
            return nil
        }
        guard let kind = PolicyKind(rawValue: text) else {
            throw RPCError(
                status: 400, code: "InvalidParameter.PolicyType",
                message: "The parameter PolicyType must be System or Custom.")
        }
        return kind
    }
}

/// The spec's name and length rules, with their error codes.
enum RAMValidation {
    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }

    /// A name of `1...maximum` characters drawn from letters, digits and `extra`.
    static func name(_ value: String, parameter: String, maximum: Int, extra: String) throws(RPCError) {
        guard (1...maximum).contains(value.count) else {
            throw RPCError(
                status: 400, code: "InvalidParameter.\(parameter).Length",
                message: "The length of \(parameter) must be between 1 and \(maximum).")
        }
        let allowed = Array(extra.utf8)
        guard value.utf8.allSatisfy({ isAlphanumeric($0) || allowed.contains($0) }) else {
            throw RPCError(
                status: 400, code: "InvalidParameter.\(parameter).InvalidChars",
                message: "The parameter \(parameter) contains invalid characters.")
        }
    }

    /// UserName: 1–64 of letters, digits, `.`, `_`, `-`.
    static func userName(_ value: String, parameter: String = "UserName") throws(RPCError) {
        try name(value, parameter: parameter, maximum: 64, extra: "._-")
    }

    /// RoleName: 1–64 of letters, digits, `.`, `-`.
    static func roleName(_ value: String, parameter: String = "RoleName") throws(RPCError) {
        try name(value, parameter: parameter, maximum: 64, extra: ".-")
    }

    /// PolicyName: 1–128 of letters, digits, `-`.
    static func policyName(_ value: String) throws(RPCError) {
        try name(value, parameter: "PolicyName", maximum: 128, extra: "-")
    }

    /// A free-text field of at most `maximum` characters.
    static func length(_ value: String?, parameter: String, maximum: Int) throws(RPCError) {
        guard let value, value.count > maximum else { return }
        throw RPCError(
            status: 400, code: "InvalidParameter.\(parameter).Length",
            message: "The length of \(parameter) must not exceed \(maximum).")
    }

    /// A policy document: length, then grammar (`MalformedPolicyDocument` with the parser's detail).
    static func document(_ text: String, parameter: String, maximum: Int, kind: Policy.Kind) throws(RPCError) {
        guard text.count <= maximum else {
            throw RPCError(
                status: 400, code: "InvalidParameter.\(parameter).Length",
                message: "The length of \(parameter) must not exceed \(maximum).")
        }
        do {
            _ = try Policy(parsing: text, as: kind)
        } catch {
            throw RPCError(status: 400, code: "MalformedPolicyDocument", message: error.message)
        }
    }

    /// MaxSessionDuration: 3600–43200 seconds.
    static func maxSessionDuration(_ text: String, parameter: String) throws(RPCError) -> Int {
        guard let value = Int(text), (3600...43200).contains(value) else {
            throw RPCError(
                status: 400, code: "InvalidParameter.\(parameter)",
                message: "The parameter \(parameter) must be between 3600 and 43200.")
        }
        return value
    }

    /// Largest trust policy document.
    static let maximumTrustDocument = 2048
    /// Largest permission policy document.
    static let maximumPolicyDocument = 6144
}

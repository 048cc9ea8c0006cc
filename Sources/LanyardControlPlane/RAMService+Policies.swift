import Foundation
import LanyardPolicy
import LanyardStore

/// RAM policies: custom policies with versions, the System policies, and attachments.
extension RAMService {
    private static let policyNotFound = RPCError(
        status: 404, code: "EntityNotExist.Policy", message: "The policy does not exist.")
    private static let versionNotFound = RPCError(
        status: 404, code: "EntityNotExist.Policy.Version", message: "The policy version does not exist.")

    /// A policy as GetPolicy/ListPolicies show it.
    private struct PolicyView {
        let name: String
        let kind: PolicyKind
        let description: String
        let defaultVersion: String
        let createDate: Date
        let updateDate: Date

        init(_ system: SystemPolicy) {
            name = system.name
            kind = .system
            description = system.description
            defaultVersion = "v1"
            createDate = system.createDate
            updateDate = system.updateDate
        }

        init(_ custom: PolicyRecord) {
            name = custom.policyName
            kind = .custom
            description = custom.description
            defaultVersion = custom.defaultVersion
            createDate = custom.createDate
            updateDate = custom.updateDate
        }

        func fields(attachmentCount: Int?) -> [String: any Sendable] {
            var fields: [String: any Sendable] = [
                "PolicyName": name, "PolicyType": kind.rawValue, "Description": description,
                "DefaultVersion": defaultVersion, "CreateDate": RAMService.date(createDate),
                "UpdateDate": RAMService.date(updateDate),
            ]
            if let attachmentCount { fields["AttachmentCount"] = attachmentCount }
            return fields
        }
    }

    private static func versionFields(_ version: PolicyVersionRecord) -> [String: any Sendable] {
        [
            "VersionId": version.versionId, "IsDefaultVersion": version.isDefaultVersion,
            "PolicyDocument": version.document, "CreateDate": date(version.createDate),
        ]
    }

    private static func systemVersion(_ system: SystemPolicy) -> PolicyVersionRecord {
        PolicyVersionRecord(
            policyName: system.name, versionId: "v1", document: system.document, isDefaultVersion: true,
            createDate: system.createDate)
    }

    private func customPolicy(_ name: String) throws(RPCError) -> PolicyRecord {
        guard let policy = try store({ () throws(StoreError) in try core.store.policy(named: name) }) else {
            throw Self.policyNotFound
        }
        return policy
    }

    private func attachmentCount(_ kind: PolicyKind, _ name: String) throws(RPCError) -> Int {
        try store { () throws(StoreError) in try core.store.attachments(policyKind: kind, policyName: name) }.count
    }

    // MARK: Policies

    func createPolicy(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("PolicyName")
        let document = try request.required("PolicyDocument")
        try authorize(request, "policy/\(name)")
        try RAMValidation.policyName(name)
        try RAMValidation.length(request.optional("Description"), parameter: "Description", maximum: 1024)
        try RAMValidation.document(
            document, parameter: "PolicyDocument", maximum: RAMValidation.maximumPolicyDocument, kind: .identity)
        guard SystemPolicies.named(name) == nil else {
            throw RPCError(status: 409, code: "EntityAlreadyExists.Policy", message: "The policy does already exist.")
        }
        let created = now
        let policy = PolicyRecord(
            policyName: name, description: request.optional("Description") ?? "", defaultVersion: "v1",
            createDate: created, updateDate: created)
        try store { () throws(StoreError) in try core.store.createPolicy(policy, document: document) }
        var fields = PolicyView(policy).fields(attachmentCount: nil)
        fields.removeValue(forKey: "UpdateDate")
        return ["Policy": fields]
    }

    func getPolicy(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("PolicyName")
        let kind = try policyKind(request, required: true) ?? .custom
        try authorize(request, "policy/\(name)")
        let view: PolicyView
        let defaultVersion: PolicyVersionRecord
        switch kind {
        case .system:
            guard let system = SystemPolicies.named(name) else { throw Self.policyNotFound }
            view = PolicyView(system)
            defaultVersion = Self.systemVersion(system)
        case .custom:
            let policy = try customPolicy(name)
            view = PolicyView(policy)
            guard
                let version = try store({ () throws(StoreError) in
                    try core.store.policyVersion(policyName: policy.policyName, versionId: policy.defaultVersion)
                })
            else { throw Self.versionNotFound }
            defaultVersion = version
        }
        var fields = view.fields(attachmentCount: try attachmentCount(view.kind, view.name))
        fields["PolicyDocument"] = defaultVersion.document
        return ["Policy": fields, "DefaultPolicyVersion": Self.versionFields(defaultVersion)]
    }

    /// ListPolicies: System policies first, then custom ones, each by name. The Marker is `<Type>/<Name>`
    /// of the last policy shown.
    func listPolicies(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        try authorize(request, "policy/*")
        let kind = try policyKind(request, required: false)
        let (marker, limit) = try page(request)
        var afterKind: PolicyKind?
        var afterName: String?
        if let marker {
            let parts = marker.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let markerKind = PolicyKind(rawValue: parts[0]) else {
                throw RPCError(status: 400, code: "InvalidParameter.Marker", message: "The parameter Marker is invalid.")
            }
            afterKind = markerKind
            afterName = parts[1]
        }
        var views: [PolicyView] = []
        if kind != .custom && afterKind != .custom {
            for system in SystemPolicies.all
            where afterName.map({ system.name.lowercased() > $0.lowercased() }) ?? true {
                views.append(PolicyView(system))
                if views.count > limit { break }
            }
        }
        if kind != .system && views.count <= limit {
            let after = afterKind == .custom ? afterName : nil
            let custom = try store { () throws(StoreError) in
                try core.store.listPolicies(after: after, limit: limit + 1 - views.count)
            }
            views.append(contentsOf: custom.map(PolicyView.init))
        }
        let (shown, fields) = Self.pageFields(views, limit: limit) { "\($0.kind.rawValue)/\($0.name)" }
        var items: [any Sendable] = []
        for view in shown { items.append(view.fields(attachmentCount: try attachmentCount(view.kind, view.name))) }
        var result = fields
        result["Policies"] = ["Policy": items] as [String: any Sendable]
        return result
    }

    func deletePolicy(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("PolicyName")
        try authorize(request, "policy/\(name)")
        let cascade = try parseBool(request, "CascadingDelete", default: false)
        try store { () throws(StoreError) in try core.store.deletePolicy(named: name, cascade: cascade) }
        return [:]
    }

    // MARK: Versions

    private static let rotateStrategies = ["None", "DeleteOldestNonDefaultVersionWhenLimitExceeded"]

    func createPolicyVersion(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("PolicyName")
        let document = try request.required("PolicyDocument")
        try authorize(request, "policy/\(name)")
        try RAMValidation.document(
            document, parameter: "PolicyDocument", maximum: RAMValidation.maximumPolicyDocument, kind: .identity)
        let setAsDefault = try parseBool(request, "SetAsDefault", default: false)
        let strategy = request.optional("RotateStrategy") ?? "None"
        guard Self.rotateStrategies.contains(strategy) else {
            throw RPCError(
                status: 400, code: "InvalidParameter.RotateStrategy",
                message: "The parameter RotateStrategy must be None or DeleteOldestNonDefaultVersionWhenLimitExceeded.")
        }
        let version = try store { () throws(StoreError) in
            try core.store.createPolicyVersion(
                policyName: name, document: document, setAsDefault: setAsDefault, rotate: strategy != "None",
                date: now)
        }
        return ["PolicyVersion": Self.versionFields(version)]
    }

    func getPolicyVersion(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("PolicyName")
        let kind = try policyKind(request, required: true)
        let versionId = try request.required("VersionId")
        try authorize(request, "policy/\(name)")
        if kind == .system {
            guard let system = SystemPolicies.named(name) else { throw Self.policyNotFound }
            guard versionId == "v1" else { throw Self.versionNotFound }
            return ["PolicyVersion": Self.versionFields(Self.systemVersion(system))]
        }
        let policy = try customPolicy(name)
        guard
            let version = try store({ () throws(StoreError) in
                try core.store.policyVersion(policyName: policy.policyName, versionId: versionId)
            })
        else { throw Self.versionNotFound }
        return ["PolicyVersion": Self.versionFields(version)]
    }

    func listPolicyVersions(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("PolicyName")
        let kind = try policyKind(request, required: true)
        try authorize(request, "policy/\(name)")
        let versions: [PolicyVersionRecord]
        if kind == .system {
            guard let system = SystemPolicies.named(name) else { throw Self.policyNotFound }
            versions = [Self.systemVersion(system)]
        } else {
            let policy = try customPolicy(name)
            versions = try store { () throws(StoreError) in try core.store.policyVersions(policyName: policy.policyName) }
        }
        return [
            "PolicyVersions": ["PolicyVersion": versions.map { Self.versionFields($0) as any Sendable }]
                as [String: any Sendable]
        ]
    }

    func setDefaultPolicyVersion(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("PolicyName")
        let versionId = try request.required("VersionId")
        try authorize(request, "policy/\(name)")
        try store { () throws(StoreError) in
            try core.store.setDefaultPolicyVersion(policyName: name, versionId: versionId, date: now)
        }
        return [:]
    }

    func deletePolicyVersion(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("PolicyName")
        let versionId = try request.required("VersionId")
        try authorize(request, "policy/\(name)")
        try store { () throws(StoreError) in try core.store.deletePolicyVersion(policyName: name, versionId: versionId) }
        return [:]
    }

    // MARK: Attachments

    private static func relative(_ principal: PolicyPrincipal) -> String {
        switch principal {
        case .user(let name): "user/\(name)"
        case .role(let name): "role/\(name)"
        }
    }

    func attach(_ request: RPCRequest, principal: PolicyPrincipal) throws(RPCError) -> [String: any Sendable] {
        let kind = try policyKind(request, required: true) ?? .custom
        let name = try request.required("PolicyName")
        try authorize(request, Self.relative(principal))
        var policyName = name
        if kind == .system {
            guard let system = SystemPolicies.named(name) else { throw Self.policyNotFound }
            policyName = system.name
        }
        let attachment = AttachmentRecord(principal: principal, policyKind: kind, policyName: policyName, attachDate: now)
        try store { () throws(StoreError) in try core.store.attach(attachment) }
        return [:]
    }

    func detach(_ request: RPCRequest, principal: PolicyPrincipal) throws(RPCError) -> [String: any Sendable] {
        let kind = try policyKind(request, required: true) ?? .custom
        let name = try request.required("PolicyName")
        try authorize(request, Self.relative(principal))
        try store { () throws(StoreError) in try core.store.detach(principal: principal, policyKind: kind, policyName: name) }
        return [:]
    }

    func listPoliciesFor(_ request: RPCRequest, principal: PolicyPrincipal) throws(RPCError) -> [String: any Sendable] {
        try authorize(request, Self.relative(principal))
        let exists: Bool
        switch principal {
        case .user(let name):
            exists = try store { () throws(StoreError) in try core.store.user(named: name) } != nil
            guard exists else { throw RPCError(status: 404, code: "EntityNotExist.User", message: "The user does not exist.") }
        case .role(let name):
            exists = try store { () throws(StoreError) in try core.store.role(named: name) } != nil
            guard exists else { throw RPCError(status: 404, code: "EntityNotExist.Role", message: "The role does not exist.") }
        }
        let attached = try store { () throws(StoreError) in try core.store.attachedPolicies(principal) }
        var items: [any Sendable] = []
        for item in attached {
            let name = item.attachment.policyName
            var description = ""
            var defaultVersion = "v1"
            switch item.attachment.policyKind {
            case .system:
                description = SystemPolicies.named(name)?.description ?? ""
            case .custom:
                if let policy = try store({ () throws(StoreError) in try core.store.policy(named: name) }) {
                    description = policy.description
                    defaultVersion = policy.defaultVersion
                }
            }
            items.append(
                [
                    "PolicyName": name, "PolicyType": item.attachment.policyKind.rawValue, "Description": description,
                    "DefaultVersion": defaultVersion, "AttachDate": Self.date(item.attachment.attachDate),
                ] as [String: any Sendable])
        }
        return ["Policies": ["Policy": items] as [String: any Sendable]]
    }

    func listEntitiesForPolicy(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("PolicyName")
        let kind = try policyKind(request, required: true) ?? .custom
        try authorize(request, "policy/\(name)")
        var canonical = name
        if kind == .system {
            guard let system = SystemPolicies.named(name) else { throw Self.policyNotFound }
            canonical = system.name
        } else {
            canonical = try customPolicy(name).policyName
        }
        let attachments = try store { () throws(StoreError) in
            try core.store.attachments(policyKind: kind, policyName: canonical)
        }
        var users: [any Sendable] = []
        var roles: [any Sendable] = []
        for attachment in attachments {
            switch attachment.principal {
            case .user(let userName):
                guard let user = try store({ () throws(StoreError) in try core.store.user(named: userName) }) else {
                    continue
                }
                users.append(
                    [
                        "UserId": user.userId, "UserName": user.userName, "DisplayName": user.displayName,
                        "AttachDate": Self.date(attachment.attachDate),
                    ] as [String: any Sendable])
            case .role(let roleName):
                guard let role = try store({ () throws(StoreError) in try core.store.role(named: roleName) }) else {
                    continue
                }
                roles.append(
                    [
                        "RoleId": role.roleId, "RoleName": role.roleName, "Arn": core.roleArn(role.roleName),
                        "Description": role.description, "AttachDate": Self.date(attachment.attachDate),
                    ] as [String: any Sendable])
            }
        }
        return [
            "Users": ["User": users] as [String: any Sendable], "Roles": ["Role": roles] as [String: any Sendable],
            "Groups": ["Group": [any Sendable]()] as [String: any Sendable],
        ]
    }
}

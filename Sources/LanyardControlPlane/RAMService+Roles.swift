import Foundation
import LanyardStore

/// RAM roles.
extension RAMService {
    func roleFields(_ role: RoleRecord, detailed: Bool) -> [String: any Sendable] {
        var fields: [String: any Sendable] = [
            "RoleId": role.roleId, "RoleName": role.roleName, "Arn": core.roleArn(role.roleName),
            "Description": role.description, "CreateDate": Self.date(role.createDate),
            "UpdateDate": Self.date(role.updateDate), "MaxSessionDuration": role.maxSessionDuration,
        ]
        if detailed {
            fields["AssumeRolePolicyDocument"] = role.assumeRolePolicyDocument
            fields["RolePrincipalName"] = "\(role.roleName)@role.\(core.accountId).onaliyunservice.com"
            fields["IsServiceLinkedRole"] = false
        }
        return fields
    }

    private static let roleNotFound = RPCError(
        status: 404, code: "EntityNotExist.Role", message: "The role does not exist.")

    func createRole(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("RoleName")
        let document = try request.required("AssumeRolePolicyDocument")
        try authorize(request, "role/\(name)")
        try RAMValidation.roleName(name)
        try RAMValidation.length(request.optional("Description"), parameter: "Description", maximum: 1024)
        try RAMValidation.document(
            document, parameter: "AssumeRolePolicyDocument", maximum: RAMValidation.maximumTrustDocument, kind: .trust)
        var maxSessionDuration = 3600
        if let text = request.optional("MaxSessionDuration") {
            maxSessionDuration = try RAMValidation.maxSessionDuration(text, parameter: "MaxSessionDuration")
        }
        let created = now
        let role = RoleRecord(
            roleId: Identifiers.decimal(digits: 16), roleName: name, description: request.optional("Description") ?? "",
            assumeRolePolicyDocument: document, maxSessionDuration: maxSessionDuration, createDate: created,
            updateDate: created)
        try store { () throws(StoreError) in try core.store.createRole(role) }
        var fields = roleFields(role, detailed: true)
        fields.removeValue(forKey: "UpdateDate")
        fields.removeValue(forKey: "RolePrincipalName")
        fields.removeValue(forKey: "IsServiceLinkedRole")
        return ["Role": fields]
    }

    func getRole(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("RoleName")
        try authorize(request, "role/\(name)")
        guard let role = try store({ () throws(StoreError) in try core.store.role(named: name) }) else {
            throw Self.roleNotFound
        }
        return ["Role": roleFields(role, detailed: true)]
    }

    func listRoles(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        try authorize(request, "role/*")
        let (marker, limit) = try page(request)
        let roles = try store { () throws(StoreError) in try core.store.listRoles(after: marker, limit: limit + 1) }
        let (shown, fields) = Self.pageFields(roles, limit: limit) { $0.roleName }
        var result = fields
        result["Roles"] = ["Role": shown.map { roleFields($0, detailed: false) as any Sendable }] as [String: any Sendable]
        return result
    }

    func updateRole(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("RoleName")
        try authorize(request, "role/\(name)")
        let newDocument = request.optional("NewAssumeRolePolicyDocument")
        if let newDocument {
            try RAMValidation.document(
                newDocument, parameter: "NewAssumeRolePolicyDocument", maximum: RAMValidation.maximumTrustDocument,
                kind: .trust)
        }
        try RAMValidation.length(request.optional("NewDescription"), parameter: "NewDescription", maximum: 1024)
        var newDuration: Int?
        if let text = request.optional("NewMaxSessionDuration") {
            newDuration = try RAMValidation.maxSessionDuration(text, parameter: "NewMaxSessionDuration")
        }
        guard var role = try store({ () throws(StoreError) in try core.store.role(named: name) }) else {
            throw Self.roleNotFound
        }
        if let newDocument { role.assumeRolePolicyDocument = newDocument }
        if let value = request.optional("NewDescription") { role.description = value }
        if let newDuration { role.maxSessionDuration = newDuration }
        role.updateDate = now
        let updated = role
        try store { () throws(StoreError) in try core.store.updateRole(updated) }
        return ["Role": roleFields(updated, detailed: true)]
    }

    func deleteRole(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("RoleName")
        try authorize(request, "role/\(name)")
        try store { () throws(StoreError) in try core.store.deleteRole(named: name) }
        return [:]
    }
}

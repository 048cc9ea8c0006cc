import Foundation
import LanyardStore

/// RAM users and their AccessKeys.
extension RAMService {
    static func userFields(_ user: UserRecord) -> [String: any Sendable] {
        [
            "UserId": user.userId, "UserName": user.userName, "DisplayName": user.displayName,
            "MobilePhone": user.mobilePhone, "Email": user.email, "Comments": user.comments,
            "CreateDate": date(user.createDate), "UpdateDate": date(user.updateDate),
        ]
    }

    private static let userNotFound = RPCError(
        status: 404, code: "EntityNotExist.User", message: "The user does not exist.")

    private func validateUserFields(_ request: RPCRequest, prefix: String) throws(RPCError) {
        try RAMValidation.length(request.optional("\(prefix)DisplayName"), parameter: "\(prefix)DisplayName", maximum: 128)
        try RAMValidation.length(request.optional("\(prefix)MobilePhone"), parameter: "\(prefix)MobilePhone", maximum: 32)
        try RAMValidation.length(request.optional("\(prefix)Email"), parameter: "\(prefix)Email", maximum: 128)
        try RAMValidation.length(request.optional("\(prefix)Comments"), parameter: "\(prefix)Comments", maximum: 128)
    }

    func createUser(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("UserName")
        try authorize(request, "user/\(name)")
        try RAMValidation.userName(name)
        try validateUserFields(request, prefix: "")
        let created = now
        let user = UserRecord(
            userId: Identifiers.decimal(digits: 16), userName: name, displayName: request.optional("DisplayName") ?? name,
            mobilePhone: request.optional("MobilePhone") ?? "", email: request.optional("Email") ?? "",
            comments: request.optional("Comments") ?? "", createDate: created, updateDate: created)
        try store { () throws(StoreError) in try core.store.createUser(user) }
        var fields = Self.userFields(user)
        fields.removeValue(forKey: "UpdateDate")
        return ["User": fields]
    }

    func getUser(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("UserName")
        try authorize(request, "user/\(name)")
        guard let user = try store({ () throws(StoreError) in try core.store.user(named: name) }) else {
            throw Self.userNotFound
        }
        return ["User": Self.userFields(user)]
    }

    func listUsers(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        try authorize(request, "user/*")
        let (marker, limit) = try page(request)
        let users = try store { () throws(StoreError) in try core.store.listUsers(after: marker, limit: limit + 1) }
        let (shown, fields) = Self.pageFields(users, limit: limit) { $0.userName }
        var result = fields
        result["Users"] = ["User": shown.map { Self.userFields($0) as any Sendable }] as [String: any Sendable]
        return result
    }

    func updateUser(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("UserName")
        try authorize(request, "user/\(name)")
        if let newName = request.optional("NewUserName") { try RAMValidation.userName(newName, parameter: "NewUserName") }
        try validateUserFields(request, prefix: "New")
        guard var user = try store({ () throws(StoreError) in try core.store.user(named: name) }) else {
            throw Self.userNotFound
        }
        let currentName = user.userName
        if let value = request.optional("NewUserName") { user.userName = value }
        if let value = request.optional("NewDisplayName") { user.displayName = value }
        if let value = request.optional("NewMobilePhone") { user.mobilePhone = value }
        if let value = request.optional("NewEmail") { user.email = value }
        if let value = request.optional("NewComments") { user.comments = value }
        user.updateDate = now
        let updated = user
        try store { () throws(StoreError) in try core.store.updateUser(named: currentName, to: updated) }
        return ["User": Self.userFields(updated)]
    }

    func deleteUser(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let name = try request.required("UserName")
        try authorize(request, "user/\(name)")
        try store { () throws(StoreError) in try core.store.deleteUser(named: name) }
        return [:]
    }

    // MARK: Access keys

    /// The user whose keys a call addresses: `UserName`, else the calling user itself; nil = root's own keys.
    private func keyOwner(_ request: RPCRequest) throws(RPCError) -> String? {
        if let name = request.optional("UserName") { return name }
        switch request.caller {
        case .root: return nil
        case .user(_, let userName, _): return userName
        case .roleSession: throw RPCError.missingParameter("UserName")
        }
    }

    private func authorizeKeys(_ request: RPCRequest, owner: String?) throws(RPCError) {
        try authorize(request, owner.map { "user/\($0)" } ?? "root")
    }

    /// The canonical user name for `owner`, or `EntityNotExist.User`.
    private func existingUser(_ owner: String?) throws(RPCError) -> String? {
        guard let owner else { return nil }
        guard let user = try store({ () throws(StoreError) in try core.store.user(named: owner) }) else {
            throw Self.userNotFound
        }
        return user.userName
    }

    func createAccessKey(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let owner = try keyOwner(request)
        try authorizeKeys(request, owner: owner)
        let userName = try existingUser(owner)
        let accessKeyId = Identifiers.accessKeyId()
        let secret = Identifiers.accessKeySecret()
        let key = AccessKeyRecord(
            accessKeyId: accessKeyId, userName: userName,
            sealedSecret: core.sealer.sealSecret(secret, accessKeyId: accessKeyId), status: .active, createDate: now)
        try store { () throws(StoreError) in try core.store.createAccessKey(key) }
        core.audit.record(
            "CreateAccessKey",
            [
                ("requestId", request.requestId), ("caller", request.caller.arn), ("accessKeyId", request.accessKeyId),
                ("userName", userName ?? "root"), ("issuedAccessKeyId", accessKeyId), ("sourceIp", request.sourceIp),
            ])
        return [
            "AccessKey": [
                "AccessKeyId": accessKeyId, "AccessKeySecret": secret, "Status": key.status.rawValue,
                "CreateDate": Self.date(key.createDate),
            ] as [String: any Sendable]
        ]
    }

    func listAccessKeys(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let owner = try keyOwner(request)
        try authorizeKeys(request, owner: owner)
        let userName = try existingUser(owner)
        let keys = try store { () throws(StoreError) in try core.store.accessKeys(userName: userName) }
        let items: [any Sendable] = keys.map { key in
            [
                "AccessKeyId": key.accessKeyId, "Status": key.status.rawValue, "CreateDate": Self.date(key.createDate),
            ] as [String: any Sendable]
        }
        return ["AccessKeys": ["AccessKey": items] as [String: any Sendable]]
    }

    func updateAccessKey(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let keyId = try request.required("UserAccessKeyId")
        let statusText = try request.required("Status")
        let owner = try keyOwner(request)
        try authorizeKeys(request, owner: owner)
        guard let status = AccessKeyStatus(rawValue: statusText) else {
            throw RPCError(
                status: 400, code: "InvalidParameter.Status", message: "The parameter Status must be Active or Inactive.")
        }
        let userName = try existingUser(owner)
        try store { () throws(StoreError) in
            try core.store.setAccessKeyStatus(id: keyId, userName: userName, status: status)
        }
        return [:]
    }

    func deleteAccessKey(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let keyId = try request.required("UserAccessKeyId")
        let owner = try keyOwner(request)
        try authorizeKeys(request, owner: owner)
        let userName = try existingUser(owner)
        try store { () throws(StoreError) in try core.store.deleteAccessKey(id: keyId, userName: userName) }
        return [:]
    }
}

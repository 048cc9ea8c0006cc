import Foundation
import LanyardPolicy

/// A built-in System policy: fixed name, description and document, version `v1`.
struct SystemPolicy: Sendable {
    let name: String
    let description: String
    let document: String
    let policy: Policy
    let createDate: Date
    let updateDate: Date
}

/// The System policies users of Alibaba Cloud expect, looked up ignoring case like every RAM name.
enum SystemPolicies {
    private static let created = Date(timeIntervalSince1970: 1_430_179_200)  // 2015-04-28T00:00:00Z
    private static let updated = Date(timeIntervalSince1970: 1_609_459_200)  // 2021-01-01T00:00:00Z

    private static let definitions: [(String, String, String)] = [
        (
            "AdministratorAccess", "Provides full access to Alibaba Cloud services and resources.",
            #"{"Version":"1","Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}]}"#
        ),
        (
            "AliyunOSSFullAccess", "Provides full access to Object Storage Service (OSS) via Management Console.",
            #"{"Version":"1","Statement":[{"Action":"oss:*","Effect":"Allow","Resource":"*"}]}"#
        ),
        (
            "AliyunOSSReadOnlyAccess",
            "Provides read-only access to Object Storage Service (OSS) via Management Console.",
            #"{"Version":"1","Statement":[{"Action":["oss:Get*","oss:List*"],"Effect":"Allow","Resource":"*"}]}"#
        ),
        (
            "AliyunSTSAssumeRoleAccess", "Provides access to assume RAM roles through Security Token Service (STS).",
            #"{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Resource":"*"}]}"#
        ),
        (
            "AliyunRAMFullAccess", "Provides full access to Resource Access Management (RAM).",
            #"{"Version":"1","Statement":[{"Action":"ram:*","Effect":"Allow","Resource":"*"}]}"#
        ),
        (
            "AliyunRAMReadOnlyAccess", "Provides read-only access to Resource Access Management (RAM).",
            #"{"Version":"1","Statement":[{"Action":["ram:Get*","ram:List*"],"Effect":"Allow","Resource":"*"}]}"#
        ),
        (
            "AliyunECIFullAccess", "Provides full access to Elastic Container Instance (ECI).",
            #"""
            {"Version":"1","Statement":[{"Action":"eci:*","Effect":"Allow","Resource":"*"},\#
            {"Action":["ecs:DescribeSecurityGroups","vpc:DescribeVpcs","vpc:DescribeVSwitches",\#
            "ram:ListRoles","ram:GetRole"],"Effect":"Allow","Resource":"*"}]}
            """#
        ),
        (
            "AliyunECIReadOnlyAccess", "Provides read-only access to Elastic Container Instance (ECI).",
            #"{"Version":"1","Statement":[{"Action":["eci:Describe*","eci:List*"],"Effect":"Allow","Resource":"*"}]}"#
        ),
    ]

    /// Every System policy, sorted by name.
    static let all: [SystemPolicy] = definitions.map { name, description, document in
        do {
            return SystemPolicy(
                name: name, description: description, document: document,
                policy: try Policy(parsing: document, as: .identity), createDate: created, updateDate: updated)
        } catch {
            fatalError("built-in System policy \(name) does not parse: \(error)")
        }
    }.sorted { $0.name < $1.name }

    private static let byLowercasedName: [String: SystemPolicy] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.name.lowercased(), $0) })

    /// The System policy of this name (any casing).
    static func named(_ name: String) -> SystemPolicy? { byLowercasedName[name.lowercased()] }
}

import Foundation
import LanyardCrypto

/// Random identifiers in the formats Alibaba Cloud uses.
enum Identifiers {
    private static let alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    /// A decimal id of `digits` digits with a non-zero first digit (account, user and role ids).
    static func decimal(digits: Int) -> String {
        SecureRandom.string(count: 1, alphabet: "123456789") + SecureRandom.string(count: digits - 1, alphabet: "0123456789")
    }

    /// A permanent AccessKeyId: `LTAI` + 20 characters.
    static func accessKeyId() -> String { "LTAI" + SecureRandom.string(count: 20, alphabet: alphanumerics) }

    /// A permanent AccessKeySecret: 30 characters.
    static func accessKeySecret() -> String { SecureRandom.string(count: 30, alphabet: alphanumerics) }

    /// An STS AccessKeyId: `STS.` + 24 characters.
    static func stsAccessKeyId() -> String { "STS." + SecureRandom.string(count: 24, alphabet: alphanumerics) }

    /// A RequestId: an upper-case UUID.
    static func requestId() -> String { UUID().uuidString }
}

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

    /// A RequestId: an upper-case random (version 4) UUID. Built from libcrypto's generator: Foundation's
    /// `UUID()` opens `/dev/urandom` on every call.
    static func requestId() -> String {
        var bytes = SecureRandom.bytes(16)
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = upperHex
        return String(unsafeUninitializedCapacity: 36) { out in
            var n = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[n] = UInt8(ascii: "-")
                    n += 1
                }
                out[n] = hex[Int(byte >> 4)]
                out[n + 1] = hex[Int(byte & 0x0F)]
                n += 2
            }
            return n
        }
    }

    private static let upperHex = Array("0123456789ABCDEF".utf8)
}

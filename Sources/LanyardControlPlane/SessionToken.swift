import Foundation
import LanyardCrypto

/// The keys derived from one 32-byte master key (`<data>/token.key`), each for one purpose so that no key
/// is used by two algorithms: sealing session tokens, deriving session secrets, and encrypting the secrets
/// of permanent AccessKeys at rest.
struct KeyRing: Sendable {
    /// Identifies the master key inside tokens and sealed secrets (rotation: older ids stay openable).
    let keyId: UInt8
    let tokenKey: [UInt8]
    let sessionSecretKey: [UInt8]
    let dataKey: [UInt8]

    init(masterKey: [UInt8], keyId: UInt8) {
        self.keyId = keyId
        tokenKey = HMAC.authenticationCode(.sha256, key: masterKey, message: Array("lanyard sts-token-seal v1".utf8))
        sessionSecretKey = HMAC.authenticationCode(
            .sha256, key: masterKey, message: Array("lanyard sts-session-secret v1".utf8))
        dataKey = HMAC.authenticationCode(.sha256, key: masterKey, message: Array("lanyard access-key-secret v1".utf8))
    }
}

/// What a session token carries: everything needed to authenticate and authorize a role session without
/// reading the database.
struct SessionClaims: Sendable, Hashable {
    var accessKeyId: String
    var accountId: String
    var roleName: String
    var roleId: String
    var sessionName: String
    /// Whole seconds.
    var expiration: Date
    /// Whole seconds.
    var issuedAt: Date
    /// The session policy document given to AssumeRole, as sent.
    var sessionPolicy: String?
}

/// Why a token was refused.
enum TokenFailure: Error, Sendable {
    case malformed
}

/// Seals and opens SecurityTokens and derives session secrets.
///
/// A token is `base64url(format ‖ keyId ‖ AES-256-GCM(nonce ‖ ciphertext ‖ tag))` with `format ‖ keyId` as
/// associated data, over a compact binary encoding of ``SessionClaims``. The session's AccessKeySecret is
/// `HMAC-SHA256(sessionSecretKey[keyId], AccessKeyId)` rendered as 30 alphanumerics, so it is never stored.
struct SessionTokenSealer: Sendable {
    private static let format: UInt8 = 1
    private static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    let current: KeyRing
    private let rings: [UInt8: KeyRing]

    /// Seals with `current`; opens tokens of any ring in `all` (which should include `current`).
    init(current: KeyRing, all: [KeyRing]) {
        self.current = current
        var rings: [UInt8: KeyRing] = [current.keyId: current]
        for ring in all { rings[ring.keyId] = ring }
        self.rings = rings
    }

    /// The SecurityToken for `claims`.
    func seal(_ claims: SessionClaims) -> String {
        var plain = [UInt8]()
        plain.reserveCapacity(96 + (claims.sessionPolicy?.utf8.count ?? 0))
        Self.append(Int64(claims.expiration.timeIntervalSince1970), to: &plain)
        Self.append(Int64(claims.issuedAt.timeIntervalSince1970), to: &plain)
        for text in [claims.accessKeyId, claims.accountId, claims.roleName, claims.roleId, claims.sessionName] {
            Self.append(text, lengthBytes: 2, to: &plain)
        }
        if let policy = claims.sessionPolicy {
            plain.append(1)
            Self.append(policy, lengthBytes: 4, to: &plain)
        } else {
            plain.append(0)
        }
        let header: [UInt8] = [Self.format, current.keyId]
        do {
            let box = try AESGCM.seal(plain, key: current.tokenKey, associatedData: header)
            return Self.base64url(header + box)
        } catch {
            // Only a wrong key size or a libcrypto failure can land here; the key ring guarantees the size.
            fatalError("sealing a session token failed: \(error)")
        }
    }

    /// The claims inside a token and the id of the key ring that sealed it; `.malformed` for anything that
    /// does not decode and authenticate.
    func open(_ token: String) throws(TokenFailure) -> (claims: SessionClaims, keyId: UInt8) {
        guard let bytes = Self.decodeBase64url(token), bytes.count > 2, bytes[0] == Self.format,
            let ring = rings[bytes[1]]
        else { throw .malformed }
        let plain: [UInt8]
        do {
            plain = try AESGCM.open(Array(bytes[2...]), key: ring.tokenKey, associatedData: Array(bytes[0..<2]))
        } catch {
            throw .malformed
        }
        var reader = Reader(bytes: plain)
        guard let expiration = reader.int64(), let issuedAt = reader.int64(),
            let accessKeyId = reader.string(lengthBytes: 2), let accountId = reader.string(lengthBytes: 2),
            let roleName = reader.string(lengthBytes: 2), let roleId = reader.string(lengthBytes: 2),
            let sessionName = reader.string(lengthBytes: 2), let hasPolicy = reader.byte()
        else { throw .malformed }
        var sessionPolicy: String?
        if hasPolicy == 1 {
            guard let policy = reader.string(lengthBytes: 4) else { throw .malformed }
            sessionPolicy = policy
        }
        guard reader.atEnd else { throw .malformed }
        let claims = SessionClaims(
            accessKeyId: accessKeyId, accountId: accountId, roleName: roleName, roleId: roleId,
            sessionName: sessionName, expiration: Date(timeIntervalSince1970: TimeInterval(expiration)),
            issuedAt: Date(timeIntervalSince1970: TimeInterval(issuedAt)), sessionPolicy: sessionPolicy)
        return (claims, ring.keyId)
    }

    /// The AccessKeySecret of a session key, derived under the key ring `keyId` (the current one by default).
    func sessionSecret(accessKeyId: String, keyId: UInt8? = nil) -> String? {
        guard let ring = rings[keyId ?? current.keyId] else { return nil }
        let mac = HMAC.authenticationCode(.sha256, key: ring.sessionSecretKey, message: Array(accessKeyId.utf8))
        let symbols = mac.prefix(30).map { Self.secretAlphabet[Int($0) % Self.secretAlphabet.count] }
        return String(decoding: symbols, as: UTF8.self)
    }

    /// Encrypts a permanent AccessKey's secret for the store, bound to its AccessKeyId.
    func sealSecret(_ secret: String, accessKeyId: String) -> [UInt8] {
        do {
            return [current.keyId]
                + (try AESGCM.seal(Array(secret.utf8), key: current.dataKey, associatedData: Array(accessKeyId.utf8)))
        } catch {
            fatalError("sealing an AccessKey secret failed: \(error)")
        }
    }

    /// Decrypts a secret sealed by ``sealSecret(_:accessKeyId:)``; nil when it does not authenticate.
    func openSecret(_ sealed: [UInt8], accessKeyId: String) -> String? {
        guard let keyId = sealed.first, let ring = rings[keyId],
            let plain = try? AESGCM.open(Array(sealed.dropFirst()), key: ring.dataKey,
                                         associatedData: Array(accessKeyId.utf8))
        else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }

    // MARK: Encoding

    private static func append(_ value: Int64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> Int64(shift))) }
    }

    private static func append(_ text: String, lengthBytes: Int, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        for shift in stride(from: (lengthBytes - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: utf8.count >> shift))
        }
        bytes.append(contentsOf: utf8)
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var atEnd: Bool { offset == bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func int64() -> Int64? {
            guard offset + 8 <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[offset..<(offset + 8)] { value = value << 8 | Int64(byte) }
            offset += 8
            return value
        }

        mutating func string(lengthBytes: Int) -> String? {
            guard offset + lengthBytes <= bytes.count else { return nil }
            var length = 0
            for byte in bytes[offset..<(offset + lengthBytes)] { length = length << 8 | Int(byte) }
            offset += lengthBytes
            guard offset + length <= bytes.count else { return nil }
            defer { offset += length }
            return String(validating: bytes[offset..<(offset + length)], as: UTF8.self)
        }
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    /// The value of each base64url symbol, 0xFF for bytes that are not one.
    private static let base64Values: [UInt8] = {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (value, symbol) in base64Alphabet.enumerated() { values[Int(symbol)] = UInt8(value) }
        return values
    }()

    /// Unpadded base64url (RFC 4648 §5).
    static func base64url(_ bytes: [UInt8]) -> String {
        let alphabet = base64Alphabet
        return String(unsafeUninitializedCapacity: (bytes.count * 4 + 2) / 3) { out in
            var n = 0
            var i = 0
            while i + 3 <= bytes.count {
                let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                out[n] = alphabet[Int(v >> 18)]
                out[n + 1] = alphabet[Int(v >> 12 & 63)]
                out[n + 2] = alphabet[Int(v >> 6 & 63)]
                out[n + 3] = alphabet[Int(v & 63)]
                n += 4
                i += 3
            }
            let rest = bytes.count - i
            if rest > 0 {
                let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                out[n] = alphabet[Int(v >> 18)]
                out[n + 1] = alphabet[Int(v >> 12 & 63)]
                n += 2
                if rest == 2 {
                    out[n] = alphabet[Int(v >> 6 & 63)]
                    n += 1
                }
            }
            return n
        }
    }

    /// Decodes unpadded base64url; nil for any other symbol, an impossible length or non-zero unused bits.
    static func decodeBase64url(_ text: String) -> [UInt8]? {
        let symbols = Array(text.utf8)
        guard !symbols.isEmpty, symbols.count < 1 << 20, symbols.count % 4 != 1 else { return nil }
        let values = base64Values
        var out = [UInt8]()
        out.reserveCapacity(symbols.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for symbol in symbols {
            let value = values[Int(symbol)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        guard accumulator == 0 else { return nil }
        return out
    }
}

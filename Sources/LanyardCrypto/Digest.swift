import CCrypto
import Foundation

/// A message digest algorithm provided by libcrypto.
public enum DigestAlgorithm: Sendable {
    case md5, sha1, sha256

    var evp: OpaquePointer {
        switch self {
        case .md5: EVP_md5()
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        }
    }

    /// Size of the digest in bytes.
    public var byteCount: Int {
        switch self {
        case .md5: 16
        case .sha1: 20
        case .sha256: 32
        }
    }
}

/// An incremental message digest, for bodies that arrive in pieces.
///
/// Not thread-safe: feed one instance from one thread at a time.
public struct Digest: ~Copyable {
    private let context: OpaquePointer
    public let algorithm: DigestAlgorithm

    public init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        self.context = context
        EVP_DigestInit_ex(context, algorithm.evp, nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds bytes to the digest.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Adds the bytes of `data` to the digest.
    public mutating func update(_ data: some DataProtocol) {
        for region in data.regions { region.withUnsafeBytes { update($0) } }
    }

    /// Returns the digest of everything added so far and ends this digest.
    public consuming func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return Array(out.prefix(Int(length)))
    }

    /// The digest of `data` in one call.
    public static func hash(_ algorithm: DigestAlgorithm, _ data: some DataProtocol) -> [UInt8] {
        var digest = Digest(algorithm)
        digest.update(data)
        return digest.finalize()
    }
}

/// Keyed-hash message authentication codes (RFC 2104) over libcrypto.
public enum HMAC {
    /// The HMAC of `message` under `key` with the given digest.
    public static func authenticationCode(
        _ algorithm: DigestAlgorithm, key: some DataProtocol, message: some DataProtocol
    ) -> [UInt8] {
        let keyBytes = Array(key)
        let messageBytes = Array(message)
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        keyBytes.withUnsafeBytes { k in
            messageBytes.withUnsafeBytes { m in
                _ = CCrypto.HMAC(
                    algorithm.evp, k.baseAddress, Int32(k.count), m.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    m.count, &out, &length)
            }
        }
        return Array(out.prefix(Int(length)))
    }

    /// HMAC with string key and message, both taken as UTF-8.
    public static func authenticationCode(_ algorithm: DigestAlgorithm, key: String, message: String) -> [UInt8] {
        authenticationCode(algorithm, key: Array(key.utf8), message: Array(message.utf8))
    }
}

extension Sequence<UInt8> {
    /// Lower-case hexadecimal text of these bytes.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Standard Base64 text of these bytes.
    public var base64String: String { Data(self).base64EncodedString() }
}

/// Constant-time comparison, for secrets and signatures. Inlinable, so callers get a version specialized to
/// their collections rather than one walking generic iterators.
@inlinable
public func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}

import CCrypto
import Foundation

/// An error from libcrypto, or a message that failed authentication.
public struct CryptoError: Error, Hashable, CustomStringConvertible {
    /// What went wrong.
    public let code: String
    public var description: String { "CryptoError(\(code))" }

    /// Ciphertext, nonce, tag or associated data did not authenticate under the key.
    public static let authenticationFailure = CryptoError(code: "AuthenticationFailure")
    /// A key of the wrong size.
    public static let invalidKeySize = CryptoError(code: "InvalidKeySize")
    /// The sealed box is too short to hold a nonce and a tag.
    public static let malformedSealedBox = CryptoError(code: "MalformedSealedBox")
    /// libcrypto reported an internal failure.
    public static let libraryFailure = CryptoError(code: "LibraryFailure")
}

/// AES-256-GCM authenticated encryption.
///
/// A sealed box is `nonce (12 bytes) || ciphertext || tag (16 bytes)`.
public enum AESGCM {
    public static let keyByteCount = 32
    static let nonceByteCount = 12
    static let tagByteCount = 16

    /// Encrypts and authenticates `plaintext` (and `associatedData`, which is not encrypted) with a fresh random nonce.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], associatedData: [UInt8] = []) throws(CryptoError)
        -> [UInt8]
    {
        guard key.count == keyByteCount else { throw .invalidKeySize }
        let nonce = SecureRandom.bytes(nonceByteCount)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .libraryFailure }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        var length: Int32 = 0
        var total = 0
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw .libraryFailure }
        if !associatedData.isEmpty {
            guard EVP_EncryptUpdate(ctx, nil, &length, associatedData, Int32(associatedData.count)) == 1 else {
                throw .libraryFailure
            }
        }
        if !plaintext.isEmpty {
            guard EVP_EncryptUpdate(ctx, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1 else {
                throw .libraryFailure
            }
            total = Int(length)
        }
        let ok = ciphertext.withUnsafeMutableBufferPointer { buffer in
            EVP_EncryptFinal_ex(ctx, buffer.baseAddress! + total, &length)
        }
        guard ok == 1 else { throw .libraryFailure }
        total += Int(length)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagByteCount), &tag) == 1 else {
            throw .libraryFailure
        }
        return nonce + ciphertext.prefix(total) + tag
    }

    /// Verifies and decrypts a box made by ``seal(_:key:associatedData:)``.
    public static func open(_ box: [UInt8], key: [UInt8], associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        guard key.count == keyByteCount else { throw .invalidKeySize }
        guard box.count >= nonceByteCount + tagByteCount else { throw .malformedSealedBox }
        let nonce = Array(box.prefix(nonceByteCount))
        let ciphertext = Array(box.dropFirst(nonceByteCount).dropLast(tagByteCount))
        var tag = Array(box.suffix(tagByteCount))
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .libraryFailure }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var length: Int32 = 0
        var total = 0
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw .libraryFailure }
        if !associatedData.isEmpty {
            guard EVP_DecryptUpdate(ctx, nil, &length, associatedData, Int32(associatedData.count)) == 1 else {
                throw .libraryFailure
            }
        }
        if !ciphertext.isEmpty {
            guard EVP_DecryptUpdate(ctx, &plaintext, &length, ciphertext, Int32(ciphertext.count)) == 1 else {
                throw .authenticationFailure
            }
            total = Int(length)
        }
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tagByteCount), &tag) == 1 else {
            throw .libraryFailure
        }
        let ok = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(ctx, buffer.baseAddress! + total, &length)
        }
        guard ok == 1 else { throw .authenticationFailure }
        total += Int(length)
        return Array(plaintext.prefix(total))
    }
}

/// Cryptographically secure random bytes from libcrypto.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        guard RAND_bytes(&out, Int32(count)) == 1 else { fatalError("RAND_bytes failed: no entropy source") }
        return out
    }

    /// A random string of `count` characters drawn from `alphabet` (ASCII), without modulo bias.
    public static func string(count: Int, alphabet: String) -> String {
        let symbols = Array(alphabet.utf8)
        precondition(!symbols.isEmpty && symbols.count <= 256 && symbols.allSatisfy { $0 < 0x80 })
        let limit = 256 - (256 % symbols.count)
        var result = [UInt8]()
        result.reserveCapacity(count)
        while result.count < count {
            for byte in bytes(count * 2) where Int(byte) < limit && result.count < count {
                result.append(symbols[Int(byte) % symbols.count])
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}

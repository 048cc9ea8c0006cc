import Foundation
import LanyardCrypto
import Testing

@Suite struct DigestTests {
    @Test(arguments: [
        (DigestAlgorithm.md5, "", "d41d8cd98f00b204e9800998ecf8427e"),
        (.md5, "abc", "900150983cd24fb0d6963f7d28e17f72"),
        (.sha1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (.sha256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (.sha256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ])
    func knownDigests(algorithm: DigestAlgorithm, input: String, expected: String) {
        #expect(Digest.hash(algorithm, Array(input.utf8)).hexString == expected)
    }

    @Test func incrementalMatchesOneShot() {
        let data = Array((0..<10_000).map { UInt8($0 % 251) })
        var digest = Digest(.sha256)
        digest.update(data[0..<3])
        digest.update(data[3..<7000])
        digest.update(data[7000...])
        #expect(digest.finalize() == Digest.hash(.sha256, data))
    }

    /// RFC 2202 and RFC 4231 test case 2.
    @Test func hmacVectors() {
        #expect(
            HMAC.authenticationCode(.sha1, key: "Jefe", message: "what do ya want for nothing?").hexString
                == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        #expect(
            HMAC.authenticationCode(.sha256, key: "Jefe", message: "what do ya want for nothing?").hexString
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func constantTimeComparison() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2], [1, 2, 3]))
    }
}

@Suite struct AESGCMTests {
    let key = SecureRandom.bytes(AESGCM.keyByteCount)

    @Test func roundTrip() throws {
        let message = Array("a session token".utf8)
        let box = try AESGCM.seal(message, key: key, associatedData: [7])
        #expect(box.count == 12 + message.count + 16)
        #expect(try AESGCM.open(box, key: key, associatedData: [7]) == message)
    }

    @Test func emptyPlaintext() throws {
        #expect(try AESGCM.open(AESGCM.seal([], key: key), key: key) == [])
    }

    @Test func tamperingIsDetected() throws {
        var box = try AESGCM.seal(Array("payload".utf8), key: key)
        box[14] ^= 1
        #expect(throws: CryptoError.authenticationFailure) { try AESGCM.open(box, key: key) }
    }

    @Test func wrongKeyOrAssociatedDataFails() throws {
        let box = try AESGCM.seal(Array("payload".utf8), key: key, associatedData: [1])
        #expect(throws: CryptoError.authenticationFailure) {
            try AESGCM.open(box, key: SecureRandom.bytes(32), associatedData: [1])
        }
        #expect(throws: CryptoError.authenticationFailure) { try AESGCM.open(box, key: key, associatedData: [2]) }
        #expect(throws: CryptoError.malformedSealedBox) { try AESGCM.open([1, 2, 3], key: key) }
        #expect(throws: CryptoError.invalidKeySize) { try AESGCM.seal([1], key: [1, 2]) }
    }

    @Test func randomStringsUseTheAlphabet() {
        let s = SecureRandom.string(count: 40, alphabet: "ABC")
        #expect(s.count == 40)
        #expect(s.allSatisfy { "ABC".contains($0) })
    }
}

import Foundation
import LanyardCrypto
import Testing

@testable import LanyardControlPlane

@Suite struct SessionTokenTests {
    let ring = KeyRing(masterKey: Array(repeating: 7, count: 32), keyId: 1)
    var sealer: SessionTokenSealer { SessionTokenSealer(current: ring, all: [ring]) }

    let claims = SessionClaims(
        accessKeyId: "STS.abcdefghijklmnopqrstuvwx", accountId: "1234567890123456", roleName: "ECIRamRoleTest",
        roleId: "3000000000000001", sessionName: "pod-web-1", expiration: Date(timeIntervalSince1970: 1_760_003_600),
        issuedAt: Date(timeIntervalSince1970: 1_760_000_000),
        sessionPolicy: #"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}]}"#)

    @Test func sealsAndOpensEveryClaim() throws {
        let token = sealer.seal(claims)
        #expect(!token.contains("+") && !token.contains("/") && !token.contains("="))
        let opened = try sealer.open(token)
        #expect(opened.claims == claims)
        #expect(opened.keyId == 1)
        var withoutPolicy = claims
        withoutPolicy.sessionPolicy = nil
        #expect(try sealer.open(sealer.seal(withoutPolicy)).claims == withoutPolicy)
    }

    @Test func tokensAreNotDeterministicAndHideTheirClaims() {
        let first = sealer.seal(claims)
        #expect(first != sealer.seal(claims))
        let bytes = SessionTokenSealer.decodeBase64url(first) ?? []
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("ECIRamRoleTest") && !text.contains("pod-web-1"))
    }

    @Test(arguments: [0, 1, 2, 10, 40, -1])
    func anyAlteredByteIsRefused(position: Int) throws {
        var bytes = try #require(SessionTokenSealer.decodeBase64url(sealer.seal(claims)))
        let index = position >= 0 ? position : bytes.count - 1
        bytes[index] ^= 0x01
        #expect(throws: TokenFailure.self) { try sealer.open(SessionTokenSealer.base64url(bytes)) }
    }

    @Test(arguments: ["", "garbage", "AAAA", "!!!!", "CAIS+/==", String(repeating: "A", count: 200)])
    func garbageIsRefused(token: String) {
        #expect(throws: TokenFailure.self) { try sealer.open(token) }
    }

    @Test func anotherKeyCannotOpenButAnOlderRingStillDoes() throws {
        let token = sealer.seal(claims)
        let other = KeyRing(masterKey: Array(repeating: 8, count: 32), keyId: 1)
        #expect(throws: TokenFailure.self) { try SessionTokenSealer(current: other, all: [other]).open(token) }
        let rotated = KeyRing(masterKey: Array(repeating: 9, count: 32), keyId: 2)
        let afterRotation = SessionTokenSealer(current: rotated, all: [ring, rotated])
        let opened = try afterRotation.open(token)
        #expect(opened.keyId == 1)
        #expect(afterRotation.sessionSecret(accessKeyId: claims.accessKeyId, keyId: 1)
                == sealer.sessionSecret(accessKeyId: claims.accessKeyId))
    }

    @Test func sessionSecretsAreDerivedPerAccessKeyAndKey() throws {
        let secret = try #require(sealer.sessionSecret(accessKeyId: "STS.one"))
        #expect(secret.count == 30)
        #expect(secret.allSatisfy { $0.isLetter || $0.isNumber })
        #expect(sealer.sessionSecret(accessKeyId: "STS.one") == secret)
        #expect(sealer.sessionSecret(accessKeyId: "STS.two") != secret)
        let other = KeyRing(masterKey: Array(repeating: 8, count: 32), keyId: 1)
        #expect(SessionTokenSealer(current: other, all: [other]).sessionSecret(accessKeyId: "STS.one") != secret)
        #expect(sealer.sessionSecret(accessKeyId: "STS.one", keyId: 9) == nil)
    }

    @Test func accessKeySecretsAreSealedAndBoundToTheirId() {
        let sealed = sealer.sealSecret("s3cr3t", accessKeyId: "LTAIkey")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("s3cr3t"))
        #expect(sealer.openSecret(sealed, accessKeyId: "LTAIkey") == "s3cr3t")
        #expect(sealer.openSecret(sealed, accessKeyId: "LTAIother") == nil)
    }
}

@Suite struct RenderingTests {
    @Test func jsonEscapesAndOrdersRequestIdFirst() {
        let text = String(decoding: JSONText.bytes([
            "b": "quote\" slash\\ nl\n ctl\u{01}", "RequestId": "R", "a": 1, "c": true, "d": [1, 2] as [any Sendable],
        ] as [String: any Sendable]), as: UTF8.self)
        #expect(text == #"{"RequestId":"R","a":1,"b":"quote\" slash\\ nl\n ctl\u0001","c":true,"d":[1,2]}"#)
        let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(parsed?["b"] as? String == "quote\" slash\\ nl\n ctl\u{01}")
    }

    @Test func emptyArraysStayArraysAndOrderedObjectsKeepTheirOrder() {
        let tree: [String: any Sendable] = [
            "Policies": ["Policy": [any Sendable]()] as [String: any Sendable],
            "Error": OrderedObject(pairs: [("Z", "1"), ("A", 2)]),
        ]
        #expect(String(decoding: JSONText.bytes(tree), as: UTF8.self) == #"{"Error":{"Z":"1","A":2},"Policies":{"Policy":[]}}"#)
        #expect(String(decoding: XMLText.document(root: "R", tree), as: UTF8.self)
                == #"<?xml version="1.0" encoding="UTF-8"?><R><Error><Z>1</Z><A>2</A></Error><Policies></Policies></R>"#)
    }

    @Test func xmlRepeatsArrayElementsAndEscapes() {
        let tree: [String: any Sendable] = [
            "RequestId": "R",
            "Roles": ["Role": [["RoleName": "a<b"] as [String: any Sendable], ["RoleName": "c&d"]] as [any Sendable]]
                as [String: any Sendable],
            "IsTruncated": false,
        ]
        let text = String(decoding: XMLText.document(root: "ListRolesResponse", tree), as: UTF8.self)
        #expect(text == #"<?xml version="1.0" encoding="UTF-8"?><ListRolesResponse><RequestId>R</RequestId>"#
            + "<IsTruncated>false</IsTruncated><Roles><Role><RoleName>a&lt;b</RoleName></Role>"
            + "<Role><RoleName>c&amp;d</RoleName></Role></Roles></ListRolesResponse>")
    }
}

@Suite struct IdentifierTests {
    @Test func formats() throws {
        #expect(Identifiers.decimal(digits: 16).count == 16)
        #expect(Identifiers.decimal(digits: 16).first != "0")
        #expect(Identifiers.accessKeyId().hasPrefix("LTAI") && Identifiers.accessKeyId().count == 24)
        #expect(Identifiers.stsAccessKeyId().hasPrefix("STS.") && Identifiers.stsAccessKeyId().count == 28)
        let requestId = Identifiers.requestId()
        #expect(requestId == requestId.uppercased() && requestId.count == 36)
        let parsed = try #require(UUID(uuidString: requestId))
        #expect(parsed.uuidString == requestId)
        #expect(Array(requestId)[14] == "4" && "89AB".contains(Array(requestId)[19]))
        #expect(requestId != Identifiers.requestId())
    }

    /// base64url agrees with Foundation's base64 (alphabet swapped, padding dropped) at every length modulo 3,
    /// and decoding refuses what is not the canonical unpadded form.
    @Test func base64urlMatchesFoundation() throws {
        for count in 0..<70 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            var expected = Data(bytes).base64EncodedString()
            expected = expected.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            while expected.hasSuffix("=") { expected.removeLast() }
            let text = SessionTokenSealer.base64url(bytes)
            #expect(text == expected)
            if count > 0 { #expect(SessionTokenSealer.decodeBase64url(text) == bytes) }
        }
        for bad in ["", "A", "AB=", "A+B/", "AB C", "AB\u{e9}", "AB", "AAB"] {
            // "AB" and "AAB" carry non-zero unused bits: not the encoding of any byte string.
            #expect(SessionTokenSealer.decodeBase64url(bad) == nil, "\(bad)")
        }
        #expect(SessionTokenSealer.decodeBase64url("AA") == [0])
    }

    @Test(arguments: [
        ("acs:ram::1234567890123456:role/ECIRamRoleTest", true), ("acs:ram::1234567890123456:role/", false),
        ("acs:ram:cn-hangzhou:1234567890123456:role/R", false), ("acs:ram::abc:role/R", false),
        ("acs:ram::1234567890123456:user/R", false), ("arn:ram::1234567890123456:role/R", false),
        ("acs:ram::1234567890123456:role/a/b", false),
    ])
    func roleArns(arn: String, valid: Bool) {
        #expect((STSService.parseRoleArn(arn) != nil) == valid)
    }

    @Test(arguments: [("ab", true), ("a", false), ("pod.web-1@ns_x", true), ("has space", false), ("ü-umlaut", false)])
    func sessionNames(name: String, valid: Bool) {
        #expect(SessionRules.isValidSessionName(name) == valid)
    }
}

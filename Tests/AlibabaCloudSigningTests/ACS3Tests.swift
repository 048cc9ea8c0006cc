import AlibabaCloudSigning
import Foundation
import LanyardCrypto
import Testing

@Suite struct ACS3Tests {
    /// alibabacloud_tea_openapi 0.4.6 `Utils.get_authorization` for an STS-credential AssumeRole with the
    /// headers `do_request` sets; query sent through Python `urlencode` (space as `+`).
    static let teaQuery =
        "RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Fapp&RoleSessionName=sess+1%2A~%C3%BC&DurationSeconds=900&Policy=%7B%22Version%22%3A%221%22%7D"
    static let teaHeaders: [(name: String, value: String)] = [
        ("host", "127.0.0.1:8100"), ("x-acs-version", "2015-04-01"), ("x-acs-action", "AssumeRole"),
        ("user-agent", "AlibabaCloud (Linux) Python/3.11 Core/0.4.6 TeaDSL/2"), ("x-acs-date", "2024-03-05T07:08:09Z"),
        ("x-acs-signature-nonce", "5a1b2c3d4e5f60718293a4b5c6d7e8f9"), ("accept", "application/json"),
        ("x-acs-credentials-provider", "static_sts"), ("x-acs-accesskey-id", "STS.ak"),
        ("x-acs-security-token", "CAIS+tok/en=="), ("x-acs-content-sha256", ACS3Signature.emptyPayloadHash),
        (
            "Authorization",
            "ACS3-HMAC-SHA256 Credential=STS.ak,SignedHeaders=accept;host;user-agent;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=39f4a2bdd4e1b764a39267dcd582c9cf4248560f47886a1bbe9df568aea4b9d0"
        ),
    ]

    @Test func serverVerifiesTeaOpenAPIRequest() throws {
        let auth = try ACS3Authorization(parsing: Self.teaHeaders.last!.value)
        #expect(auth.accessKeyId == "STS.ak")
        #expect(auth.signedHeaders.count == 11)
        let query = PercentEncoding.parseQuery(Self.teaQuery)
        let canonical = ACS3Signature.canonicalRequest(
            method: "POST", path: "/", query: query, headers: Self.teaHeaders, signedHeaders: auth.signedHeaders,
            payloadHash: ACS3Signature.emptyPayloadHash)
        #expect(canonical.hasPrefix("POST\n/\nDurationSeconds=900&Policy=%7B%22Version%22%3A%221%22%7D&RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Fapp&RoleSessionName=sess%201%2A~%C3%BC\naccept:application/json\nhost:127.0.0.1:8100\n"))
        #expect(canonical.hasSuffix("\n\naccept;host;user-agent;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version\n" + ACS3Signature.emptyPayloadHash))
        #expect(
            ACS3Signature.signature(stringToSign: ACS3Signature.stringToSign(canonicalRequest: canonical), secret: "stsSecret")
                == auth.signature)
        #expect(
            ACS3Signature.isValid(
                auth, secret: "stsSecret", method: "POST", path: "/", query: query, headers: Self.teaHeaders,
                payloadHash: ACS3Signature.emptyPayloadHash))
    }

    /// Same client: a form body (CreateUser), `content-type` signed, body hash in x-acs-content-sha256.
    @Test func serverVerifiesFormBody() throws {
        let body = Array("UserName=alice&DisplayName=Alice+A".utf8)
        let hash = Digest.hash(.sha256, body).hexString
        #expect(hash == "dbe02a05b73d1e91a8f04ef613ac30517a8d760f550f9dbd4431569ebfe0f241")
        let headers: [(name: String, value: String)] = [
            ("Host", "ram.aliyuncs.com"), ("x-acs-version", "2015-05-01"), ("x-acs-action", "CreateUser"),
            ("x-acs-date", "2024-03-05T07:08:09Z"), ("x-acs-signature-nonce", "abc"),
            ("Content-Type", "application/x-www-form-urlencoded"), ("x-acs-content-sha256", hash),
        ]
        let auth = try ACS3Authorization(
            parsing:
                "ACS3-HMAC-SHA256 Credential=ak1,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=a7f2c4207c335a770c7b74b69780911382529233a2e0e3f15abb8a225934f648"
        )
        #expect(ACS3Signature.isValid(auth, secret: "sk1", method: "POST", path: "/", query: [], headers: headers, payloadHash: hash))
        #expect(!ACS3Signature.isValid(auth, secret: "sk1", method: "POST", path: "/", query: [], headers: headers, payloadHash: ACS3Signature.emptyPayloadHash))
    }

    /// Our client, fed the same inputs, produces tea_openapi's exact Authorization header.
    @Test func clientSignMatchesTeaOpenAPI() {
        let headers = ACS3Signature.sign(
            query: PercentEncoding.parseQuery(Self.teaQuery), host: "127.0.0.1:8100", action: "AssumeRole",
            version: "2015-04-01",
            extraHeaders: [
                ("User-Agent", "AlibabaCloud (Linux) Python/3.11 Core/0.4.6 TeaDSL/2"), ("accept", "application/json"),
                ("x-acs-credentials-provider", "static_sts"),
            ],
            accessKeyId: "STS.ak", secret: "stsSecret", securityToken: "CAIS+tok/en==", date: vectorDate,
            nonce: "5a1b2c3d4e5f60718293a4b5c6d7e8f9")
        #expect(headers.last?.name == "authorization")
        #expect(headers.last?.value == Self.teaHeaders.last?.value)
        let names = Set(headers.map(\.name))
        for required in ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
            "x-acs-content-sha256", "x-acs-security-token"]
        {
            #expect(names.contains(required), "\(required)")
        }
    }

    @Test func roundTripAndMutations() throws {
        let body = Array("Policy=%7B%7D".utf8)
        let query: [(name: String, value: String)] = [("RoleArn", "acs:ram::1:role/r"), ("RoleSessionName", "a b")]
        let headers = ACS3Signature.sign(
            query: query, host: "127.0.0.1:8100", action: "AssumeRole", version: "2015-04-01",
            extraHeaders: [("content-type", "application/x-www-form-urlencoded")], body: body, accessKeyId: "ak",
            secret: "sk", securityToken: nil, date: vectorDate, nonce: "n1")
        #expect(!headers.contains { $0.name == "x-acs-security-token" })
        let auth = try ACS3Authorization(parsing: headers.first { $0.name == "authorization" }!.value)
        let hash = Digest.hash(.sha256, body).hexString
        func valid(_ q: [(name: String, value: String)], _ h: [(name: String, value: String)], secret: String = "sk",
            payload: String? = nil) -> Bool
        {
            ACS3Signature.isValid(auth, secret: secret, method: "POST", path: "/", query: q, headers: h, payloadHash: payload ?? hash)
        }
        #expect(valid(query, headers))
        var changedHeader = headers
        changedHeader[0].value = "127.0.0.1:8101"
        #expect(!valid(query, changedHeader))
        #expect(!valid([query[0], ("RoleSessionName", "a+b")], headers))
        #expect(!valid(query + [("Extra", "1")], headers))
        #expect(!valid(query, headers, secret: "sK"))
        #expect(!valid(query, headers, payload: ACS3Signature.emptyPayloadHash))
        // An unsigned header may change freely.
        #expect(valid(query, headers + [("user-agent", "other")]))
    }

    /// Repeated signed headers: values trimmed, sorted and joined with `,` (tea_openapi's rule).
    @Test func repeatedHeaderValuesAreSortedAndJoined() {
        let canonical = ACS3Signature.canonicalRequest(
            method: "GET", path: "/", query: [], headers: [("x-acs-a", " b "), ("X-Acs-A", "a"), ("host", "h")],
            signedHeaders: ["host", "x-acs-a"], payloadHash: "p")
        #expect(canonical == "GET\n/\n\nhost:h\nx-acs-a:a,b\n\nhost;x-acs-a\np")
    }

    @Test func parsesSpacedAndReorderedFields() throws {
        let auth = try ACS3Authorization(parsing: "ACS3-HMAC-SHA256 Signature=ab, Credential=AK, SignedHeaders=Host;x-acs-date")
        #expect(auth == ACS3Authorization(accessKeyId: "AK", signedHeaders: ["host", "x-acs-date"], signature: "ab"))
    }

    @Test(arguments: [
        "", "ACS3-HMAC-SHA256", "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=b",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host", "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=b",
        "ACS3-HMAC-SHA256 SignedHeaders=host,Signature=b", "OSS a:b",
    ])
    func malformedHeaderIsIncompleteSignature(header: String) {
        #expect(throws: SigningError.self) { try ACS3Authorization(parsing: header) }
        do {
            _ = try ACS3Authorization(parsing: header)
        } catch {
            #expect(error.code == "IncompleteSignature")
        }
    }
}

import AlibabaCloudSigning
import Foundation
import Testing

@Suite struct OSSSignatureV4Tests {
    /// Go SDK 3.x oss/conn_test.go `TestAuthV4Header` (spec oss.md §4.5).
    @Test func goSDKVector() throws {
        let parts = OSSRequestParts(
            method: "PUT", bucket: "bucket", key: "1234+-/123/1.txt",
            query: [
                ("param1", "value1"), ("+param1", "value3"), ("|param1", "value4"), ("+param2", nil), ("|param2", nil),
                ("param2", nil),
            ],
            headers: [
                ("x-oss-head1", "value"), ("abc", "value"), ("ZAbc", "value"), ("XYZ", "value"),
                ("content-type", "text/plain"), ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
                ("x-oss-date", "20231216T162057Z"),
            ])
        #expect(OSSSignatureV4.canonicalURI(bucket: parts.bucket, key: parts.key) == "/bucket/1234%2B-/123/1.txt")
        #expect(
            OSSSignatureV4.canonicalQuery(parts.query)
                == "%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2")
        let scope = OSSV4Scope(date: "20231216", region: "cn-hangzhou")
        let canonical = OSSSignatureV4.canonicalRequest(parts: parts, additionalHeaders: [])
        #expect(
            canonical
                == "PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD"
        )
        let text = OSSSignatureV4.stringToSign(timestamp: "20231216T162057Z", scope: scope, canonicalRequest: canonical)
        #expect(
            OSSSignatureV4.signature(stringToSign: text, secret: "sk", scope: scope)
                == "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe")
        // The same request sent by Go 3.x, verified the server way (Go's ",Signature=" form).
        var sent = parts
        sent.headers.append(
            ("Authorization",
             "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"))
        let auth = try #require(try OSSAuthorization.parse(sent))
        #expect(auth.verify(sent, secret: "sk").matches)
        #expect(auth.signingTime == SigningTime.parseISO8601Basic("20231216T162057Z"))
    }

    /// oss2 2.19.1 `ProviderAuthV4._sign_request` (utcnow fixed), STS, additional headers host and range,
    /// oss2's `, ` separators with AdditionalHeaders after Signature.
    static let oss2Headers: [(name: String, value: String)] = [
        ("Content-Type", "text/plain"), ("x-oss-meta-Author", "Ann"), ("Range", "bytes=0-9"), ("Host", "127.0.0.1:8200"),
        ("User-Agent", "aliyun-sdk-python/2.19.1(Linux/6.18.44-fc-v1147/x86_64;3.11.7)"),
        ("x-oss-security-token", "tok+en/1=="), ("x-oss-date", "20240305T070809Z"),
        ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ("authorization",
         "OSS4-HMAC-SHA256 Credential=STS.ak/20240305/cn-hangzhou/oss/aliyun_v4_request, Signature=30002bfaf20711227c669bb3864c13c257eb835cb26aef635d5d48e64611203c, AdditionalHeaders=host;range"),
    ]
    static let oss2Target = "/bkt/dir/a%20b%2Bc.txt?partNumber=3&uploadId=0A1B2C&acl=&prefix=a%2Fb%20c"

    @Test func serverVerifiesOSS2Header() throws {
        let parts = ossParts("PUT", Self.oss2Target, headers: Self.oss2Headers)
        let auth = try #require(try OSSAuthorization.parse(parts))
        #expect(
            auth.kind
                == .v4Header(
                    scope: OSSV4Scope(date: "20240305", region: "cn-hangzhou"), additionalHeaders: ["host", "range"],
                    timestamp: "20240305T070809Z"))
        #expect(auth.securityToken == "tok+en/1==")
        let result = auth.verify(parts, secret: "stsSecret")
        #expect(result.matches)
        #expect(result.canonicalRequest?.contains("\nhost:127.0.0.1:8200\nrange:bytes=0-9\n") == true)
        #expect(result.canonicalRequest?.contains("user-agent") == false)
        var moved = parts
        moved.headers[2].value = "bytes=0-10"
        #expect(!auth.verify(moved, secret: "stsSecret").matches)
    }

    @Test func clientSignMatchesOSS2Signature() throws {
        let unsigned = ossParts("PUT", Self.oss2Target, headers: Array(Self.oss2Headers.prefix(5)))
        let added = OSSSignatureV4.sign(
            unsigned, accessKeyId: "STS.ak", secret: "stsSecret", securityToken: "tok+en/1==", region: "cn-hangzhou",
            date: vectorDate, additionalHeaders: ["Range", "host", "x-oss-meta-author", "content-type", "absent"])
        #expect(added.map(\.name) == ["x-oss-date", "x-oss-content-sha256", "x-oss-security-token", "authorization"])
        #expect(
            added.last?.value
                == "OSS4-HMAC-SHA256 Credential=STS.ak/20240305/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host;range,Signature=30002bfaf20711227c669bb3864c13c257eb835cb26aef635d5d48e64611203c"
        )
    }

    /// oss2: service-level request (ListBuckets) → canonical URI `/`.
    @Test func serverVerifiesOSS2ServiceRequest() throws {
        let parts = ossParts(
            "GET", "/",
            headers: [
                ("x-oss-date", "20240305T070809Z"), ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
                ("authorization",
                 "OSS4-HMAC-SHA256 Credential=ak/20240305/cn-hangzhou/oss/aliyun_v4_request, Signature=0a8d23623e47f7f09116ceef52dfc9df706d2de45baa93dbff364fd9396fa3a3"),
            ])
        #expect(parts.bucket == nil)
        let auth = try #require(try OSSAuthorization.parse(parts))
        #expect(auth.verify(parts, secret: "sk").matches)
    }

    /// oss2 `AuthV4._sign_url` (utcnow fixed): key with a CJK character, value with `/`.
    static let oss2URL =
        "/bkt/dir/%E4%BD%A0.txt?versionId=v1%2Fx&x-oss-date=20240305T070809Z&x-oss-expires=900&x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=ak%2F20240305%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-signature=1ae3154ddebd71eac11b26a05495a11c5b700e883b19037fd710dd79458edc67"

    @Test func serverVerifiesOSS2PresignedURL() throws {
        let parts = ossParts("GET", Self.oss2URL)
        let auth = try #require(try OSSAuthorization.parse(parts))
        #expect(auth.accessKeyId == "ak")
        #expect(auth.expiration == vectorDate.addingTimeInterval(900))
        #expect(auth.verify(parts, secret: "sk").matches)
        #expect(!auth.verify(ossParts("GET", Self.oss2URL.replacingOccurrences(of: "v1%2Fx", with: "v2%2Fx")), secret: "sk").matches)
    }

    @Test func clientPresignMatchesOSS2Signature() {
        let added = OSSSignatureV4.presign(
            ossParts("GET", "/bkt/dir/%E4%BD%A0.txt?versionId=v1%2Fx"), accessKeyId: "ak", secret: "sk",
            securityToken: nil, region: "cn-hangzhou", date: vectorDate, expiresIn: 900)
        #expect(added.last?.name == "x-oss-signature")
        #expect(added.last?.value == "1ae3154ddebd71eac11b26a05495a11c5b700e883b19037fd710dd79458edc67")
    }

    /// alibabacloud-oss-v2 1.4.1 `SignerV4._auth_header` (signing_time fixed): STS, additional header
    /// If-Match, valueless `acl=`, a query value with `/` and space.
    static let pyv2Target = "/bkt/dir/a%20b%2Bc.txt?prefix=a%2Fb%20c&max-keys=10&acl="
    static let pyv2Headers: [(name: String, value: String)] = [
        ("Content-Type", "text/plain"), ("x-oss-meta-x", "y"), ("If-Match", "\"abc\""), ("x-oss-date", "20240305T070809Z"),
        ("Date", "Tue, 05 Mar 2024 07:08:09 GMT"), ("x-oss-security-token", "tok+en/1=="),
        ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ("Authorization",
         "OSS4-HMAC-SHA256 Credential=STS.ak/20240305/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=if-match,Signature=3e8eb6fe11116175a5027a863cba92d4102c6b56308326db990d40f365380d39"),
    ]

    @Test func serverVerifiesPythonV2Header() throws {
        let parts = ossParts("GET", Self.pyv2Target, headers: Self.pyv2Headers)
        let auth = try #require(try OSSAuthorization.parse(parts))
        let result = auth.verify(parts, secret: "stsSecret")
        #expect(
            result.stringToSign
                == "OSS4-HMAC-SHA256\n20240305T070809Z\n20240305/cn-hangzhou/oss/aliyun_v4_request\n4bfe81bd6a453b2d43e3f80258ef6fc2c9c4481c8c499e554159628716db3d4e"
        )
        #expect(result.matches)
    }

    @Test func clientSignMatchesPythonV2Exactly() {
        var unsigned = ossParts("GET", Self.pyv2Target, headers: Array(Self.pyv2Headers.prefix(3)))
        unsigned.headers.append(("Date", "Tue, 05 Mar 2024 07:08:09 GMT"))
        let added = OSSSignatureV4.sign(
            unsigned, accessKeyId: "STS.ak", secret: "stsSecret", securityToken: "tok+en/1==", region: "cn-hangzhou",
            date: vectorDate, additionalHeaders: ["If-Match"])
        #expect(added.last?.value == Self.pyv2Headers.last?.value)
    }

    /// alibabacloud-oss-v2 1.4.1 `SignerV4._auth_query` with STS (expiration 600 s).
    static let pyv2URL =
        "/bkt/dir/x.txt?versionId=v1%2Fx&x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-date=20240305T070809Z&x-oss-expires=600&x-oss-credential=STS.ak%2F20240305%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-security-token=tok%2Ben%2F1%3D%3D&x-oss-signature=0332ca6d2cb05cd90947f12d9c0fc408f54028c99e55797181679c5991fadd90"

    @Test func serverVerifiesPythonV2PresignedURL() throws {
        let parts = ossParts("GET", Self.pyv2URL)
        let auth = try #require(try OSSAuthorization.parse(parts))
        #expect(auth.securityToken == "tok+en/1==")
        let result = auth.verify(parts, secret: "stsSecret")
        #expect(
            result.stringToSign
                == "OSS4-HMAC-SHA256\n20240305T070809Z\n20240305/cn-hangzhou/oss/aliyun_v4_request\n6a7eb3c834d48adf30097a6a4d5fd9c06f63386350d4782c3b6a60e0916a90e1"
        )
        #expect(result.matches)
    }

    @Test func clientPresignMatchesPythonV2() {
        let parts = ossParts("GET", "/bkt/dir/x.txt?versionId=v1%2Fx")
        let added = OSSSignatureV4.presign(
            parts, accessKeyId: "STS.ak", secret: "stsSecret", securityToken: "tok+en/1==", region: "cn-hangzhou",
            date: vectorDate, expiresIn: 600)
        #expect(added.last?.value == "0332ca6d2cb05cd90947f12d9c0fc408f54028c99e55797181679c5991fadd90")
        #expect(Set(added.map(\.name)) == [
            "x-oss-signature-version", "x-oss-date", "x-oss-expires", "x-oss-credential", "x-oss-security-token",
            "x-oss-signature",
        ])
    }

    @Test func signingKeyDependsOnEveryScopePart() {
        let key = OSSSignatureV4.signingKey(secret: "sk", date: "20240305", region: "cn-hangzhou")
        #expect(key.count == 32)
        #expect(key != OSSSignatureV4.signingKey(secret: "sk", date: "20240306", region: "cn-hangzhou"))
        #expect(key != OSSSignatureV4.signingKey(secret: "sk", date: "20240305", region: "cn-beijing"))
        #expect(key != OSSSignatureV4.signingKey(secret: "sk", date: "20240305", region: "cn-hangzhou", product: "x"))
        #expect(key != OSSSignatureV4.signingKey(secret: "sK", date: "20240305", region: "cn-hangzhou"))
    }

    @Test func headerRoundTripAndMutations() throws {
        let base = OSSRequestParts(
            method: "PUT", bucket: "bkt", key: "a/ü b+c", query: [("tagging", nil), ("x", "1/2")],
            headers: [("Content-Type", "text/plain"), ("x-oss-meta-k", "v"), ("Range", "bytes=1-2"), ("Accept", "*/*")])
        var request = base
        request.headers += OSSSignatureV4.sign(
            base, accessKeyId: "ak", secret: "sk", securityToken: "tok", region: "cn-hangzhou", date: vectorDate,
            additionalHeaders: ["range"])
        let auth = try #require(try OSSAuthorization.parse(request))
        #expect(auth.verify(request, secret: "sk").matches)

        var mutations: [OSSRequestParts] = []
        var m = request
        m.key = "a/ü b c"
        mutations.append(m)
        m = request
        m.query[1].value = "1%2F2"
        mutations.append(m)
        m = request
        m.query.append(("prefix", ""))  // V4 signs every parameter
        mutations.append(m)
        m = request
        m.headers[2].value = "bytes=1-3"  // additional header
        mutations.append(m)
        m = request
        m.headers[1].value = "w"
        mutations.append(m)
        m = request
        m.bucket = "bkt2"
        mutations.append(m)
        for mutated in mutations { #expect(!auth.verify(mutated, secret: "sk").matches) }
        #expect(!auth.verify(request, secret: "skk").matches)
        m = request
        m.headers[3].value = "text/html"  // not signed
        #expect(auth.verify(m, secret: "sk").matches)
    }

    @Test func presignRoundTripWithAdditionalHeaders() throws {
        let base = OSSRequestParts(
            method: "PUT", bucket: "bkt", key: "k", headers: [("Content-Type", "a/b"), ("Content-Disposition", "x")])
        var request = base
        request.query += OSSSignatureV4.presign(
            base, accessKeyId: "ak", secret: "sk", securityToken: nil, region: "cn-hangzhou", date: vectorDate,
            expiresIn: 60, additionalHeaders: ["content-disposition"]
        ).map { ($0.name, Optional($0.value)) }
        let auth = try #require(try OSSAuthorization.parse(request))
        guard case .v4Query(_, let additional, _, let expiresIn) = auth.kind else {
            Issue.record("expected V4 query")
            return
        }
        #expect(additional == ["content-disposition"])
        #expect(expiresIn == "60")
        #expect(auth.verify(request, secret: "sk").matches)
        var m = request
        m.headers[1].value = "y"
        #expect(!auth.verify(m, secret: "sk").matches)
        m = request
        m.headers[0].value = "a/c"
        #expect(!auth.verify(m, secret: "sk").matches)
    }

    /// Go 3.x sets no x-oss-date: the timestamp line is the raw Date header, the scope comes from Credential.
    @Test func goSDKDateHeaderTimestamp() throws {
        let date = "Tue, 05 Mar 2024 07:08:09 GMT"
        let parts = OSSRequestParts(
            method: "GET", bucket: "b", key: "k", headers: [("Date", date), ("x-oss-content-sha256", "UNSIGNED-PAYLOAD")])
        let scope = OSSV4Scope(date: "20240305", region: "cn-hangzhou")
        let signature = OSSSignatureV4.signature(
            stringToSign: OSSSignatureV4.stringToSign(
                timestamp: date, scope: scope,
                canonicalRequest: OSSSignatureV4.canonicalRequest(parts: parts, additionalHeaders: [])),
            secret: "sk", scope: scope)
        var sent = parts
        sent.headers.append(("Authorization", "OSS4-HMAC-SHA256 Credential=ak/\(scope.text),Signature=\(signature)"))
        let auth = try #require(try OSSAuthorization.parse(sent))
        #expect(auth.verify(sent, secret: "sk").matches)
        #expect(auth.signingTime == vectorDate)
    }

    @Test(arguments: [
        "OSS4-HMAC-SHA256 Signature=abc", "OSS4-HMAC-SHA256 Credential=ak/20240305/cn-hangzhou/oss/aliyun_v4_request",
        "OSS4-HMAC-SHA256 Credential=ak/2024035/cn-hangzhou/oss/aliyun_v4_request,Signature=a",
        "OSS4-HMAC-SHA256 Credential=ak/20240305/cn-hangzhou/oss/aws4_request,Signature=a",
        "OSS4-HMAC-SHA256 Credential=/20240305/cn-hangzhou/oss/aliyun_v4_request,Signature=a",
        "OSS4-HMAC-SHA256 Credential=ak/20240305/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=,Signature=a",
        "OSS4-HMAC-SHA256 Credential=ak/20240305/cn-hangzhou/oss/aliyun_v4_request,Signature=a,Bogus=1",
        "OSS4-HMAC-SHA256 Credential=ak/20240305/cn-hangzhou/oss/aliyun_v4_request,Signature",
    ])
    func malformedV4HeaderIsInvalidArgument(header: String) {
        let parts = OSSRequestParts(method: "GET", bucket: "b", key: nil, headers: [("Authorization", header)])
        do {
            _ = try OSSAuthorization.parse(parts)
            Issue.record("expected an error for \(header)")
        } catch {
            #expect(error.code == "InvalidArgument")
        }
    }

    @Test func incompleteV4QueryIsAccessDenied() {
        do {
            _ = try OSSAuthorization.parse(ossParts("GET", "/b/k?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-date=20240305T070809Z"))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == "AccessDenied")
        }
    }
}

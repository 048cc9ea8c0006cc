import AlibabaCloudSigning
import Foundation
import Testing

@Suite struct OSSSignatureV1Tests {
    /// Docs "Add a signature to the header" example (spec oss.md §3).
    @Test func documentationVector() {
        let parts = OSSRequestParts(
            method: "PUT", bucket: "oss-example", key: "nelson",
            headers: [
                ("Content-Md5", "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM="), ("Content-Type", "text/html"),
                ("Date", "Thu, 17 Nov 2005 18:49:58 GMT"), ("X-OSS-Meta-Author", "foo@bar.com"),
                ("X-OSS-Magic", "abracadabra"), ("Host", "oss-example.oss-cn-hangzhou.aliyuncs.com"),
            ])
        let text = OSSSignatureV1.stringToSign(parts: parts, date: OSSSignatureV1.dateLine(parts))
        #expect(
            text
                == "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson"
        )
        #expect(
            OSSSignatureV1.signature(stringToSign: text, secret: "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV")
                == "26NBxoKdsyly4EDv6inkoDft/yA=")
    }

    /// oss2 2.19.1 `StsAuth._sign_request` (date fixed): multipart UploadPart of a key with space and `+`,
    /// mixed-case x-oss headers, a non-sub-resource `prefix` parameter.
    static let oss2PutHeaders: [(name: String, value: String)] = [
        ("Content-Type", "text/plain"), ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="), ("x-oss-meta-Author", "Ann"),
        ("X-OSS-Storage-Class", "Standard"),
        ("User-Agent", "aliyun-sdk-python/2.19.1(Linux/6.18.44-fc-v1147/x86_64;3.11.7)"),
        ("x-oss-security-token", "tok+en/1=="), ("date", "Tue, 05 Mar 2024 07:08:09 GMT"),
        ("authorization", "OSS STS.ak:c3ajvhAbh7FcBKm9pi6VYuOsztw="),
    ]
    static let oss2PutTarget = "/bkt/dir/a%20b%2Bc.txt?partNumber=3&uploadId=0A1B2C&prefix=x"

    @Test func serverVerifiesOSS2HeaderSignature() throws {
        let parts = ossParts("PUT", Self.oss2PutTarget, headers: Self.oss2PutHeaders)
        #expect(parts.key == "dir/a b+c.txt")
        let auth = try #require(try OSSAuthorization.parse(parts))
        #expect(auth.accessKeyId == "STS.ak")
        #expect(auth.securityToken == "tok+en/1==")
        #expect(auth.signingTime == vectorDate)
        let result = auth.verify(parts, secret: "stsSecret")
        #expect(
            result.stringToSign
                == "PUT\n1B2M2Y8AsgTpgAmY7PhCfg==\ntext/plain\nTue, 05 Mar 2024 07:08:09 GMT\nx-oss-meta-author:Ann\nx-oss-security-token:tok+en/1==\nx-oss-storage-class:Standard\n/bkt/dir/a b+c.txt?partNumber=3&uploadId=0A1B2C"
        )
        #expect(result.matches)
        #expect(!auth.verify(parts, secret: "stsSecreT").matches)
    }

    @Test func clientSignMatchesOSS2() {
        let unsigned = ossParts("PUT", Self.oss2PutTarget, headers: Array(Self.oss2PutHeaders.prefix(5)))
        let added = OSSSignatureV1.sign(
            unsigned, accessKeyId: "STS.ak", secret: "stsSecret", securityToken: "tok+en/1==", date: vectorDate)
        #expect(added.map(\.name) == ["date", "x-oss-security-token", "authorization"])
        #expect(added.last?.value == "OSS STS.ak:c3ajvhAbh7FcBKm9pi6VYuOsztw=")
    }

    /// oss2: ListObjectsV2 sends `continuation-token=` (empty, but a sub-resource) plus `acl=`.
    @Test func emptyValuedSubresourcesCount() throws {
        let parts = ossParts(
            "GET", "/bkt/?continuation-token=&list-type=2&prefix=&delimiter=%2F&acl=",
            headers: [("date", "Tue, 05 Mar 2024 07:08:09 GMT"), ("authorization", "OSS ak:wNdcySXeKQ6LNhhDSSboawgVzDg=")])
        #expect(OSSSignatureV1.canonicalizedResource(bucket: parts.bucket, key: parts.key, query: parts.query) == "/bkt/?acl&continuation-token")
        let auth = try #require(try OSSAuthorization.parse(parts))
        #expect(auth.verify(parts, secret: "sk").matches)
    }

    /// Valueless (`?acl`, Go 1.5) and empty (`?acl=`, oss2) sign the same way.
    @Test func valuelessEqualsEmpty() {
        #expect(
            OSSSignatureV1.canonicalizedResource(bucket: "b", key: nil, query: [("acl", nil)])
                == OSSSignatureV1.canonicalizedResource(bucket: "b", key: nil, query: [("acl", "")]))
        #expect(OSSSignatureV1.canonicalizedResource(bucket: nil, key: nil, query: []) == "/")
        #expect(OSSSignatureV1.canonicalizedResource(bucket: nil, key: nil, query: [("regionList", nil)]) == "/?regionList")
        #expect(
            OSSSignatureV1.canonicalizedResource(
                bucket: "b", key: "k", query: [("uploadId", "U"), ("partNumber", "1"), ("max-parts", "5"), ("?objectMeta", nil)])
                == "/b/k?partNumber=1&uploadId=U")
    }

    /// oss2 2.19.1 `StsAuth._sign_url` (time fixed): security-token is a signed sub-resource, Expires is the
    /// Date line.
    static let oss2URL =
        "/bkt/k%C3%BC/x.txt?response-content-type=text%2Fplain&security-token=tok%2Ben%2F1%3D%3D&OSSAccessKeyId=STS.ak&Expires=1709626089&Signature=xAXvuBEH7wwNdGnelD6wNCQQ%2FX4%3D"

    @Test func serverVerifiesOSS2PresignedURL() throws {
        let parts = ossParts("GET", Self.oss2URL)
        let auth = try #require(try OSSAuthorization.parse(parts))
        #expect(auth.kind == .v1Query(expires: "1709626089"))
        #expect(auth.securityToken == "tok+en/1==")
        #expect(auth.expiration == Date(timeIntervalSince1970: 1_709_626_089))
        let result = auth.verify(parts, secret: "stsSecret")
        #expect(result.stringToSign == "GET\n\n\n1709626089\n/bkt/kü/x.txt?response-content-type=text/plain&security-token=tok+en/1==")
        #expect(result.matches)
        #expect(!auth.verify(ossParts("GET", Self.oss2URL.replacingOccurrences(of: "x.txt", with: "y.txt")), secret: "stsSecret").matches)
    }

    @Test func clientPresignMatchesOSS2() {
        let parts = ossParts("GET", "/bkt/k%C3%BC/x.txt?response-content-type=text%2Fplain")
        let added = OSSSignatureV1.presign(
            parts, accessKeyId: "STS.ak", secret: "stsSecret", securityToken: "tok+en/1==",
            expires: Date(timeIntervalSince1970: 1_709_626_089))
        #expect(
            PercentEncoding.formatQuery((parts.query + added.map { ($0.name, Optional($0.value)) }))
                == String(Self.oss2URL.split(separator: "?")[1]))
    }

    /// alibabacloud-oss-v2 1.4.1 `SignerV1` header signing with STS: the token goes in a `security-token`
    /// header, which is not signed.
    @Test func serverVerifiesPythonV2V1Header() throws {
        let parts = ossParts(
            "PUT", "/bkt/k.txt?tagging=",
            headers: [
                ("Content-Type", "application/xml"), ("x-oss-meta-a", "b"), ("Date", "Tue, 05 Mar 2024 07:08:09 GMT"),
                ("security-token", "tok+en/1=="), ("Authorization", "OSS STS.ak:SqXsHAz4f3a75yC3FICB5E1JSzQ="),
            ])
        let auth = try #require(try OSSAuthorization.parse(parts))
        #expect(auth.securityToken == "tok+en/1==")
        let result = auth.verify(parts, secret: "stsSecret")
        #expect(result.stringToSign == "PUT\n\napplication/xml\nTue, 05 Mar 2024 07:08:09 GMT\nx-oss-meta-a:b\n/bkt/k.txt?tagging")
        #expect(result.matches)
    }

    @Test func roundTripAndMutations() throws {
        let base = OSSRequestParts(
            method: "PUT", bucket: "bkt", key: "a/ü b+c", query: [("acl", nil), ("prefix", "p")],
            headers: [("Content-Type", "text/plain"), ("x-oss-object-acl", "private"), ("Content-Length", "3")])
        var request = base
        request.headers += OSSSignatureV1.sign(base, accessKeyId: "ak", secret: "sk", securityToken: "tok", date: vectorDate)
        let auth = try #require(try OSSAuthorization.parse(request))
        #expect(auth.verify(request, secret: "sk").matches)

        var mutations: [OSSRequestParts] = []
        var m = request
        m.key = "a/ü b c"
        mutations.append(m)
        m = request
        m.headers[1].value = "public-read"
        mutations.append(m)
        m = request
        m.headers.append(("x-oss-meta-new", "1"))
        mutations.append(m)
        m = request
        m.query.append(("uploadId", "X"))
        mutations.append(m)
        m = request
        m.method = "POST"
        mutations.append(m)
        m = request
        m.headers[0].value = "text/html"
        mutations.append(m)
        for mutated in mutations { #expect(!auth.verify(mutated, secret: "sk").matches) }
        #expect(!auth.verify(request, secret: "sK").matches)
        // Non-sub-resource parameters and non-x-oss headers are not signed.
        m = request
        m.query[1].value = "q"
        m.headers[2].value = "4"
        #expect(auth.verify(m, secret: "sk").matches)
    }

    @Test func presignRoundTrip() throws {
        let base = OSSRequestParts(method: "GET", bucket: "bkt", key: "k", query: [("versionId", "v1")])
        var request = base
        request.query += OSSSignatureV1.presign(
            base, accessKeyId: "ak", secret: "sk", securityToken: nil, expires: vectorDate
        ).map { ($0.name, Optional($0.value)) }
        let auth = try #require(try OSSAuthorization.parse(request))
        #expect(auth.securityToken == nil)
        #expect(auth.verify(request, secret: "sk").matches)
        request.query[0].value = "v2"
        #expect(!auth.verify(request, secret: "sk").matches)
    }

    @Test(arguments: ["OSS ak", "OSS :sig", "OSS ak:", "Bearer x", "OSS2 AccessKeyId:a,Signature:b"])
    func malformedHeaderIsInvalidArgument(header: String) {
        let parts = OSSRequestParts(method: "GET", bucket: "b", key: nil, headers: [("Authorization", header)])
        do {
            _ = try OSSAuthorization.parse(parts)
            Issue.record("expected an error for \(header)")
        } catch {
            #expect(error.code == "InvalidArgument")
        }
    }

    @Test func incompletePresignedQueryIsAccessDenied() {
        let parts = ossParts("GET", "/b/k?OSSAccessKeyId=ak&Expires=1")
        do {
            _ = try OSSAuthorization.parse(parts)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == "AccessDenied")
            #expect(error.message.contains("Signature, Expires and OSSAccessKeyId"))
        }
    }

    @Test func anonymousRequestHasNoAuthorization() throws {
        #expect(try OSSAuthorization.parse(ossParts("GET", "/b/k?acl")) == nil)
    }
}

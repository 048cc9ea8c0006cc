import AlibabaCloudCredentials
import Foundation
import Testing

@testable import AlibabaCloudOSS

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

func client(
    endpoint: String = "http://oss-cn-hangzhou.aliyuncs.com", version: OSSClient.SignatureVersion = .v4,
    style: OSSClient.AddressingStyle = .automatic, credentials: any CredentialsProvider = StaticAccessKeyCredentialsProvider(
        accessKeyId: "ak", accessKeySecret: "sk"), now: Date = Date(timeIntervalSince1970: 1_702_743_657)
) throws -> OSSClient {
    try OSSClient(
        region: "cn-hangzhou", endpoint: endpoint, credentialsProvider: credentials, signatureVersion: version,
        addressingStyle: style, now: { now })
}

func headers(_ request: URLRequest) -> [String: String] {
    var out: [String: String] = [:]
    for (name, value) in request.allHTTPHeaderFields ?? [:] { out[name.lowercased()] = value }
    return out
}

@Suite("OSS request construction and signing (no server)")
struct RequestConstructionTests {
    /// Go SDK 3.x `TestAuthV4Header` (spec/oss.md §4.5).
    static let v4VectorRequest = OSSClient.Request(
        method: "PUT", bucket: "bucket", key: "1234+-/123/1.txt",
        query: [
            ("param1", "value1"), ("+param1", "value3"), ("|param1", "value4"), ("+param2", nil), ("|param2", nil),
            ("param2", nil),
        ],
        headers: [
            ("content-type", "text/plain"), ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"), ("x-oss-head1", "value"),
            ("abc", "value"), ("ZAbc", "value"), ("XYZ", "value"),
        ])

    @Test func v4HeaderSignatureMatchesTheGoVector() throws {
        let credentials = Credentials(accessKeyId: "ak", accessKeySecret: "sk", providerName: "test")
        let request = try client().signedURLRequest(
            Self.v4VectorRequest, credentials: credentials, date: Date(timeIntervalSince1970: 1_702_743_657))
        let sent = headers(request)
        #expect(sent["x-oss-date"] == "20231216T162057Z")
        #expect(
            sent["authorization"]
                == "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,"
                + "Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe")
        #expect(request.httpMethod == "PUT")
        #expect(
            request.url?.absoluteString
                == "http://bucket.oss-cn-hangzhou.aliyuncs.com/1234%2B-/123/1.txt"
                + "?param1=value1&%2Bparam1=value3&%7Cparam1=value4&%2Bparam2&%7Cparam2&param2")
    }

    @Test func pathStyleChangesTheURLButNotTheV4Signature() throws {
        let credentials = Credentials(accessKeyId: "ak", accessKeySecret: "sk", providerName: "test")
        let date = Date(timeIntervalSince1970: 1_702_743_657)
        let virtual = try client().signedURLRequest(Self.v4VectorRequest, credentials: credentials, date: date)
        let path = try client(endpoint: "http://127.0.0.1:9000").signedURLRequest(
            Self.v4VectorRequest, credentials: credentials, date: date)
        #expect(path.url?.absoluteString.hasPrefix("http://127.0.0.1:9000/bucket/1234%2B-/123/1.txt?") == true)
        #expect(headers(path)["authorization"] == headers(virtual)["authorization"])
    }

    /// The OSS documentation's V1 example (spec/oss.md §3).
    @Test func v1HeaderSignatureMatchesTheDocumentedVector() throws {
        let credentials = Credentials(
            accessKeyId: "44CF9590006BF252F707", accessKeySecret: "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV",
            providerName: "test")
        let request = OSSClient.Request(
            method: "PUT", bucket: "oss-example", key: "nelson",
            headers: [
                ("Content-MD5", "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM="), ("Content-Type", "text/html"),
                ("X-OSS-Meta-Author", "foo@bar.com"), ("X-OSS-Magic", "abracadabra"),
            ])
        let signed = try client(endpoint: "https://oss-cn-hangzhou.aliyuncs.com", version: .v1).signedURLRequest(
            request, credentials: credentials, date: Date(timeIntervalSince1970: 1_132_253_398))
        let sent = headers(signed)
        #expect(sent["date"] == "Thu, 17 Nov 2005 18:49:58 GMT")
        #expect(sent["authorization"] == "OSS 44CF9590006BF252F707:26NBxoKdsyly4EDv6inkoDft/yA=")
        #expect(signed.url?.absoluteString == "https://oss-example.oss-cn-hangzhou.aliyuncs.com/nelson")
    }

    @Test(arguments: [OSSClient.SignatureVersion.v1, .v4])
    func stsTokenIsSent(version: OSSClient.SignatureVersion) throws {
        let credentials = Credentials(
            accessKeyId: "STS.k", accessKeySecret: "s", securityToken: "CAIS-token", providerName: "test")
        let signed = try client(version: version).signedURLRequest(
            OSSClient.Request(method: "GET", bucket: "bkt", key: "k"), credentials: credentials, date: Date())
        #expect(headers(signed)["x-oss-security-token"] == "CAIS-token")
    }

    @Test(
        arguments: [
            ("http://127.0.0.1:8080", OSSClient.AddressingStyle.automatic, "http://127.0.0.1:8080/bkt/a%20b/c%2Bd"),
            ("http://localhost:8080", .automatic, "http://localhost:8080/bkt/a%20b/c%2Bd"),
            ("http://[::1]:8080", .automatic, "http://[::1]:8080/bkt/a%20b/c%2Bd"),
            ("oss-cn-hangzhou.aliyuncs.com", .automatic, "https://bkt.oss-cn-hangzhou.aliyuncs.com/a%20b/c%2Bd"),
            ("http://oss.local:8080", .path, "http://oss.local:8080/bkt/a%20b/c%2Bd"),
            ("http://127.0.0.1:8080", .virtualHosted, "http://bkt.127.0.0.1:8080/a%20b/c%2Bd"),
        ] as [(String, OSSClient.AddressingStyle, String)])
    func addressing(endpoint: String, style: OSSClient.AddressingStyle, url: String) throws {
        let oss = try client(endpoint: endpoint, style: style)
        #expect(oss.url(for: OSSClient.Request(method: "GET", bucket: "bkt", key: "a b/c+d")).absoluteString == url)
    }

    @Test(
        arguments: [
            ("a/../b", "/bkt/a/%2E%2E/b"), ("a/./b", "/bkt/a/%2E/b"), ("..", "/bkt/%2E%2E"), (".", "/bkt/%2E"),
            ("../", "/bkt/%2E%2E/"), ("a/.../b", "/bkt/a/.../b"), ("a/.b./c", "/bkt/a/.b./c"), ("a//b", "/bkt/a//b"),
        ])
    func dotSegmentsSurviveURLLoading(key: String, path: String) throws {
        let url = try client(endpoint: "http://127.0.0.1:1").url(for: OSSClient.Request(method: "GET", bucket: "bkt", key: key))
        #expect(url.absoluteString == "http://127.0.0.1:1" + path)
    }

    @Test func bucketAndServiceLevelPaths() throws {
        let oss = try client(endpoint: "http://127.0.0.1:1")
        #expect(
            oss.url(for: OSSClient.Request(method: "GET", bucket: "bkt", key: nil, query: [("uploads", nil)]))
                .absoluteString == "http://127.0.0.1:1/bkt/?uploads")
        #expect(oss.url(for: OSSClient.Request(method: "GET", bucket: nil, key: nil)).absoluteString == "http://127.0.0.1:1/")
    }

    @Test func defaultEndpointAndRegionPrefix() throws {
        let oss = try OSSClient(
            region: "oss-cn-beijing", credentialsProvider: StaticAccessKeyCredentialsProvider(accessKeyId: "a", accessKeySecret: "b"))
        #expect(oss.region == "cn-beijing")
        #expect(oss.endpoint.absoluteString == "https://oss-cn-beijing.aliyuncs.com")
        #expect(!oss.usesPathStyle)
        #expect(throws: OSSError.self) {
            try OSSClient(region: "r", endpoint: "http://", credentialsProvider: StaticAccessKeyCredentialsProvider(accessKeyId: "a", accessKeySecret: "b"))
        }
    }

    @Test func presignV4() async throws {
        let sts = StaticSTSCredentialsProvider(accessKeyId: "STS.k", accessKeySecret: "s", securityToken: "tok+/=")
        let url = try await client(credentials: sts).presignedURL(bucket: "bkt", key: "dir/file.txt", expiresIn: 600)
        let components = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(components.host == "bkt.oss-cn-hangzhou.aliyuncs.com")
        #expect(components.path == "/dir/file.txt")
        #expect(query["x-oss-signature-version"] == "OSS4-HMAC-SHA256")
        #expect(query["x-oss-date"] == "20231216T162057Z")
        #expect(query["x-oss-expires"] == "600")
        #expect(query["x-oss-credential"] == "STS.k/20231216/cn-hangzhou/oss/aliyun_v4_request")
        #expect(query["x-oss-security-token"] == "tok+/=")
        #expect(query["x-oss-signature"]?.count == 64)
        // The token is percent-encoded in the raw URL.
        #expect(url.absoluteString.contains("x-oss-security-token=tok%2B%2F%3D"))
    }

    @Test func presignV1() async throws {
        let url = try await client(version: .v1).presignedURL(
            method: "PUT", bucket: "bkt", key: "k", expiresIn: 60, query: ["response-content-type": "text/plain"])
        let components = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query["OSSAccessKeyId"] == "ak")
        #expect(query["Expires"] == "1702743717")
        #expect(query["response-content-type"] == "text/plain")
        #expect(query["Signature"]?.hasSuffix("=") == true)
        await #expect(throws: OSSError.self) { try await client().presignedURL(bucket: "bkt", key: "k", expiresIn: 8 * 86400) }
    }

    @Test func credentialsAreAskedPerRequest() async throws {
        let counter = CountingProvider()
        let oss = try client(credentials: counter)
        for n in 1...3 {
            let url = try await oss.presignedURL(bucket: "bkt", key: "k")
            #expect(url.absoluteString.contains("x-oss-credential=AK\(n)%2F"))
        }
    }

    @Test(
        arguments: [
            (Int64(0), 1024 * 1024, [Int]()),
            (1, 1024 * 1024, [1]),
            (250 * 1024, 100 * 1024, [102_400, 102_400, 51_200]),
            (300 * 1024, 1, [102_400, 102_400, 102_400]),  // raised to the 100 KiB minimum
        ] as [(Int64, Int, [Int])])
    func partPlan(size: Int64, partSize: Int, lengths: [Int]) {
        let plan = OSSClient.partPlan(size: size, partSize: partSize)
        #expect(plan.map(\.length) == lengths)
        #expect(plan.map(\.number) == Array(1...max(1, lengths.count)).prefix(lengths.count).map { $0 })
        #expect(plan.reduce(Int64(0)) { $0 + Int64($1.length) } == size)
    }

    @Test func partPlanStaysWithinTenThousandParts() {
        let size: Int64 = 200 * 1024 * 1024 * 1024
        let plan = OSSClient.partPlan(size: size, partSize: 5 * 1024 * 1024)
        #expect(plan.count <= 10_000)
        #expect(plan.last.map { $0.offset + Int64($0.length) } == size)
    }

    @Test func byteRanges() throws {
        #expect(OSSByteRange.bytes(0...99).headerValue == "bytes=0-99")
        #expect(OSSByteRange.from(100).headerValue == "bytes=100-")
        #expect(OSSByteRange.suffix(5).headerValue == "bytes=-5")
        #expect(try OSSByteRange.from(0).headers().map { "\($0): \($1)" } == ["Range: bytes=0-", "x-oss-range-behavior: standard"])
    }

    @Test func xmlDocumentsEscapeKeys() {
        #expect(
            OSSClient.deleteDocument(keys: ["a&b", "<c>"])
                == #"<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>"#
                + "<Object><Key>a&amp;b</Key></Object><Object><Key>&lt;c&gt;</Key></Object></Delete>")
        #expect(
            OSSClient.completeDocument(parts: [.init(partNumber: 2, etag: "\"B\""), .init(partNumber: 1, etag: "\"A\"")])
                == #"<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>"#
                + "<Part><PartNumber>1</PartNumber><ETag>&quot;A&quot;</ETag></Part>"
                + "<Part><PartNumber>2</PartNumber><ETag>&quot;B&quot;</ETag></Part></CompleteMultipartUpload>")
    }
}

/// Hands out AK1, AK2, ... to prove the client asks on every request.
final class CountingProvider: CredentialsProvider {
    private let lock = NSLock()
    nonisolated(unsafe) private var count = 0

    func credentials() async throws -> Credentials {
        let n = lock.withLock {
            count += 1
            return count
        }
        return Credentials(accessKeyId: "AK\(n)", accessKeySecret: "S\(n)", providerName: "counting")
    }
}

@Suite("OSS response parsing")
struct ResponseParsingTests {
    static func response(_ xml: String, status: Int = 200, headers: [String: String] = [:]) -> OSSClient.Response {
        OSSClient.Response(status: status, headers: headers, body: Data(xml.utf8))
    }

    @Test func listV1WithURLEncoding() throws {
        let page = try OSSClient.parseListing(
            Self.response(
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <ListBucketResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
                  <Name>bkt</Name><Prefix>dir%2F</Prefix><Marker></Marker><MaxKeys>2</MaxKeys><Delimiter>%2F</Delimiter>
                  <EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextMarker>dir%2Fb%20c</NextMarker>
                  <Contents><Key>dir%2Fa%2Bb</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>
                    <ETag>"5B3C1A2E053D763E1B002CC607C5A0FE"</ETag><Type>Normal</Type><Size>344606</Size>
                    <StorageClass>Standard</StorageClass><Owner><ID>0022012</ID><DisplayName>0022012</DisplayName></Owner></Contents>
                  <CommonPrefixes><Prefix>dir%2Fsub%2F</Prefix></CommonPrefixes>
                </ListBucketResult>
                """), bucket: "bkt", version: 1)
        #expect(page.bucket == "bkt")
        #expect(page.prefix == "dir/")
        #expect(page.delimiter == "/")
        #expect(page.isTruncated)
        #expect(page.next == "dir/b c")
        #expect(page.commonPrefixes == ["dir/sub/"])
        let object = try #require(page.objects.first)
        #expect(object.key == "dir/a+b")
        #expect(object.size == 344_606)
        #expect(object.etag == "\"5B3C1A2E053D763E1B002CC607C5A0FE\"")
        #expect(object.lastModified == Date(timeIntervalSince1970: 1_704_164_645))
        #expect(object.type == "Normal")
        #expect(object.storageClass == "Standard")
        #expect(object.ownerId == "0022012")
    }

    @Test func listV1WithoutNextMarkerContinuesAfterTheLastKey() throws {
        let page = try OSSClient.parseListing(
            Self.response(
                "<ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>"
                    + "<Contents><Key>k1</Key><Size>1</Size></Contents><Contents><Key>k2</Key><Size>1</Size></Contents>"
                    + "</ListBucketResult>"), bucket: "bkt", version: 1)
        #expect(page.next == "k2")
    }

    @Test func listV2() throws {
        let page = try OSSClient.parseListing(
            Self.response(
                "<ListBucketResult><Name>b</Name><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated>"
                    + "<NextContinuationToken>ignored</NextContinuationToken><Contents><Key>only</Key></Contents>"
                    + "</ListBucketResult>"), bucket: "bkt", version: 2)
        #expect(!page.isTruncated)
        #expect(page.next == nil)
        #expect(page.objects.map(\.key) == ["only"])
        #expect(throws: OSSError.self) { try OSSClient.parseListing(Self.response("not xml"), bucket: "bkt", version: 2) }
    }

    @Test func errorDocument() {
        let error = OSSError.from(
            status: 403, headers: ["x-oss-request-id": "HDR"],
            body: Data(
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match.</Message>
                <RequestId>534B371674E88A4D8906****</RequestId><HostId>b.oss-cn-hangzhou.aliyuncs.com</HostId>
                <EC>0002-00000040</EC></Error>
                """.utf8))
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.message == "The request signature we calculated does not match.")
        #expect(error.requestId == "534B371674E88A4D8906****")
        #expect(error.hostId == "b.oss-cn-hangzhou.aliyuncs.com")
        #expect(error.ec == "0002-00000040")
        #expect(error.status == 403)
    }

    @Test func headErrorFromHeader() {
        let xml = "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"
        let error = OSSError.from(
            status: 404,
            headers: ["x-oss-err": Data(xml.utf8).base64EncodedString(), "x-oss-request-id": "RID"], body: Data())
        #expect(error.code == "NoSuchKey")
        #expect(error.requestId == "RID")
        let bare = OSSError.from(status: 404, headers: [:], body: Data())
        #expect(bare.code == "NotFound")
    }

    @Test func objectMetadataFromHeaders() {
        let metadata = OSSObjectMetadata(headers: [
            "content-length": "42", "etag": "\"E\"", "last-modified": "Fri, 24 Feb 2012 06:07:48 GMT",
            "x-oss-object-type": "Normal", "x-oss-meta-author": "me", "x-oss-hash-crc64ecma": "123",
        ])
        #expect(metadata.contentLength == 42)
        #expect(metadata.lastModified == Date(timeIntervalSince1970: 1_330_063_668))
        #expect(metadata.userMetadata == ["author": "me"])
        #expect(metadata.crc64 == "123")
    }
}

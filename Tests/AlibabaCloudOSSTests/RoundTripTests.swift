import AlibabaCloudCredentials
import AlibabaCloudSigning
import AlibabaCloudTestSupport
import Foundation
import LanyardCrypto
import Testing

@testable import AlibabaCloudOSS

/// A minimal in-memory OSS on loopback, enough to check what the client sends and that bodies stream both
/// ways; it checks the V4 signature of every request with the secret "sk".
final class FakeOSS: Sendable {
    struct State {
        var objects: [String: Data] = [:]
        var parts: [String: [Int: Data]] = [:]
        var keyIds: [String] = []
        var requests: [String] = []
    }

    let state = Box(State())
    private let server: TestHTTPServer
    var endpoint: String { server.baseURL.absoluteString }

    init() throws {
        let state = state
        server = try TestHTTPServer { request in state.with { Self.handle(request, &$0) } }
    }

    func shutdown() { server.shutdown() }

    static func etag(_ data: Data) -> String { "\"" + Digest.hash(.md5, data).hexString.uppercased() + "\"" }

    static func error(_ status: Int, _ code: String) -> TestHTTPServer.Response {
        .init(
            status: status, headers: [("Content-Type", "application/xml"), ("x-oss-request-id", "REQ")],
            body: Data("<Error><Code>\(code)</Code><Message>\(code)!</Message><RequestId>REQ</RequestId></Error>".utf8))
    }

    static func handle(_ request: TestHTTPServer.Request, _ s: inout State) -> TestHTTPServer.Response {
        let rawQuery = request.target.contains("?") ? String(request.target.split(separator: "?", maxSplits: 1)[1]) : ""
        let queryPairs = PercentEncoding.parseQuery(rawQuery)
        let query = Dictionary(queryPairs, uniquingKeysWith: { a, _ in a })
        let segments = request.path.dropFirst().split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let bucket = String(segments[0])
        let key = segments.count > 1 ? PercentEncoding.decode(String(segments[1])) ?? "" : ""
        s.requests.append("\(request.method) \(key.isEmpty ? "/" : key)")

        // Verify the V4 signature, as a real server would.
        guard let authorization = request.headers["authorization"], let credential = authorization.split(separator: "=").dropFirst().first
        else { return error(403, "AccessDenied") }
        let keyId = String(credential.split(separator: "/")[0])
        s.keyIds.append(keyId)
        let parts = OSSRequestParts(
            method: request.method, bucket: bucket, key: key.isEmpty ? nil : key,
            query: queryPairs.map { ($0.name, rawQuery.contains($0.name + "=") ? $0.value : nil) },
            headers: request.headers.filter { $0.key != "authorization" }.map { ($0.key, $0.value) })
        let resigned = OSSSignatureV4.sign(
            parts, accessKeyId: keyId, secret: "sk", securityToken: nil, region: "cn-hangzhou",
            date: SigningTime.parseISO8601Basic(request.headers["x-oss-date"] ?? "") ?? Date())
        guard resigned.first(where: { $0.name == "authorization" })?.value == authorization else {
            return error(403, "SignatureDoesNotMatch")
        }

        let path = bucket + "/" + key
        switch (request.method, key.isEmpty) {
        case ("PUT", false) where query["partNumber"] != nil:
            s.parts[query["uploadId"]!, default: [:]][Int(query["partNumber"]!)!] = request.body
            return .init(status: 200, headers: [("ETag", etag(request.body))])
        case ("PUT", false):
            if let source = request.headers["x-oss-copy-source"] {
                guard let data = s.objects[String(PercentEncoding.decode(source)!.dropFirst())] else {
                    return error(404, "NoSuchKey")
                }
                s.objects[path] = data
                return .init(status: 200, body: Data("<CopyObjectResult><ETag>\(etag(data))</ETag></CopyObjectResult>".utf8))
            }
            if let md5 = request.headers["content-md5"], md5 != Digest.hash(.md5, request.body).base64String {
                return error(400, "InvalidDigest")
            }
            s.objects[path] = request.body
            return .init(status: 200, headers: [("ETag", etag(request.body))])
        case ("POST", false) where query["uploads"] != nil:
            return .init(status: 200, body: Data("<InitiateMultipartUploadResult><UploadId>UP1</UploadId></InitiateMultipartUploadResult>".utf8))
        case ("POST", false) where query["uploadId"] != nil:
            let xml = String(decoding: request.body, as: UTF8.self)
            let numbers = xml.components(separatedBy: "<PartNumber>").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
            let stored = s.parts[query["uploadId"]!] ?? [:]
            var whole = Data()
            for number in numbers {
                guard let part = stored[number], xml.contains(etag(part).replacingOccurrences(of: "\"", with: "&quot;")) else {
                    return error(400, "InvalidPart")
                }
                whole += part
            }
            s.objects[path] = whole
            return .init(status: 200, headers: [("ETag", "\"MULTI-\(numbers.count)\"")])
        case ("DELETE", false):
            s.objects[path] = nil
            return .init(status: 204)
        case ("HEAD", false), ("GET", false):
            guard let data = s.objects[path] else {
                let xml = "<Error><Code>NoSuchKey</Code><Message>none</Message></Error>"
                return request.method == "HEAD"
                    ? .init(status: 404, headers: [("x-oss-err", Data(xml.utf8).base64EncodedString())])
                    : error(404, "NoSuchKey")
            }
            var slice = data
            var status = 200
            if let range = request.headers["range"]?.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false) {
                let (first, last) =
                    range[0].isEmpty
                    ? (data.count - Int(range[1])!, data.count - 1) : (Int(range[0])!, Int(range[1]) ?? data.count - 1)
                if request.headers["x-oss-range-behavior"] == "standard", first >= data.count {
                    return error(416, "InvalidRange")
                }
                slice = data.subdata(in: first..<(min(last, data.count - 1) + 1))
                status = 206
            }
            return .init(status: status, headers: [("ETag", etag(data)), ("x-oss-meta-color", "blue")], body: slice)
        case ("POST", true) where query["delete"] != nil:
            let xml = String(decoding: request.body, as: UTF8.self)
            guard request.headers["content-md5"] == Digest.hash(.md5, request.body).base64String else {
                return error(400, "InvalidDigest")
            }
            let keys = xml.components(separatedBy: "<Key>").dropFirst().map { String($0.prefix { $0 != "<" }) }
            var out = "<DeleteResult><EncodingType>url</EncodingType>"
            for key in keys {
                let plain = key.replacingOccurrences(of: "&#13;", with: "\r").replacingOccurrences(of: "&amp;", with: "&")
                s.objects[bucket + "/" + plain] = nil
                out += "<Deleted><Key>\(PercentEncoding.rfc3986(plain))</Key></Deleted>"
            }
            return .init(status: 200, body: Data((out + "</DeleteResult>").utf8))
        case ("GET", true):
            let prefix = query["prefix"] ?? ""
            let max = Int(query["max-keys"] ?? "1000") ?? 1000
            let after = query["continuation-token"] ?? query["marker"] ?? ""
            let all = s.objects.keys.filter { $0.hasPrefix(bucket + "/" + prefix) }.map { String($0.dropFirst(bucket.count + 1)) }
                .sorted().filter { $0 > after }
            let page = all.prefix(max)
            let truncated = all.count > max
            var xml = "<ListBucketResult><Name>\(bucket)</Name><EncodingType>url</EncodingType><IsTruncated>\(truncated)</IsTruncated>"
            if truncated, let last = page.last {
                xml += query["list-type"] == "2" ? "<NextContinuationToken>\(PercentEncoding.rfc3986(last))</NextContinuationToken>" : ""
            }
            for key in page { xml += "<Contents><Key>\(PercentEncoding.rfc3986(key))</Key><Size>\(s.objects[bucket + "/" + key]!.count)</Size></Contents>" }
            return .init(status: 200, body: Data((xml + "</ListBucketResult>").utf8))
        default:
            return error(400, "NotImplemented")
        }
    }
}

func withFakeOSS<R>(_ body: (FakeOSS, OSSClient) async throws -> R) async throws -> R {
    let fake = try FakeOSS()
    defer { fake.shutdown() }
    let oss = try OSSClient(
        region: "cn-hangzhou", endpoint: fake.endpoint,
        credentialsProvider: StaticAccessKeyCredentialsProvider(accessKeyId: "ak", accessKeySecret: "sk"))
    return try await body(fake, oss)
}

func temporaryFile(_ data: Data) throws -> URL {
    let url = URL(fileURLWithPath: NSTemporaryDirectory() + "oss-test-" + UUID().uuidString)
    try data.write(to: url)
    return url
}

func pattern(_ count: Int) -> Data { Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 251) }) }

@Suite("OSS client round trips against a loopback fake")
struct RoundTripTests {
    @Test func putGetHeadDeleteWithData() async throws {
        try await withFakeOSS { fake, oss in
            let body = Data("hello, lanyard".utf8)
            let written = try await oss.putObject(bucket: "bkt", key: "dir/a b+c.txt", data: body, metadata: ["Color": "blue"])
            #expect(written.etag == FakeOSS.etag(body))
            #expect(try await oss.getObject(bucket: "bkt", key: "dir/a b+c.txt") == body)
            #expect(try await oss.getObject(bucket: "bkt", key: "dir/a b+c.txt", range: .bytes(7...13)) == Data("lanyard".utf8))
            let head = try await oss.headObject(bucket: "bkt", key: "dir/a b+c.txt")
            #expect(head.contentLength == Int64(body.count))
            #expect(head.userMetadata["color"] == "blue")
            try await oss.deleteObject(bucket: "bkt", key: "dir/a b+c.txt")
            let error = await #expect(throws: OSSError.self) { try await oss.headObject(bucket: "bkt", key: "dir/a b+c.txt") }
            #expect(error?.code == "NoSuchKey")
            #expect(error?.status == 404)
            let getError = await #expect(throws: OSSError.self) { try await oss.getObject(bucket: "bkt", key: "missing") }
            #expect(getError?.code == "NoSuchKey")
            #expect(getError?.requestId == "REQ")
        }
    }

    @Test func aRangeBeyondTheEndIsInvalidRangeNotTheWholeObject() async throws {
        try await withFakeOSS { fake, oss in
            _ = try await oss.putObject(bucket: "bkt", key: "k", data: Data("0123456789".utf8))
            #expect(try await oss.getObject(bucket: "bkt", key: "k", range: .bytes(8...20)) == Data("89".utf8))
            for range in [OSSByteRange.bytes(10...20), .from(10)] {
                let error = await #expect(throws: OSSError.self) { try await oss.getObject(bucket: "bkt", key: "k", range: range) }
                #expect(error?.code == "InvalidRange" && error?.status == 416)
            }
        }
    }

    @Test func fileAndStreamUploadsAndDownloadToFile() async throws {
        try await withFakeOSS { fake, oss in
            let data = pattern(300_000)
            let source = try temporaryFile(data)
            defer { try? FileManager.default.removeItem(at: source) }
            _ = try await oss.putObject(bucket: "bkt", key: "from-file", file: source)
            _ = try await oss.putObject(bucket: "bkt", key: "from-stream", stream: InputStream(data: data))
            #expect(fake.state.current.objects["bkt/from-file"] == data)
            #expect(fake.state.current.objects["bkt/from-stream"] == data)

            let destination = URL(fileURLWithPath: NSTemporaryDirectory() + "oss-test-out-" + UUID().uuidString)
            defer { try? FileManager.default.removeItem(at: destination) }
            try Data("old".utf8).write(to: destination)
            let metadata = try await oss.getObject(bucket: "bkt", key: "from-file", to: destination)
            #expect(try Data(contentsOf: destination) == data)
            #expect(metadata.etag == FakeOSS.etag(data))
            try await oss.getObject(bucket: "bkt", key: "from-file", to: destination, range: .suffix(10))
            #expect(try Data(contentsOf: destination) == data.suffix(10))
            await #expect(throws: OSSError.self) { try await oss.getObject(bucket: "bkt", key: "none", to: destination) }
        }
    }

    @Test func multipartUploadInParallelParts() async throws {
        try await withFakeOSS { fake, oss in
            let data = pattern(1_000_000)
            let source = try temporaryFile(data)
            defer { try? FileManager.default.removeItem(at: source) }
            let result = try await oss.uploadFile(bucket: "bkt", key: "big", file: source, partSize: 100 * 1024, concurrency: 4)
            #expect(result.etag == "\"MULTI-10\"")
            #expect(fake.state.current.objects["bkt/big"] == data)
            #expect(fake.state.current.requests.filter { $0 == "PUT big" }.count == 10)
        }
    }

    /// A link is uploaded as the file it points to: its size is the target's, not the link's few bytes.
    @Test(arguments: [50_000, 1_000_000]) func uploadingASymbolicLinkSendsTheTarget(size: Int) async throws {
        try await withFakeOSS { fake, oss in
            let data = pattern(size)
            let source = try temporaryFile(data)
            let link = source.deletingLastPathComponent().appendingPathComponent("link-" + UUID().uuidString)
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: source.lastPathComponent)
            defer {
                try? FileManager.default.removeItem(at: source)
                try? FileManager.default.removeItem(at: link)
            }
            _ = try await oss.uploadFile(bucket: "bkt", key: "linked", file: link, partSize: 100 * 1024)
            #expect(fake.state.current.objects["bkt/linked"] == data)
        }
    }

    @Test func listingPagesAndObjectsAcrossPages() async throws {
        try await withFakeOSS { fake, oss in
            let keys = (0..<7).map { "logs/file \($0)+x" }
            for key in keys { _ = try await oss.putObject(bucket: "bkt", key: key, data: Data(key.utf8)) }
            _ = try await oss.putObject(bucket: "bkt", key: "other", data: Data())

            var pageSizes: [Int] = []
            for try await page in oss.listObjectsV2Pages(bucket: "bkt", prefix: "logs/", maxKeys: 3) {
                pageSizes.append(page.objects.count)
            }
            #expect(pageSizes == [3, 3, 1])

            var listed: [String] = []
            for try await object in oss.listObjectsPages(bucket: "bkt", prefix: "logs/", maxKeys: 2).objects {
                listed.append(object.key)
            }
            #expect(listed == keys.sorted())
        }
    }

    @Test func copyAndDeleteMany() async throws {
        try await withFakeOSS { fake, oss in
            _ = try await oss.putObject(bucket: "bkt", key: "src/a&b", data: Data("x".utf8))
            let copied = try await oss.copyObject(sourceBucket: "bkt", sourceKey: "src/a&b", bucket: "bkt", key: "dst/c")
            #expect(copied.etag == FakeOSS.etag(Data("x".utf8)))
            #expect(fake.state.current.objects["bkt/dst/c"] == Data("x".utf8))
            let deleted = try await oss.deleteObjects(bucket: "bkt", keys: ["src/a&b", "dst/c"])
            #expect(deleted == ["src/a&b", "dst/c"])
            #expect(fake.state.current.objects.isEmpty)
        }
    }

    /// XML has no place for NUL: such keys go one by one, the rest in one batch, and none is left behind.
    @Test func deletingKeysWithControlCharacters() async throws {
        try await withFakeOSS { fake, oss in
            let keys = ["nul\u{0}key", "bell\u{7}", "cr\rlf\n", "plain"]
            for key in keys { _ = try await oss.putObject(bucket: "bkt", key: key, data: Data("x".utf8)) }
            let deleted = try await oss.deleteObjects(bucket: "bkt", keys: keys)
            #expect(Set(deleted) == Set(keys))
            #expect(fake.state.current.objects.isEmpty)
            #expect(fake.state.current.requests.filter { $0.hasPrefix("DELETE ") }.count == 2)
        }
    }

    @Test func rotatedCredentialsAreUsedWithoutRebuildingTheClient() async throws {
        let fake = try FakeOSS()
        defer { fake.shutdown() }
        let keyId = Box("AK-1")
        let oss = try OSSClient(region: "cn-hangzhou", endpoint: fake.endpoint, credentialsProvider: RotatingKey(keyId: keyId))
        _ = try await oss.putObject(bucket: "bkt", key: "k", data: Data("1".utf8))
        keyId.with { $0 = "AK-2" }
        _ = try await oss.getObject(bucket: "bkt", key: "k")
        #expect(fake.state.current.keyIds == ["AK-1", "AK-2"])
    }

    @Test func serverRejectionsSurfaceAsOSSErrors() async throws {
        let fake = try FakeOSS()
        defer { fake.shutdown() }
        let oss = try OSSClient(
            region: "cn-hangzhou", endpoint: fake.endpoint,
            credentialsProvider: StaticAccessKeyCredentialsProvider(accessKeyId: "ak", accessKeySecret: "wrong"))
        let error = await #expect(throws: OSSError.self) { try await oss.getObject(bucket: "bkt", key: "k") }
        #expect(error?.code == "SignatureDoesNotMatch")
        #expect(error?.status == 403)
    }
}

/// Credentials whose key ID the test changes, like an STS rotation.
struct RotatingKey: CredentialsProvider {
    let keyId: Box<String>

    func credentials() async throws -> Credentials {
        Credentials(accessKeyId: keyId.current, accessKeySecret: "sk", providerName: "rotating")
    }
}

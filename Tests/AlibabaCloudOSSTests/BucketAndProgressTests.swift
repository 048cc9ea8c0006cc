import AlibabaCloudCredentials
import AlibabaCloudSigning
import AlibabaCloudTestSupport
import Foundation
import Synchronization
import Testing

@testable import AlibabaCloudOSS

/// A loopback server answering the bucket-level operations from a small in-memory table.
private func withBucketServer<R>(
    _ body: (Box<[String]>, Box<[String]>, OSSClient) async throws -> R
) async throws -> R {
    let buckets = Box(["alpha", "beta", "gamma"])
    let seen = Box<[String]>([])
    let server = try TestHTTPServer { request in
        let bucket = String(request.path.dropFirst().prefix { $0 != "/" })
        seen.with { $0.append("\(request.method) \(request.target) acl=\(request.headers["x-oss-acl"] ?? "-")") }
        guard request.headers["authorization"]?.hasPrefix("OSS4-HMAC-SHA256 ") == true else {
            return FakeOSS.error(403, "AccessDenied")
        }
        switch (request.method, bucket.isEmpty) {
        case ("GET", true):
            let query = Dictionary(PercentEncoding.parseQuery(String(request.target.drop { $0 != "?" }.dropFirst())),
                uniquingKeysWith: { a, _ in a })
            let marker = query["marker"] ?? ""
            let all = buckets.current.sorted().filter { $0 > marker && $0.hasPrefix(query["prefix"] ?? "") }
            let page = all.prefix(2)
            var xml = "<ListAllMyBucketsResult><Owner><ID>1234</ID></Owner>"
            if all.count > 2 { xml += "<IsTruncated>true</IsTruncated><NextMarker>\(page.last!)</NextMarker>" }
            xml += "<Buckets>"
            for name in page {
                xml += "<Bucket><Name>\(name)</Name><Location>oss-cn-hangzhou</Location>"
                    + "<CreationDate>2024-01-02T03:04:05.000Z</CreationDate><StorageClass>Standard</StorageClass></Bucket>"
            }
            return .init(status: 200, headers: [("Content-Type", "application/xml")], body: Data((xml + "</Buckets></ListAllMyBucketsResult>").utf8))
        case ("PUT", false):
            buckets.with { if !$0.contains(bucket) { $0.append(bucket) } }
            return .init(status: 200)
        case ("DELETE", false):
            if bucket == "beta" { return FakeOSS.error(409, "BucketNotEmpty") }
            buckets.with { $0.removeAll { $0 == bucket } }
            return .init(status: 204)
        default:
            return FakeOSS.error(400, "NotImplemented")
        }
    }
    defer { server.shutdown() }
    let oss = try OSSClient(
        region: "cn-hangzhou", endpoint: server.baseURL.absoluteString,
        credentialsProvider: StaticAccessKeyCredentialsProvider(accessKeyId: "ak", accessKeySecret: "sk"))
    return try await body(buckets, seen, oss)
}

@Suite("OSS bucket operations and upload progress")
struct BucketAndProgressTests {
    @Test func listAllBucketsFollowsNextMarker() async throws {
        try await withBucketServer { buckets, seen, oss in
            buckets.with { $0 += ["delta", "epsilon"] }
            let all = try await oss.listAllBuckets()
            #expect(all.map(\.name) == ["alpha", "beta", "delta", "epsilon", "gamma"])
            #expect(all.first?.location == "oss-cn-hangzhou")
            #expect(all.first?.creationDate == Date(timeIntervalSince1970: 1_704_164_645))
            #expect(seen.current.count == 3, "five buckets at two per page take three requests")
            let page = try await oss.listBuckets(prefix: "g")
            #expect(page.buckets.map(\.name) == ["gamma"])
            #expect(!page.isTruncated && page.nextMarker == nil)
            #expect(page.ownerId == "1234")
        }
    }

    @Test func createAndDeleteBucketSendBucketLevelRequests() async throws {
        try await withBucketServer { buckets, seen, oss in
            try await oss.createBucket(bucket: "fresh", acl: "public-read")
            #expect(buckets.current.contains("fresh"))
            #expect(seen.current.last == "PUT /fresh/ acl=public-read")
            try await oss.deleteBucket(bucket: "fresh")
            #expect(!buckets.current.contains("fresh"))
            #expect(seen.current.last == "DELETE /fresh/ acl=-")
            let error = await #expect(throws: OSSError.self) { try await oss.deleteBucket(bucket: "beta") }
            #expect(error?.code == "BucketNotEmpty")
            #expect(error?.status == 409)
        }
    }

    @Test func uploadFileReportsProgressPerPart() async throws {
        try await withFakeOSS { fake, oss in
            let data = pattern(350_000)
            let source = try temporaryFile(data)
            defer { try? FileManager.default.removeItem(at: source) }
            let reports = Mutex<[Int64]>([])
            _ = try await oss.uploadFile(
                bucket: "bkt", key: "big", file: source, partSize: 100 * 1024, concurrency: 2,
                progress: { done in reports.withLock { $0.append(done) } })
            let values = reports.withLock { $0 }
            #expect(values.count == 4, "350,000 bytes in 100 KiB parts is four parts")
            #expect(values == values.sorted())
            #expect(values.last == 350_000)
            #expect(fake.state.current.objects["bkt/big"] == data)

            let small = try temporaryFile(Data("tiny".utf8))
            defer { try? FileManager.default.removeItem(at: small) }
            let single = Mutex<[Int64]>([])
            _ = try await oss.uploadFile(
                bucket: "bkt", key: "tiny", file: small, progress: { done in single.withLock { $0.append(done) } })
            #expect(single.withLock { $0 } == [4])
        }
    }
}

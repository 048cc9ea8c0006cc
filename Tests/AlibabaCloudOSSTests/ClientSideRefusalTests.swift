import AlibabaCloudCredentials
import Foundation
import Testing

@testable import AlibabaCloudOSS

/// Calls the client refuses before signing or sending anything: each would otherwise mean another request (an
/// empty key addresses the bucket, `b/k` as a bucket names an object) or fail only as a signature mismatch or a
/// timeout. The endpoint is a closed port, so an error other than InvalidArgument means a request went out.
@Suite("OSS calls refused on the client")
struct ClientSideRefusalTests {
    let oss = try! client(endpoint: "http://127.0.0.1:1")

    func expectRefused(_ says: String, _ call: () async throws -> Void) async {
        do {
            try await call()
            Issue.record("accepted; expected InvalidArgument mentioning \(says)")
        } catch let error as OSSError {
            #expect(error.code == OSSError.invalidArgument && error.status == 0, "\(error)")
            #expect(error.message.contains(says), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func anEmptyKeyNeverReachesTheBucket() async {
        await expectRefused("key must not be empty") { try await oss.deleteObject(bucket: "bkt", key: "") }
        await expectRefused("key must not be empty") { _ = try await oss.putObject(bucket: "bkt", key: "", data: Data("x".utf8)) }
        await expectRefused("key must not be empty") { _ = try await oss.getObject(bucket: "bkt", key: "") }
        await expectRefused("key must not be empty") { _ = try await oss.headObject(bucket: "bkt", key: "") }
        await expectRefused("key must not be empty") { _ = try await oss.presignedURL(bucket: "bkt", key: "") }
        await expectRefused("key must not be empty") {
            _ = try await oss.copyObject(sourceBucket: "bkt", sourceKey: "", bucket: "bkt", key: "copy")
        }
    }

    @Test(arguments: ["b/important.txt", "bkt?acl", "a#b", "UPPER", "ab", String(repeating: "b", count: 64), "-bkt", ""])
    func bucketNamesOSSCannotHaveAreRefused(_ bucket: String) async {
        await expectRefused("invalid bucket name") { try await oss.createBucket(bucket: bucket) }
        await expectRefused("invalid bucket name") { try await oss.deleteBucket(bucket: bucket) }
        await expectRefused("invalid bucket name") { _ = try await oss.listObjectsV2(bucket: bucket) }
        await expectRefused("invalid bucket name") {
            _ = try await oss.copyObject(sourceBucket: bucket, sourceKey: "k", bucket: "bkt", key: "copy")
        }
    }

    @Test func headersHTTPCannotCarryAreRefused() async {
        await expectRefused("has characters HTTP does not allow") {
            _ = try await oss.putObject(bucket: "bkt", key: "k", data: Data(), metadata: ["Üser": "x"])
        }
        await expectRefused("has control characters") {
            _ = try await oss.putObject(bucket: "bkt", key: "k", data: Data(), metadata: ["user": "a\nb"])
        }
        await expectRefused("has control characters") {
            _ = try await oss.putObject(bucket: "bkt", key: "k", data: Data(), contentType: "text/plain\r\nX-Evil: 1")
        }
    }

    @Test func aDirectoryOrMissingFileIsNotUploaded() async throws {
        let directory = FileManager.default.temporaryDirectory
        await expectRefused("not a readable regular file") { _ = try await oss.putObject(bucket: "bkt", key: "k", file: directory) }
        await expectRefused("not a readable regular file") { _ = try await oss.uploadFile(bucket: "bkt", key: "k", file: directory) }
        let missing = directory.appendingPathComponent("missing-\(UUID().uuidString)")
        await expectRefused("not a readable regular file") { _ = try await oss.putObject(bucket: "bkt", key: "k", file: missing) }
        await expectRefused("no directory") {
            _ = try await oss.getObject(bucket: "bkt", key: "k", to: missing.appendingPathComponent("file"))
        }
    }

    @Test func aDownloadNeverReplacesADirectory() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keep-\(UUID().uuidString)")
        let kept = directory.appendingPathComponent("sub/notes.txt")
        try FileManager.default.createDirectory(at: kept.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: kept)
        defer { try? FileManager.default.removeItem(at: directory) }
        await expectRefused("is a directory") { _ = try await oss.getObject(bucket: "bkt", key: "k", to: directory) }
        #expect(try Data(contentsOf: kept) == Data("mine".utf8))
    }

    @Test func emptyMetadataNamesAndEmptyKeysInABatchAreRefused() async {
        await expectRefused("metadata name must not be empty") {
            _ = try await oss.putObject(bucket: "bkt", key: "k", data: Data(), metadata: ["": "x"])
        }
        await expectRefused("nothing was deleted") { _ = try await oss.deleteObjects(bucket: "bkt", keys: ["a", ""]) }
    }

    @Test(arguments: [(0, 4), (-5, 4), (1 << 20, 0), (1 << 20, -1)])
    func uploadFileNeedsPositivePartSizeAndConcurrency(partSize: Int, concurrency: Int) async {
        await expectRefused("must be positive") {
            _ = try await oss.uploadFile(
                bucket: "bkt", key: "k", file: URL(fileURLWithPath: "/etc/hostname"), partSize: partSize, concurrency: concurrency)
        }
    }

    @Test(arguments: [OSSByteRange.bytes(-1...5), .from(-3), .suffix(0), .suffix(-2)])
    func rangesOSSCannotReadAreRefused(_ range: OSSByteRange) async {
        await expectRefused("range") { _ = try await oss.getObject(bucket: "bkt", key: "k", range: range) }
        await expectRefused("range") {
            _ = try await oss.getObject(bucket: "bkt", key: "k", to: URL(fileURLWithPath: "/tmp/out"), range: range)
        }
    }

    @Test(arguments: ["bkt", "a-b", "abc", String(repeating: "b", count: 63), "0ab"])
    func validBucketNames(_ name: String) {
        #expect(OSSClient.isValidBucketName(name))
    }
}

import AlibabaCloudSigning
import Foundation
import LanyardHTTP
import LanyardCrypto
import LanyardControlPlane
import LanyardPolicy
import Testing
@testable import LanyardObjectStore

@Suite struct ObjectServiceTests {
    @Test func putGetHeadRangeAndDelete() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        let c = f.root
        #expect(c.send("PUT", "/bkt/")?.status == 200)
        let body = (0..<300_000).map { UInt8($0 % 251) }
        let put = c.send("PUT", "/bkt/dir%2Fa%20b+c", headers: [("Content-MD5", md5Base64(body)),
                                                             ("Content-Type", "text/plain"), ("x-oss-meta-Author", "me")],
                         body: body)!
        #expect(put.status == 200)
        #expect(put.headers["ETag"] == "\"\(md5Hex(body))\"")
        #expect(put.headers["x-oss-hash-crc64ecma"] == crc(body))
        #expect(put.headers["x-oss-request-id"]?.utf8.count == 24)

        let get = c.send("GET", "/bkt/dir/a%20b%20c")!  // same key, encoded differently
        #expect(get.status == 200)
        #expect(get.body == body)
        #expect(get.headers["Content-Type"] == "text/plain")
        #expect(get.headers["x-oss-meta-author"] == "me")
        #expect(get.headers["x-oss-hash-crc64ecma"] == crc(body))
        #expect(get.headers["x-oss-object-type"] == "Normal")

        let ranged = c.send("GET", "/bkt/dir/a%20b%20c", headers: [("Range", "bytes=10-19")])!
        #expect(ranged.status == 206)
        #expect(ranged.body == Array(body[10...19]))
        #expect(ranged.headers["Content-Range"] == "bytes 10-19/300000")
        let invalid = c.send("GET", "/bkt/dir/a%20b%20c", headers: [("Range", "bytes=400000-")])!
        #expect(invalid.status == 200 && invalid.body.count == body.count && invalid.headers["Content-Range"] == nil)

        let overridden = c.send("GET", "/bkt/dir/a%20b%20c", query: "response-content-type=image%2Fpng")!
        #expect(overridden.headers["Content-Type"] == "image/png")
        let notModified = c.send("GET", "/bkt/dir/a%20b%20c", headers: [("If-None-Match", put.headers["ETag"]!)])!
        #expect(notModified.status == 304 && notModified.body.isEmpty)
        let failed = c.send("GET", "/bkt/dir/a%20b%20c", headers: [("If-Match", "\"0000\"")])!
        #expect(failed.status == 412 && failed.code == "PreconditionFailed")

        let meta = c.send("HEAD", "/bkt/dir/a%20b%20c", query: "objectMeta")!
        #expect(meta.status == 200 && meta.headers["ETag"] == put.headers["ETag"])

        #expect(c.send("DELETE", "/bkt/dir/a%20b%20c")?.status == 204)
        #expect(c.send("DELETE", "/bkt/dir/a%20b%20c")?.status == 204)
        let missing = c.send("GET", "/bkt/dir/a%20b%20c")!
        #expect(missing.status == 404 && missing.code == "NoSuchKey")
        let head = c.send("HEAD", "/bkt/dir/a%20b%20c")!
        #expect(head.status == 404 && head.body.isEmpty && head.code == "NoSuchKey")
        let noBucket = c.send("HEAD", "/nobkt/k")!
        #expect(noBucket.code == "NoSuchBucket")
    }

    @Test func writeRefusals() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        let c = f.root
        #expect(c.send("PUT", "/bkt/")?.status == 200)
        let body = Array("hello".utf8)
        let wrongMD5 = c.send("PUT", "/bkt/k", headers: [("Content-MD5", md5Base64(Array("other".utf8)))], body: body)!
        #expect(wrongMD5.status == 400 && wrongMD5.code == "InvalidDigest")
        #expect(c.send("GET", "/bkt/k")?.status == 404)
        let malformed = c.send("PUT", "/bkt/k", headers: [("Content-MD5", "nope")], body: body)!
        #expect(malformed.code == "InvalidDigest")
        #expect(c.send("PUT", "/bkt/k", body: body)?.status == 200)
        let forbid = c.send("PUT", "/bkt/k", headers: [("x-oss-forbid-overwrite", "true")], body: body)!
        #expect(forbid.status == 409 && forbid.code == "FileAlreadyExists")
        let longKey = String(repeating: "k", count: 1024)
        let tooLong = c.send("PUT", "/bkt/" + longKey, body: body)!
        #expect(tooLong.status == 400 && tooLong.code == "InvalidObjectName")
        #expect(c.send("PUT", "/bkt/" + String(repeating: "k", count: 1023), body: body)?.status == 200)
        let badBucket = c.send("PUT", "/Bad_Bucket/")!
        #expect(badBucket.status == 400 && badBucket.code == "InvalidBucketName")
        let notEmpty = c.send("DELETE", "/bkt/")!
        #expect(notEmpty.status == 409 && notEmpty.code == "BucketNotEmpty")
        let emptyMD5 = c.send("PUT", "/bkt/empty", headers: [("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")])!
        #expect(emptyMD5.status == 200 && emptyMD5.headers["x-oss-hash-crc64ecma"] == "0")
        #expect(c.send("GET", "/bkt/empty")?.body == [])
    }

    @Test func authenticationRefusals() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        #expect(f.root.send("PUT", "/bkt/")?.status == 200)
        var wrong = f.root
        wrong.secret = "bad"
        let mismatch = wrong.send("GET", "/bkt/")!
        #expect(mismatch.status == 403 && mismatch.code == "SignatureDoesNotMatch")
        #expect(mismatch.element("StringToSign").first?.hasSuffix("/bkt/") == true)
        var unknown = f.root
        unknown.accessKeyId = "nobody"
        #expect(unknown.send("GET", "/bkt/")?.code == "InvalidAccessKeyId")
        var skewed = f.root
        skewed.clockOffset = -16 * 60
        let skew = skewed.send("GET", "/bkt/")!
        #expect(skew.status == 403 && skew.code == "RequestTimeTooSkewed")
        #expect(skew.element("MaxAllowedSkewMilliseconds") == ["900000"])
        var expired = f.sts
        expired.token = "expired"
        #expect(expired.send("GET", "/bkt/")?.code == "SecurityTokenExpired")
        var badToken = f.sts
        badToken.token = "forged"
        #expect(badToken.send("GET", "/bkt/")?.code == "InvalidSecurityToken")
        #expect(f.sts.send("GET", "/bkt/")?.status == 200)
        let anonymous = f.anonymous.send("GET", "/bkt/")!
        #expect(anonymous.status == 403 && anonymous.code == "AccessDenied")
        let malformed = f.service.begin(HTTPRequestHead(
            method: "GET", rawPath: "/bkt/", rawQuery: nil, headers: HTTPHeaders([("Authorization", "Bearer x")]),
            remoteAddress: "127.0.0.1", connectionTag: nil))
        guard case .respond(let r) = malformed else { Issue.record("expected a response"); return }
        #expect(r.status == 400)
    }

    @Test func policiesAreEvaluatedPerRequestWithConditions() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        #expect(f.root.send("PUT", "/bkt/")?.status == 200)
        #expect(f.root.send("PUT", "/bkt/public/a", body: [1])?.status == 200)
        #expect(f.root.send("PUT", "/bkt/secret/b", body: [2])?.status == 200)
        f.authority.setPolicy { _, request in
            if request.resource.hasSuffix(":bkt/secret/b") { return .explicitDeny }
            return request.action == "oss:ListObjects" ? .implicitDeny : .allow
        }
        #expect(f.user.send("GET", "/bkt/public/a")?.status == 200)
        let denied = f.user.send("GET", "/bkt/secret/b")!
        #expect(denied.status == 403 && denied.code == "AccessDenied")
        #expect(f.user.send("GET", "/bkt/", query: "prefix=public%2F&delimiter=%2F")?.status == 403)
        let listing = f.authority.seen.withLock { $0.last { $0.action == "oss:ListObjects" } }
        #expect(listing?.context["oss:Prefix"] == ["public/"])
        #expect(listing?.context["oss:Delimiter"] == ["/"])
        #expect(listing?.resource == "acs:oss:*:1234567890123456:bkt")
        #expect(listing?.context["acs:SourceIp"] == ["127.0.0.1"])
        // The next request sees the changed policy.
        f.authority.setPolicy { _, _ in .allow }
        #expect(f.user.send("GET", "/bkt/", query: "prefix=public%2F")?.status == 200)
        // Copy needs GetObject on the source as well as PutObject on the destination.
        f.authority.setPolicy { _, request in request.action == "oss:GetObject" ? .implicitDeny : .allow }
        let copy = f.user.send("PUT", "/bkt/copy", headers: [("x-oss-copy-source", "/bkt/public/a")])!
        #expect(copy.status == 403)
    }

    @Test func aclsGrantAnonymousAccess() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        #expect(f.root.send("PUT", "/bkt/", headers: [("x-oss-acl", "public-read")])?.status == 200)
        #expect(f.root.send("PUT", "/bkt/k", body: [7])?.status == 200)
        #expect(f.root.send("PUT", "/bkt/hidden", headers: [("x-oss-object-acl", "private")], body: [8])?.status == 200)
        #expect(f.anonymous.send("GET", "/bkt/k")?.body == [7])
        #expect(f.anonymous.send("GET", "/bkt/hidden")?.status == 403)
        #expect(f.anonymous.send("PUT", "/bkt/new", body: [1])?.status == 403)
        #expect(f.anonymous.send("GET", "/")?.status == 403)
        // Go 1.5's SetBucketACL: PutBucket again with x-oss-acl.
        #expect(f.root.send("PUT", "/bkt/", headers: [("x-oss-acl", "public-read-write")])?.status == 200)
        #expect(f.anonymous.send("PUT", "/bkt/new", body: [1])?.status == 200)
        let acl = f.root.send("GET", "/bkt/", query: "acl")!
        #expect(acl.element("Grant") == ["public-read-write"])
        #expect(f.root.send("PUT", "/bkt/", query: "acl", headers: [("x-oss-acl", "private")])?.status == 200)
        #expect(f.anonymous.send("GET", "/bkt/k")?.status == 403)
    }

    @Test func bucketsAndListingsOverHTTP() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        let c = f.root
        for b in ["alpha", "beta", "gamma"] { #expect(c.send("PUT", "/\(b)/")?.status == 200) }
        let page = c.send("GET", "/", query: "prefix=&max-keys=2")!
        #expect(page.element("Name") == ["alpha", "beta"])
        #expect(page.element("IsTruncated") == ["true"])
        #expect(c.send("GET", "/", query: "prefix=gam&max-keys=1")?.element("Name") == ["gamma"])
        #expect(c.send("GET", "/alpha/", query: "location")?.element("LocationConstraint") == ["oss-cn-hangzhou"])
        #expect(c.send("GET", "/alpha/", query: "bucketInfo")?.element("Grant") == ["private"])
        for k in ["a b", "a+b", "x/1", "x/2", "y"] {
            #expect(c.send("PUT", "/alpha/" + Percent.encodeListing(k).replacingOccurrences(of: "/", with: "%2F"), body: [1])?.status == 200)
        }
        let v1 = c.send("GET", "/alpha/", query: "prefix=&marker=&max-keys=100&delimiter=%2F&encoding-type=url")!
        #expect(v1.element("Key") == ["a%20b", "a%2Bb", "y"])
        #expect(v1.element("Prefix").contains("x/"))
        #expect(v1.element("EncodingType") == ["url"])
        #expect(v1.element("Type") == ["Normal", "Normal", "Normal"])
        var token: String?
        var keys: [String] = []
        repeat {
            var q = "list-type=2&max-keys=2&fetch-owner=false"
            if let token { q += "&continuation-token=" + token }
            let r = c.send("GET", "/alpha/", query: q)!
            #expect(r.status == 200)
            keys += r.element("Key")
            #expect(Int(r.element("KeyCount").first ?? "") == r.element("Key").count)
            token = r.element("NextContinuationToken").first
        } while token != nil
        #expect(keys == ["a b", "a+b", "x/1", "x/2", "y"])
        let bad = c.send("GET", "/alpha/", query: "max-keys=1001")!
        #expect(bad.status == 400 && bad.code == "InvalidArgument")

        let deleteBody = Array("<Delete><Quiet>false</Quiet><Object><Key>a b</Key></Object><Object><Key>nope</Key></Object></Delete>".utf8)
        let deleted = c.send("POST", "/alpha/", query: "delete&encoding-type=url",
                             headers: [("Content-MD5", md5Base64(deleteBody))], body: deleteBody)!
        #expect(deleted.status == 200)
        #expect(deleted.element("Key") == ["a%20b", "nope"])
        let noMD5 = c.send("POST", "/alpha/", query: "delete", body: deleteBody)!
        #expect(noMD5.status == 400)
        let quietBody = Array("<Delete><Object><Key>y</Key></Object><Quiet>true</Quiet></Delete>".utf8)
        let quiet = c.send("POST", "/alpha/", query: "delete", headers: [("Content-MD5", md5Base64(quietBody))],
                           body: quietBody)!
        #expect(quiet.status == 200 && quiet.element("Key").isEmpty)
        #expect(c.send("GET", "/alpha/y")?.status == 404)
    }

    @Test func copyAndAppend() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        let c = f.root
        #expect(c.send("PUT", "/bkt/")?.status == 200)
        let body = Array("source body".utf8)
        #expect(c.send("PUT", "/bkt/src key", headers: [("x-oss-meta-a", "1")], body: body)?.status == 200)
        let copy = c.send("PUT", "/bkt/dst", headers: [("x-oss-copy-source", "/bkt/src+key")])!
        #expect(copy.status == 200)
        #expect(copy.headers["ETag"] == "\"\(md5Hex(body))\"")
        #expect(copy.element("ETag") == ["&quot;\(md5Hex(body))&quot;"])
        let copied = c.send("GET", "/bkt/dst")!
        #expect(copied.body == body && copied.headers["x-oss-meta-a"] == "1")
        let replaced = c.send("PUT", "/bkt/dst", headers: [("x-oss-copy-source", "/bkt/src%20key"),
                                                           ("x-oss-metadata-directive", "REPLACE"), ("x-oss-meta-b", "2")])!
        #expect(replaced.status == 200)
        let after = c.send("GET", "/bkt/dst")!
        #expect(after.headers["x-oss-meta-a"] == nil && after.headers["x-oss-meta-b"] == "2")
        #expect(c.send("DELETE", "/bkt/src%20key")?.status == 204)
        #expect(c.send("GET", "/bkt/dst")?.body == body)  // the copy does not share the source's fate

        let first = Array("hello ".utf8), second = Array("world".utf8)
        let a1 = c.send("POST", "/bkt/log", query: "append&position=0", body: first)!
        #expect(a1.status == 200 && a1.headers["x-oss-next-append-position"] == "6")
        let wrong = c.send("POST", "/bkt/log", query: "append&position=3", body: second)!
        #expect(wrong.status == 409 && wrong.code == "PositionNotEqualToLength")
        #expect(wrong.headers["x-oss-next-append-position"] == "6")
        let a2 = c.send("POST", "/bkt/log", query: "append&position=6", body: second)!
        #expect(a2.headers["x-oss-hash-crc64ecma"] == crc(first + second))
        let log = c.send("GET", "/bkt/log")!
        #expect(log.body == first + second && log.headers["x-oss-object-type"] == "Appendable")
        let notAppendable = c.send("POST", "/bkt/dst", query: "append&position=0", body: second)!
        #expect(notAppendable.status == 409 && notAppendable.code == "ObjectNotAppendable")
        // An aborted append leaves the object as it was.
        #expect(c.send("POST", "/bkt/log", query: "append&position=11", body: Array(repeating: 9, count: 200_000),
                       abortAfter: 65536) == nil)
        #expect(c.send("GET", "/bkt/log")?.body == first + second)
        #expect(c.send("POST", "/bkt/log", query: "append&position=11", body: [33])?.status == 200)
        #expect(c.send("GET", "/bkt/log")?.body == first + second + [33])
    }

    @Test func multipartUpload() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        let c = f.root
        #expect(c.send("PUT", "/bkt/")?.status == 200)
        let initiated = c.send("POST", "/bkt/big file", query: "uploads")!
        #expect(initiated.element("Key") == ["big file"])
        let id = try #require(initiated.element("UploadId").first)
        #expect(id.allSatisfy { "0123456789ABCDEF".contains($0) })
        let p1 = (0..<(100 << 10)).map { UInt8($0 % 7) }, p2 = (0..<(150 << 10)).map { UInt8($0 % 11) }, p3 = [UInt8](repeating: 3, count: 10)
        var etags: [Int: String] = [:]
        for (n, part) in [(1, p1), (2, p2), (3, p3)] {
            let r = c.send("PUT", "/bkt/big file", query: "partNumber=\(n)&uploadId=\(id)", body: part)!
            #expect(r.status == 200 && r.headers["x-oss-hash-crc64ecma"] == crc(part))
            etags[n] = r.headers["ETag"]
        }
        let parts = c.send("GET", "/bkt/big file", query: "uploadId=\(id)&max-parts=2")!
        #expect(parts.element("PartNumber") == ["1", "2"] && parts.element("IsTruncated") == ["true"])
        #expect(c.send("GET", "/bkt/", query: "uploads")?.element("UploadId") == [id])
        func complete(_ list: [(Int, String)]) -> Received {
            let xml = "<CompleteMultipartUpload>" + list.map { "<Part><PartNumber>\($0.0)</PartNumber><ETag>\($0.1)</ETag></Part>" }.joined() + "</CompleteMultipartUpload>"
            return c.send("POST", "/bkt/big file", query: "uploadId=\(id)", body: Array(xml.utf8))!
        }
        #expect(complete([(2, etags[2]!), (1, etags[1]!)]).code == "InvalidPartOrder")
        #expect(complete([(1, "\"00\"")]).code == "InvalidPart")
        #expect(complete([(3, etags[3]!), (4, etags[3]!)]).code == "InvalidPart")
        #expect(complete([(3, etags[3]!), (2, etags[2]!)]).code == "InvalidPartOrder")
        let done = complete([(1, etags[1]!), (2, etags[2]!), (3, etags[3]!)])
        #expect(done.status == 200)
        let whole = p1 + p2 + p3
        let expectedETag = md5Hex(LanyardCrypto.Digest.hash(.md5, p1) + LanyardCrypto.Digest.hash(.md5, p2) + LanyardCrypto.Digest.hash(.md5, p3)) + "-3"
        #expect(done.headers["ETag"] == "\"\(expectedETag)\"")
        #expect(done.headers["x-oss-hash-crc64ecma"] == crc(whole))
        let got = c.send("GET", "/bkt/big%20file")!
        #expect(got.body == whole && got.headers["x-oss-object-type"] == "Multipart")
        #expect(c.send("GET", "/bkt/big file", query: "uploadId=\(id)")?.code == "NoSuchUpload")
        // EntityTooSmall: a short part that is not last.
        let id2 = try #require(c.send("POST", "/bkt/k2", query: "uploads")?.element("UploadId").first)
        let e1 = c.send("PUT", "/bkt/k2", query: "partNumber=1&uploadId=\(id2)", body: p3)!.headers["ETag"]!
        let e2 = c.send("PUT", "/bkt/k2", query: "partNumber=2&uploadId=\(id2)", body: p3)!.headers["ETag"]!
        let xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(e1)</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\(e2)</ETag></Part></CompleteMultipartUpload>"
        #expect(c.send("POST", "/bkt/k2", query: "uploadId=\(id2)", body: Array(xml.utf8))?.code == "EntityTooSmall")
        #expect(c.send("DELETE", "/bkt/k2", query: "uploadId=\(id2)")?.status == 204)
        #expect(c.send("DELETE", "/bkt/k2", query: "uploadId=\(id2)")?.code == "NoSuchUpload")
    }
}

@Suite struct CrashSafetyTests {
    /// Files left in the blob tree (excluding the empty shard directories).
    static func blobFiles(_ dir: String) -> [String] {
        let root = dir + "/objects"
        return (FileManager.default.subpaths(atPath: root) ?? []).filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }
    }

    @Test func abortedUploadsLeaveNothingVisible() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        let c = f.root
        #expect(c.send("PUT", "/bkt/")?.status == 200)
        let original = Array("acknowledged".utf8)
        #expect(c.send("PUT", "/bkt/k", body: original)?.status == 200)
        let big = [UInt8](repeating: 0xAB, count: 1 << 20)
        // New object aborted mid-stream: not visible, no file left behind.
        #expect(c.send("PUT", "/bkt/new", body: big, abortAfter: 300_000) == nil)
        #expect(c.send("GET", "/bkt/new")?.status == 404)
        // Overwrite aborted mid-stream: the acknowledged object is intact.
        #expect(c.send("PUT", "/bkt/k", body: big, abortAfter: 500_000) == nil)
        #expect(c.send("GET", "/bkt/k")?.body == original)
        // A digest failure after the whole body arrived: the same.
        #expect(c.send("PUT", "/bkt/k", headers: [("Content-MD5", md5Base64([1]))], body: big)?.code == "InvalidDigest")
        #expect(c.send("GET", "/bkt/k")?.body == original)
        #expect(Self.blobFiles(f.dir).count == 1)
        let listing = c.send("GET", "/bkt/")!
        #expect(listing.element("Key") == ["k"])
    }

    @Test func acknowledgedObjectsSurviveReopenAndTemporariesAreSwept() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let body = (0..<70_000).map { UInt8($0 % 256) }
        do {
            let f = try Fixture(dir: dir)
            #expect(f.root.send("PUT", "/bkt/")?.status == 200)
            #expect(f.root.send("PUT", "/bkt/kept", body: body)?.status == 200)
        }
        // What a crash mid-upload leaves: a temporary file.
        #expect(FileManager.default.createFile(atPath: dir + "/objects/tmp/ab-deadbeef", contents: Data([1, 2, 3])))
        let reopened = try Fixture(dir: dir)
        #expect(reopened.root.send("GET", "/bkt/kept")?.body == body)
        #expect(!FileManager.default.fileExists(atPath: dir + "/objects/tmp/ab-deadbeef"))
    }
}

@Suite struct SignatureVectorTests {
    /// The V1 example of the OSS docs, verified through the service's own request parsing.
    @Test func v1DocumentationVector() throws {
        let date = "Thu, 17 Nov 2005 18:49:58 GMT"
        let authority = FakeAuthority(keys: ["44CF9590006BF252F707": ResolvedCredentials(
            caller: .root(accountId: "1"), secret: "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV")])
        let headers = HTTPHeaders([("Content-MD5", "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM="), ("Content-Type", "text/html"),
                                   ("Date", date), ("X-OSS-Meta-Author", "foo@bar.com"), ("X-OSS-Magic", "abracadabra"),
                                   ("Authorization", "OSS 44CF9590006BF252F707:26NBxoKdsyly4EDv6inkoDft/yA=")])
        let target = try OSSRequestTarget.parse(host: "oss-example.oss.local", rawPath: "/nelson", rawQuery: nil,
                                                endpointHosts: ["oss.local"])
        let principal = try Authenticator(authority: authority).authenticate(
            method: "PUT", target: target, headers: headers, now: HTTPTime.parseRFC1123(date)!)
        #expect(principal == .authenticated(.root(accountId: "1"), accessKeyId: "44CF9590006BF252F707"))
    }

    /// Go3's `TestAuthV4Header` vector, verified from the raw request line.
    @Test func v4GoVector() throws {
        let authority = FakeAuthority(keys: ["ak": ResolvedCredentials(caller: .root(accountId: "1"), secret: "sk")])
        let headers = HTTPHeaders([
            ("Content-Type", "text/plain"), ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-oss-date", "20231216T162057Z"), ("x-oss-head1", "value"), ("abc", "value"), ("ZAbc", "value"),
            ("XYZ", "value"),
            ("Authorization", "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"),
        ])
        let target = try OSSRequestTarget.parse(
            host: "127.0.0.1", rawPath: "/bucket/1234%2B-/123/1.txt",
            rawQuery: "param1=value1&%2Bparam1=value3&%7Cparam1=value4&%2Bparam2&%7Cparam2&param2", endpointHosts: [])
        let now = HTTPTime.parseCompact("20231216T162057Z")!
        let principal = try Authenticator(authority: authority).authenticate(
            method: "PUT", target: target, headers: headers, now: now)
        #expect(principal == .authenticated(.root(accountId: "1"), accessKeyId: "ak"))
        var tampered = headers
        tampered.replaceOrAdd(name: "x-oss-head1", value: "other")
        let error = #expect(throws: OSSError.self) {
            try Authenticator(authority: authority).authenticate(method: "PUT", target: target, headers: tampered, now: now)
        }
        #expect(error?.code == "SignatureDoesNotMatch")
    }

    @Test func presignedV1() throws {
        let authority = FakeAuthority(keys: ["ak": ResolvedCredentials(caller: .root(accountId: "1"), secret: "sk")])
        let now: Int64 = 1_700_000_000
        let expires = String(now + 60)
        let parts = OSSRequestParts(method: "GET", bucket: "b", key: "k x", query: [], headers: [])
        let signature = OSSSignatureV1.signature(stringToSign: OSSSignatureV1.stringToSign(parts: parts, date: expires),
                                                 secret: "sk")
        let encoded = Percent.encodeListing(signature).replacingOccurrences(of: "/", with: "%2F")
        let query = "OSSAccessKeyId=ak&Expires=\(expires)&Signature=\(encoded)"
        let target = try OSSRequestTarget.parse(host: nil, rawPath: "/b/k%20x", rawQuery: query, endpointHosts: [])
        let auth = Authenticator(authority: authority)
        #expect(try auth.authenticate(method: "GET", target: target, headers: HTTPHeaders(), now: now)
            == .authenticated(.root(accountId: "1"), accessKeyId: "ak"))
        let late = #expect(throws: OSSError.self) {
            try auth.authenticate(method: "GET", target: target, headers: HTTPHeaders(), now: now + 61)
        }
        #expect(late?.code == "AccessDenied" && late?.message == "Request has expired.")
        let partial = try OSSRequestTarget.parse(host: nil, rawPath: "/b/k", rawQuery: "OSSAccessKeyId=ak", endpointHosts: [])
        #expect(throws: OSSError.self) { try auth.authenticate(method: "GET", target: partial, headers: HTTPHeaders(), now: now) }
    }
}

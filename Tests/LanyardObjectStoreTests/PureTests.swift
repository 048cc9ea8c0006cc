import Foundation
import Testing
@testable import LanyardObjectStore

@Suite struct AddressingTests {
    struct Case: Sendable, CustomStringConvertible {
        var host: String?
        var path: String
        var query: String?
        var bucket: String?
        var key: String?
        var style: OSSRequestTarget.Style
        var description: String { "\(host ?? "-") \(path)?\(query ?? "")" }
    }

    static let cases: [Case] = [
        Case(host: "127.0.0.1:8200", path: "/", query: nil, bucket: nil, key: nil, style: .path),
        Case(host: "127.0.0.1:8200", path: "/bkt/", query: "acl", bucket: "bkt", key: nil, style: .path),
        Case(host: "127.0.0.1:8200", path: "/bkt", query: nil, bucket: "bkt", key: nil, style: .path),
        Case(host: "127.0.0.1:8200", path: "/bkt/a%2Fb%2Fc.txt", query: nil, bucket: "bkt", key: "a/b/c.txt", style: .path),
        Case(host: "127.0.0.1:8200", path: "/bkt/a/b//c", query: nil, bucket: "bkt", key: "a/b//c", style: .path),
        Case(host: "127.0.0.1", path: "/bkt/with+space", query: nil, bucket: "bkt", key: "with space", style: .path),
        Case(host: "127.0.0.1", path: "/bkt/plus%2Bsign", query: nil, bucket: "bkt", key: "plus+sign", style: .path),
        Case(host: "127.0.0.1", path: "/bkt/%E4%BD%A0%E5%A5%BD%20x", query: nil, bucket: "bkt", key: "你好 x", style: .path),
        Case(host: "127.0.0.1", path: "/bkt/100%25", query: nil, bucket: "bkt", key: "100%", style: .path),
        Case(host: "bkt.oss.local:8200", path: "/dir/file", query: nil, bucket: "bkt", key: "dir/file", style: .virtualHosted),
        Case(host: "BKT.OSS.local", path: "/", query: nil, bucket: "bkt", key: nil, style: .virtualHosted),
        Case(host: "oss.local:8200", path: "/bkt/k", query: nil, bucket: "bkt", key: "k", style: .path),
        Case(host: "localhost:8200", path: "/bkt/k", query: nil, bucket: "bkt", key: "k", style: .path),
        Case(host: nil, path: "/bkt/k", query: nil, bucket: "bkt", key: "k", style: .path),
    ]

    @Test(arguments: cases)
    func routes(_ c: Case) throws {
        let t = try OSSRequestTarget.parse(host: c.host, rawPath: c.path, rawQuery: c.query, endpointHosts: ["oss.local"])
        #expect(t.bucket == c.bucket)
        #expect(t.key == c.key)
        #expect(t.style == c.style)
    }

    @Test func valuelessAndEmptyParametersAreBothPresent() throws {
        let t = try OSSRequestTarget.parse(host: nil, rawPath: "/b/", rawQuery: "acl&uploads=&prefix=a+b%2F&x=1",
                                           endpointHosts: [])
        #expect(t.query == [.init("acl", nil), .init("uploads", ""), .init("prefix", "a b/"), .init("x", "1")])
        #expect(t.has("acl") && t.has("uploads"))
        #expect(t.value("acl") == "" && t.nonEmpty("acl") == nil)
        #expect(t.value("prefix") == "a b/")
        #expect(t.value("missing") == nil)
    }

    @Test func go15DoubleQuestionMarkIsAPlainGet() throws {
        let t = try OSSRequestTarget.parse(host: nil, rawPath: "/b/k", rawQuery: "?objectMeta", endpointHosts: [])
        #expect(t.query.isEmpty)
        #expect(try OSSOperation.identify(method: "GET", target: t, hasCopySource: false) == .getObject)
    }

    @Test func malformedEscapesAreRefused() {
        #expect(throws: OSSError.self) {
            try OSSRequestTarget.parse(host: nil, rawPath: "/b/%zz", rawQuery: nil, endpointHosts: [])
        }
        #expect(throws: OSSError.self) {
            try OSSRequestTarget.parse(host: nil, rawPath: "/b/%C3%28", rawQuery: nil, endpointHosts: [])  // not UTF-8
        }
    }
}

@Suite struct OperationTests {
    struct Case: Sendable, CustomStringConvertible {
        var method: String
        var path: String
        var query: String?
        var copy = false
        var operation: OSSOperation
        var description: String { "\(method) \(path)?\(query ?? "")" }
    }

    static let cases: [Case] = [
        Case(method: "GET", path: "/", query: nil, operation: .listBuckets),
        Case(method: "PUT", path: "/b/", query: nil, operation: .putBucket),
        Case(method: "PUT", path: "/b/", query: "acl", operation: .putBucketAcl),
        Case(method: "GET", path: "/b/", query: "acl=", operation: .getBucketAcl),
        Case(method: "DELETE", path: "/b/", query: nil, operation: .deleteBucket),
        Case(method: "GET", path: "/b/", query: "bucketInfo", operation: .getBucketInfo),
        Case(method: "GET", path: "/b/", query: "location", operation: .getBucketLocation),
        Case(method: "GET", path: "/b/", query: "prefix=&marker=&max-keys=100&encoding-type=url", operation: .listObjects),
        Case(method: "GET", path: "/b/", query: "list-type=2&continuation-token=", operation: .listObjectsV2),
        Case(method: "GET", path: "/b/", query: "uploads", operation: .listMultipartUploads),
        Case(method: "POST", path: "/b/", query: "delete&encoding-type=url", operation: .deleteMultipleObjects),
        Case(method: "PUT", path: "/b/k", query: nil, operation: .putObject),
        Case(method: "PUT", path: "/b/k", query: nil, copy: true, operation: .copyObject),
        Case(method: "POST", path: "/b/k", query: "append&position=0", operation: .appendObject),
        Case(method: "GET", path: "/b/k", query: "response-content-type=a", operation: .getObject),
        Case(method: "HEAD", path: "/b/k", query: nil, operation: .headObject),
        Case(method: "HEAD", path: "/b/k", query: "objectMeta", operation: .getObjectMeta),
        Case(method: "DELETE", path: "/b/k", query: nil, operation: .deleteObject),
        Case(method: "PUT", path: "/b/k", query: "acl", operation: .putObjectAcl),
        Case(method: "GET", path: "/b/k", query: "acl", operation: .getObjectAcl),
        Case(method: "POST", path: "/b/k", query: "uploads=", operation: .initiateMultipartUpload),
        Case(method: "PUT", path: "/b/k", query: "partNumber=1&uploadId=ABC", operation: .uploadPart),
        Case(method: "POST", path: "/b/k", query: "uploadId=ABC", operation: .completeMultipartUpload),
        Case(method: "DELETE", path: "/b/k", query: "uploadId=ABC", operation: .abortMultipartUpload),
        Case(method: "GET", path: "/b/k", query: "uploadId=ABC", operation: .listParts),
    ]

    @Test(arguments: cases)
    func identifies(_ c: Case) throws {
        let t = try OSSRequestTarget.parse(host: nil, rawPath: c.path, rawQuery: c.query, endpointHosts: [])
        #expect(try OSSOperation.identify(method: c.method, target: t, hasCopySource: c.copy) == c.operation)
    }

    @Test func unsupportedSubresourcesAreNotImplemented() throws {
        let t = try OSSRequestTarget.parse(host: nil, rawPath: "/b/", rawQuery: "cors", endpointHosts: [])
        #expect(throws: OSSError.self) { try OSSOperation.identify(method: "GET", target: t, hasCopySource: false) }
    }

    @Test(arguments: [
        (OSSOperation.listObjects, "oss:ListObjects"), (.listObjectsV2, "oss:ListObjects"), (.getObject, "oss:GetObject"),
        (.headObject, "oss:GetObject"), (.getObjectMeta, "oss:GetObject"), (.uploadPart, "oss:PutObject"),
        (.completeMultipartUpload, "oss:PutObject"), (.appendObject, "oss:PutObject"), (.copyObject, "oss:PutObject"),
        (.deleteMultipleObjects, "oss:DeleteObject"), (.listParts, "oss:ListParts"),
        (.abortMultipartUpload, "oss:AbortMultipartUpload"), (.listBuckets, "oss:ListBuckets"),
        (.getBucketInfo, "oss:GetBucketInfo"), (.putBucketAcl, "oss:PutBucketAcl"),
    ])
    func actions(_ operation: OSSOperation, _ action: String) {
        #expect(operation.action == action)
    }

    @Test func resourcesAndConditions() throws {
        #expect(OSSAuthorizationMapping.resource(account: "123", bucket: "b", key: "a/b c") == "acs:oss:*:123:b/a/b c")
        #expect(OSSAuthorizationMapping.resource(account: "123", bucket: "b", key: nil) == "acs:oss:*:123:b")
        #expect(OSSAuthorizationMapping.resource(account: "123", bucket: nil, key: nil) == "acs:oss:*:123:*")
        let t = try OSSRequestTarget.parse(host: nil, rawPath: "/b/", rawQuery: "prefix=logs%2F&delimiter=%2F",
                                           endpointHosts: [])
        #expect(OSSAuthorizationMapping.conditions(operation: .listObjects, target: t)
            == ["oss:Prefix": ["logs/"], "oss:Delimiter": ["/"]])
        #expect(OSSAuthorizationMapping.conditions(operation: .getObject, target: t).isEmpty)
    }
}

@Suite struct NameTests {
    @Test(arguments: [("abc", true), ("a-b-1", true), ("ab", false), ("Abc", false), ("-abc", false), ("abc-", false),
                      ("a_c", false), (String(repeating: "a", count: 63), true), (String(repeating: "a", count: 64), false)])
    func bucketNames(_ name: String, _ valid: Bool) {
        #expect(OSSNames.isValidBucketName(name) == valid)
    }

    @Test(arguments: [("k", true), ("/k", false), ("\\k", false), ("", false), ("a//b", true),
                      (String(repeating: "x", count: 1023), true), (String(repeating: "x", count: 1024), false),
                      (String(repeating: "é", count: 511) + "x", true), (String(repeating: "é", count: 512), false)])
    func objectKeys(_ key: String, _ valid: Bool) {
        #expect(OSSNames.isValidObjectKey(key) == valid)
    }
}

@Suite struct RangeTests {
    @Test(arguments: [
        ("bytes=0-9", Int64(0), Int64(9)), ("bytes=10-", 10, 99), ("bytes=-10", 90, 99), ("bytes=90-200", 90, 99),
        ("bytes=-500", 0, 99), ("bytes=5-5", 5, 5), ("bytes=0-9223372036854775807", 0, 99),
        ("bytes=5-99999999999999999999999", 5, 99), ("bytes=-99999999999999999999", 0, 99),
    ])
    func valid(_ header: String, _ first: Int64, _ last: Int64) {
        #expect(ByteRange.parse(header, size: 100) == ByteRange(first: first, last: last))
    }

    @Test(arguments: ["bytes=100-", "bytes=99999999999999999999-", "bytes=99999999999999999999-5", "bytes=9-3", "bytes=a-b", "bytes=0-1,3-4", "items=0-1", "bytes=-0", "bytes=-", ""])
    func ignoredMeansWholeObject(_ header: String) {
        #expect(ByteRange.parse(header, size: 100) == nil)
    }

    @Test func contentRange() {
        #expect(ByteRange(first: 0, last: 9).contentRange(size: 100) == "bytes 0-9/100")
    }
}

@Suite struct PreconditionTests {
    static let modified = HTTPTime.parseRFC1123("Fri, 24 Feb 2012 06:07:48 GMT")!

    @Test(arguments: [
        (Preconditions(ifMatch: "\"ABC\""), PreconditionOutcome.proceed),
        (Preconditions(ifMatch: "abc"), .proceed),
        (Preconditions(ifMatch: "\"DEF\""), .failed),
        (Preconditions(ifNoneMatch: "\"ABC\""), .notModified),
        (Preconditions(ifNoneMatch: "\"DEF\""), .proceed),
        (Preconditions(ifModifiedSince: "Fri, 24 Feb 2012 06:07:48 GMT"), .notModified),
        (Preconditions(ifModifiedSince: "Fri, 24 Feb 2012 06:07:47 GMT"), .proceed),
        (Preconditions(ifUnmodifiedSince: "Fri, 24 Feb 2012 06:07:47 GMT"), .failed),
        (Preconditions(ifUnmodifiedSince: "Fri, 24 Feb 2012 06:07:48 GMT"), .proceed),
    ])
    func evaluate(_ p: Preconditions, _ outcome: PreconditionOutcome) {
        #expect(p.evaluate(etag: "ABC", modifiedSeconds: Self.modified) == outcome)
    }

    @Test func copySourceFailuresAre412() {
        #expect(Preconditions(ifNoneMatch: "\"ABC\"").evaluate(etag: "ABC", modifiedSeconds: 0, copySource: true) == .failed)
    }
}

@Suite struct FormatTests {
    @Test func httpDates() {
        #expect(HTTPTime.rfc1123(1_132_253_398) == "Thu, 17 Nov 2005 18:49:58 GMT")
        #expect(HTTPTime.parseRFC1123("Thu, 17 Nov 2005 18:49:58 GMT") == 1_132_253_398)
        #expect(HTTPTime.rfc1123(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPTime.iso8601(1_330_063_668) == "2012-02-24T06:07:48.000Z")
        #expect(HTTPTime.parseCompact("20231216T162057Z") == HTTPTime.parseRFC1123("Sat, 16 Dec 2023 16:20:57 GMT"))
        #expect(HTTPTime.parseRFC1123("17 Nov 2005") == nil)
        #expect(HTTPTime.compactDate(1_702_743_657) == "20231216")
    }

    @Test(arguments: [("a b+c/d", "a%20b%2Bc/d"), ("你", "%E4%BD%A0"), ("x~_.-", "x~_.-"), ("%", "%25")])
    func listingEncoding(_ raw: String, _ encoded: String) {
        #expect(Percent.encodeListing(raw) == encoded)
        #expect(Percent.decode(Substring(encoded), plusAsSpace: true) == raw)
    }

    @Test func continuationTokensRoundTrip() {
        for key in ["a", "dir/", "你好/ +%", String(repeating: "z", count: 1000)] {
            #expect(ContinuationToken.decode(ContinuationToken.encode(key)) == key)
        }
        #expect(ContinuationToken.decode("***") == nil)
    }

    @Test func errorDocument() {
        let xml = OSSError.noSuchBucket("my<b>").xml(requestId: "RID", hostId: "h:1")
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"))
        #expect(xml.contains("<RequestId>RID</RequestId><HostId>h:1</HostId><BucketName>my&lt;b&gt;</BucketName></Error>"))
    }
}

@Suite struct RequestBodyTests {
    @Test func completeParsesQuotedETagsInAnyCase() throws {
        let xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"abc\"</ETag></Part><Part><ETag>DEF</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"
        let parsed = try CompleteRequest.parse(Array(xml.utf8))
        #expect(parsed.parts == [.init(partNumber: 1, etag: "ABC"), .init(partNumber: 2, etag: "DEF")])
        #expect(throws: OSSError.malformedXML) { try CompleteRequest.parse(Array("<Complete".utf8)) }
    }

    @Test func deleteParsesQuietLastWithoutDeclaration() throws {
        let xml = "<Delete><Object><Key>a &amp; b</Key></Object><Object><Key>c</Key></Object><Quiet>true</Quiet></Delete>"
        #expect(try DeleteRequest.parse(Array(xml.utf8)) == DeleteRequest(quiet: true, keys: ["a & b", "c"]))
        let tooMany = "<Delete>" + String(repeating: "<Object><Key>k</Key></Object>", count: 1001) + "</Delete>"
        #expect(throws: OSSError.self) { try DeleteRequest.parse(Array(tooMany.utf8)) }
    }

    @Test func partRules() throws {
        func part(_ n: Int, _ size: Int64) -> PartRecord {
            PartRecord(partNumber: n, size: size, etag: "E\(n)", crc64: 0, modified: 0, blob: "")
        }
        let uploaded = [1: part(1, 100 << 10), 2: part(2, 10), 3: part(3, 1)]
        #expect(try ObjectService.selectParts([.init(partNumber: 1, etag: "e1"), .init(partNumber: 3, etag: "E3")],
                                              uploaded: uploaded).map(\.partNumber) == [1, 3])
        let order = #expect(throws: OSSError.self) {
            try ObjectService.selectParts([.init(partNumber: 3, etag: "E3"), .init(partNumber: 1, etag: "E1")], uploaded: uploaded)
        }
        #expect(order?.code == "InvalidPartOrder")
        let wrong = #expect(throws: OSSError.self) {
            try ObjectService.selectParts([.init(partNumber: 1, etag: "XX")], uploaded: uploaded)
        }
        #expect(wrong?.code == "InvalidPart")
        let small = #expect(throws: OSSError.self) {
            try ObjectService.selectParts([.init(partNumber: 2, etag: "E2"), .init(partNumber: 3, etag: "E3")], uploaded: uploaded)
        }
        #expect(small?.code == "EntityTooSmall")
    }
}

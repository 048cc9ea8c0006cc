import Testing
@testable import LanyardHTTP

@Suite struct HTTPHeadersTests {
    @Test func lookupIsCaseInsensitiveAndKeepsOrder() {
        var headers = HTTPHeaders([("Content-Type", "text/plain"), ("X-Oss-Meta-A", "1"), ("x-oss-meta-a", "2")])
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["X-OSS-META-A"] == "1")
        #expect(headers.values("x-oss-meta-a") == ["1", "2"])
        #expect(headers["missing"] == nil)
        headers.add(name: "Via", value: "x")
        #expect(headers.map(\.name) == ["Content-Type", "X-Oss-Meta-A", "x-oss-meta-a", "Via"])
    }

    @Test func replaceOrAddReplacesInPlaceAndDropsDuplicates() {
        var headers = HTTPHeaders([("A", "1"), ("B", "2"), ("a", "3")])
        headers.replaceOrAdd(name: "a", value: "9")
        #expect(headers.map(\.name) == ["a", "B"])
        #expect(headers.map(\.value) == ["9", "2"])
        headers.replaceOrAdd(name: "C", value: "4")
        #expect(headers["c"] == "4")
        headers.remove(name: "b")
        #expect(headers.count == 2)
    }

    @Test(arguments: [
        ("Content-Length", "content-length", true), ("ETag", "etag", true), ("ETag", "ETa", false),
        ("X-A", "X_A", false), ("@", "`", false), ("[", "{", false),
    ])
    func nameMatching(a: String, b: String, equal: Bool) {
        #expect(HTTPHeaders.namesMatch(a, b) == equal)
    }
}

@Suite struct RequestTargetTests {
    @Test(arguments: [
        ("/b/k", "/b/k", nil),
        ("/b/k?", "/b/k", ""),
        ("/b/k??objectMeta", "/b/k", "?objectMeta"),
        ("/b/a%2Fb+c?x=1+2&y=%2F", "/b/a%2Fb+c", "x=1+2&y=%2F"),
        ("/?acl", "/", "acl"),
        ("/?acl=", "/", "acl="),
    ] as [(String, String, String?)])
    func splitsAtFirstQuestionMark(target: String, path: String, query: String?) {
        let head = HTTPRequestHead(method: "GET", target: target, headers: .init(), remoteAddress: "")
        #expect(head.rawPath == path)
        #expect(head.rawQuery == query)
    }
}

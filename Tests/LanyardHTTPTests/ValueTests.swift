import Foundation
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
        ("http://100.100.100.200/latest/meta-data/", "/latest/meta-data/", nil),
        ("HTTP://h:80/b/k??objectMeta", "/b/k", "?objectMeta"),
        ("http://h", "/", nil),
        ("http://h?x=1", "/", "x=1"),
        ("https://h/a%2Fb", "/a%2Fb", nil),
        ("*", "*", nil),
    ] as [(String, String, String?)])
    func splitsAtFirstQuestionMark(target: String, path: String, query: String?) {
        let head = HTTPRequestHead(method: "GET", target: target, headers: .init(), remoteAddress: "")
        #expect(head.rawPath == path)
        #expect(head.rawQuery == query)
    }
}

@Suite struct AddressTextTests {
    static func text(family: Int32, _ address: String) -> String {
        if family == AF_INET {
            var value = sockaddr_in()
            value.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, address, &value.sin_addr)
            return withUnsafePointer(to: &value) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Sockets.addressText($0) }
            }
        }
        var value = sockaddr_in6()
        value.sin6_family = sa_family_t(AF_INET6)
        inet_pton(AF_INET6, address, &value.sin6_addr)
        return withUnsafePointer(to: &value) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Sockets.addressText($0) }
        }
    }

    @Test(arguments: [
        (AF_INET, "10.1.2.3", "10.1.2.3"),
        (AF_INET6, "::1", "::1"),
        (AF_INET6, "fd00::5", "fd00::5"),
        (AF_INET6, "::ffff:100.100.100.200", "100.100.100.200"),
    ])
    func formatsAddresses(family: Int32, input: String, expected: String) {
        #expect(Self.text(family: family, input) == expected)
    }
}

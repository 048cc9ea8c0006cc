import Foundation
import Testing
@testable import LanyardObjectStore

/// A fresh directory under the system temporary directory, removed by the caller.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "lanyard-oss-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct ListingTests {
    /// Keys with nesting, shared prefixes, unicode, spaces, `+`, `%` and repeated slashes.
    static let keys: [String] = {
        var keys: [String] = []
        for a in 0..<12 {
            for b in 0..<15 {
                for c in 0..<15 { keys.append("dir\(a)/sub\(b)/file\(c).txt") }
                keys.append("dir\(a)/file-\(b)")
            }
        }
        keys += ["a", "a/", "a//b", "a/b", "b c", "b+c", "b%c", "你好/世界", "你好.txt", "z\u{7f}", "dir1", "dir1/"]
        return keys
    }()

    static func sorted(_ keys: [String]) -> [String] {
        keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    static func less(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }

    /// Brute-force listing over all keys, the model the index-backed listing must match.
    static func reference(prefix: String, after: String?, delimiter: String, maxKeys: Int)
        -> (objects: [String], prefixes: [String], truncated: Bool)
    {
        var entries: [(String, Bool)] = []
        for key in sorted(keys) where key.utf8.starts(with: prefix.utf8) {
            if let after, !less(after, key) { continue }
            let rest = String(decoding: key.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
            if !delimiter.isEmpty, let r = rest.range(of: delimiter) {
                let common = prefix + rest[..<r.upperBound]
                if let after, !less(after, common) { continue }
                if entries.last?.0 != common { entries.append((common, true)) }
            } else {
                entries.append((key, false))
            }
        }
        let page = entries.prefix(maxKeys)
        return (page.filter { !$0.1 }.map(\.0), page.filter(\.1).map(\.0), entries.count > maxKeys)
    }

    static let store: (MetadataStore, String) = {
        let dir = temporaryDirectory()
        let store = try! MetadataStore(path: dir + "/objects.db")
        _ = try! store.createBucket(BucketRecord(name: "bkt", owner: "1", acl: .private, created: 0, storageClass: "Standard"))
        for key in keys {
            let o = ObjectRecord(key: key, size: 1, etag: "E", crc64: 0, modified: 0, type: .normal, acl: .default,
                                 headers: [], blob: "x")
            _ = try! store.putObject(bucket: "bkt", o)
        }
        return (store, dir)
    }()

    @Test(arguments: [
        ("", "", 1000), ("", "/", 100), ("", "/", 7), ("dir1/", "/", 5), ("dir1/", "", 50), ("dir1", "/", 3),
        ("dir11/sub3/", "/", 4), ("a", "/", 2), ("你", "/", 1), ("b", "", 10), ("nothing", "/", 10), ("", "sub", 13),
        ("dir2/", "//", 9),
    ])
    func paginatesLikeTheReference(_ prefix: String, _ delimiter: String, _ maxKeys: Int) throws {
        let (store, _) = Self.store
        var after: String?
        var seenObjects: [String] = [], seenPrefixes: [String] = []
        var pages = 0
        while true {
            let page = try store.list(bucket: "bkt", prefix: prefix, after: after, delimiter: delimiter, maxKeys: maxKeys)
            let expected = Self.reference(prefix: prefix, after: after, delimiter: delimiter, maxKeys: maxKeys)
            #expect(page.objects.map(\.key) == expected.objects)
            #expect(page.commonPrefixes == expected.prefixes)
            #expect(page.isTruncated == expected.truncated)
            seenObjects += page.objects.map(\.key)
            seenPrefixes += page.commonPrefixes
            pages += 1
            guard page.isTruncated, let next = page.nextMarker, pages < 2000 else { break }
            after = next
        }
        let all = Self.reference(prefix: prefix, after: nil, delimiter: delimiter, maxKeys: Int.max)
        #expect(seenObjects == all.objects)
        #expect(seenPrefixes == all.prefixes)
    }

    @Test func markerBeforePrefixAndInsideCommonPrefix() throws {
        let (store, _) = Self.store
        let page = try store.list(bucket: "bkt", prefix: "dir3/", after: "dir1", delimiter: "/", maxKeys: 1000)
        #expect(page.commonPrefixes.first == "dir3/sub0/")
        let inside = try store.list(bucket: "bkt", prefix: "", after: "dir3/sub4/file1.txt", delimiter: "/", maxKeys: 2)
        #expect(inside.commonPrefixes == ["dir4/", "dir5/"])
        #expect(inside.objects.isEmpty)
    }

    @Test func successorBounds() {
        #expect(MetadataStore.successor(Array("ab".utf8)) == Array("ac".utf8))
        #expect(MetadataStore.successor([0x61, 0xff]) == [0x62])
        #expect(MetadataStore.successor([0xff, 0xff]) == nil)
        #expect(MetadataStore.successor([]) == nil)
    }
}

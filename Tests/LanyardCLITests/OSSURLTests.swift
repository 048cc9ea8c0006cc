import LanyardCLI
import Testing

@Suite struct OSSURLTests {
    @Test(arguments: [
        ("oss://bucket", "bucket", ""),
        ("oss://bucket/", "bucket", ""),
        ("oss://my-bucket-1/a/b.txt", "my-bucket-1", "a/b.txt"),
        ("OSS://abc/dir/", "abc", "dir/"),
        ("oss://abc/a b+c%20d/ü//x", "abc", "a b+c%20d/ü//x"),
    ])
    func parsesBucketAndVerbatimKey(text: String, bucket: String, key: String) throws {
        let url = try OSSURL(parsing: text)
        #expect(url.bucket == bucket)
        #expect(url.key == key)
    }

    @Test(arguments: [
        "bucket/key", "s3://bucket/key", "oss:/bucket", "oss://", "oss:///key", "oss://ab", "oss://Upper",
        "oss://-start", "oss://end-", "oss://under_score", "oss://b.c.d", "oss://bucket//leading",
        "oss://bucket/\\back", "oss://" + String(repeating: "a", count: 64),
    ])
    func refusesBadURLsAsUsageErrors(text: String) {
        let error = #expect(throws: CLIError.self) { try OSSURL(parsing: text) }
        #expect(error?.exitStatus == 2)
        #expect(error?.message.contains(text) == true || text == "oss://")
    }

    @Test func keysAreLimitedTo1023Bytes() throws {
        let longest = String(repeating: "é", count: 511) + "x"  // 1023 bytes
        #expect(try OSSURL(parsing: "oss://bucket/" + longest).key.utf8.count == 1023)
        #expect(throws: CLIError.self) { try OSSURL(parsing: "oss://bucket/" + longest + "y") }
    }

    @Test func folderPrefixAndDescription() throws {
        #expect(try OSSURL(parsing: "oss://bucket").folderPrefix == "")
        #expect(try OSSURL(parsing: "oss://bucket/p").folderPrefix == "p/")
        #expect(try OSSURL(parsing: "oss://bucket/p/").folderPrefix == "p/")
        #expect(try OSSURL(parsing: "oss://bucket/p").isFolder == false)
        #expect(try OSSURL(parsing: "oss://bucket/").isFolder)
        #expect(OSSURL(bucket: "b1c", key: "").description == "oss://b1c")
        #expect(OSSURL(bucket: "b1c", key: "x/y").description == "oss://b1c/x/y")
    }

    @Test func locationsAreLocalUnlessOSS() throws {
        #expect(try TransferLocation(parsing: "./file") == .local("./file"))
        #expect(try TransferLocation(parsing: "dir/with://inside") == .local("dir/with://inside"))
        #expect(try TransferLocation(parsing: "oss://bkt/k") == .oss(OSSURL(bucket: "bkt", key: "k")))
        #expect(throws: CLIError.usage("\"http://x/y\": unsupported URL scheme; use oss://bucket/key or a local path")) {
            try TransferLocation(parsing: "http://x/y")
        }
        #expect(throws: CLIError.self) { try TransferLocation(parsing: "") }
    }

    @Test(arguments: [
        ("127.0.0.1:8200", "http://127.0.0.1:8200"),
        ("localhost:8200", "http://localhost:8200"),
        ("[::1]:8200", "http://[::1]:8200"),
        ("oss-cn-hangzhou.aliyuncs.com", "https://oss-cn-hangzhou.aliyuncs.com"),
        ("300.1.1.1", "https://300.1.1.1"),
        ("lanyard.internal:80", "http://lanyard.internal:80"),
        ("oss.example.com:443", "https://oss.example.com:443"),
        ("https://127.0.0.1:8200", "https://127.0.0.1:8200"),
    ])
    func endpointsGetASchemeByKindOfHost(text: String, url: String) {
        #expect(OSSEndpoint.url(text) == url)
    }
}

@Suite("keys printed for a terminal")
struct DisplayedKeyTests {
    @Test func controlCharactersAreEscaped() {
        #expect(OSSURL.escapingControls("plain/key ü.txt") == "plain/key ü.txt")
        #expect(OSSURL.escapingControls("a\nb\tc\rd") == #"a\nb\tc\rd"#)
        #expect(OSSURL.escapingControls("\u{1B}[2J\u{7F}") == #"\x1B[2J\x7F"#)
        #expect(OSSURL.escapingControls("x\u{85}y") == #"x\u{85}y"#)
        #expect(OSSURL.escapingControls(#"back\slash"#) == #"back\\slash"#)
        #expect(OSSURL(bucket: "bkt", key: "evil\nline").displayed == #"oss://bkt/evil\nline"#)
    }
}

import LanyardCLI
import Testing

@Suite struct TransferPlannerTests {
    @Test(arguments: [
        ("a.txt", "", "a.txt"),
        ("dir/a.txt", "docs/", "docs/a.txt"),
        ("/abs/a.txt", "docs/", "docs/a.txt"),
        ("a.txt", "docs/renamed.txt", "docs/renamed.txt"),
        ("a.txt", "docs", "docs"),
    ])
    func singleUploadKeys(path: String, destinationKey: String, key: String) {
        #expect(TransferPlanner.uploadKey(localPath: path, destination: OSSURL(bucket: "b", key: destinationKey)) == key)
    }

    @Test func singleDownloadPaths() {
        #expect(TransferPlanner.downloadPath(key: "x/y/z.bin", destination: "out", destinationIsDirectory: true) == "out/z.bin")
        #expect(TransferPlanner.downloadPath(key: "x/y/z.bin", destination: "out/", destinationIsDirectory: false) == "out/z.bin")
        #expect(TransferPlanner.downloadPath(key: "x/y/z.bin", destination: "file.bin", destinationIsDirectory: false) == "file.bin")
        #expect(TransferPlanner.copyKey(sourceKey: "x/z.bin", destination: OSSURL(bucket: "b", key: "")) == "z.bin")
        #expect(TransferPlanner.copyKey(sourceKey: "x/z.bin", destination: OSSURL(bucket: "b", key: "k")) == "k")
    }

    @Test func recursiveKeysKeepRelativePaths() {
        let destination = OSSURL(bucket: "b", key: "backup")
        #expect(TransferPlanner.recursiveUploadKey(relativePath: "a/b c/d+e.txt", destination: destination) == "backup/a/b c/d+e.txt")
        #expect(TransferPlanner.recursiveUploadKey(relativePath: "x", destination: OSSURL(bucket: "b")) == "x")
        #expect(
            TransferPlanner.recursiveCopyKey(key: "src/a/b", sourcePrefix: "src/", destination: OSSURL(bucket: "c", key: "dst/"))
                == "dst/a/b")
    }

    @Test(arguments: [
        ("photos/a.jpg", "photos/", TransferPlanner.LocalEntry.file("a.jpg")),
        ("photos/2024/b c.jpg", "photos/", .file("2024/b c.jpg")),
        ("photos/", "photos/", .directory("")),
        ("photos/empty/", "photos/", .directory("empty")),
        ("any/key", "", .file("any/key")),
        ("photos/../../etc/passwd", "photos/", .skipped("the key has a .. path component")),
        ("photos/./x", "photos/", .skipped("the key has a . path component")),
        ("photos/a//b", "photos/", .skipped("the key has an empty path component (repeated /)")),
        ("photos/a//", "photos/", .skipped("the key has an empty path component (repeated /)")),
        ("photos//x", "photos/", .skipped("the key has an empty path component (repeated /)")),
        ("photos/a\u{0}b", "photos/", .skipped("the key contains a NUL byte")),
        ("other/x", "photos/", .skipped("not under photos/")),
    ])
    func recursiveDownloadEntries(key: String, prefix: String, entry: TransferPlanner.LocalEntry) {
        #expect(TransferPlanner.localEntry(key: key, sourcePrefix: prefix) == entry)
    }

    @Test func joinAndLastComponent() {
        #expect(TransferPlanner.join("out", "a/b") == "out/a/b")
        #expect(TransferPlanner.join("out/", "a") == "out/a")
        #expect(TransferPlanner.join("", "a") == "a")
        #expect(TransferPlanner.lastComponent("a/b/") == "b")
        #expect(TransferPlanner.lastComponent("a") == "a")
    }

    @Test(arguments: [
        ("index.HTML", "text/html"), ("dir.v2/photo.jpeg", "image/jpeg"), ("data.json", "application/json"),
        ("archive.tar.gz", "application/gzip"), ("README", "application/octet-stream"),
        (".hidden", "application/octet-stream"), ("x.unknown", "application/octet-stream"),
    ])
    func contentTypesFromExtensions(path: String, type: String) {
        #expect(TransferPlanner.contentType(forPath: path) == type)
    }
}

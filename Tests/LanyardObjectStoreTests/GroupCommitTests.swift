import Foundation
import Synchronization
import Testing
@testable import LanyardObjectStore

@Suite struct GroupCommitTests {
    private static func object(_ key: String) -> ObjectRecord {
        ObjectRecord(key: key, size: 1, etag: "E", crc64: 0, modified: 0, type: .normal, acl: .default, headers: [],
                     blob: "b/" + key)
    }

    private static func store() throws -> (MetadataStore, String) {
        let dir = temporaryDirectory()
        let store = try MetadataStore(path: dir + "/objects.db")
        _ = try store.createBucket(BucketRecord(name: "bkt", owner: "1", acl: .private, created: 0, storageClass: "Standard"))
        return (store, dir)
    }

    /// Many threads writing at once: every write lands, each refusal undoes only its own row, and the rows
    /// survive reopening the database (they were committed, not just queued).
    @Test func concurrentWritersCommitTogetherAndARefusalUndoesOnlyItsOwnWrite() throws {
        let (store, dir) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let refused = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let key = "k\(i)"
            do throws(OSSError) {
                _ = try store.putObject(bucket: "bkt", Self.object(key), syncing: [dir]) { _ throws(OSSError) in
                    if i % 5 == 0 { throw OSSError(status: 409, code: "FileAlreadyExists", message: "refused") }
                }
            } catch {
                refused.withLock { $0.append(key) }
                #expect(error.code == "FileAlreadyExists")
            }
        }
        let refusedKeys = Set(refused.withLock { $0 })
        #expect(refusedKeys == Set((0..<64).filter { $0 % 5 == 0 }.map { "k\($0)" }))
        let reopened = try MetadataStore(path: dir + "/objects.db")
        for i in 0..<64 {
            let found = try reopened.object(bucket: "bkt", key: "k\(i)")
            #expect((found == nil) == refusedKeys.contains("k\(i)"))
        }
    }

    /// A write whose directory cannot be synced fails without committing, and the next writes still work.
    @Test func aDirectoryThatCannotBeSyncedFailsItsWriteOnly() throws {
        let (store, dir) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: OSSError.self) {
            _ = try store.putObject(bucket: "bkt", Self.object("lost"), syncing: [dir + "/missing"])
        }
        #expect(try store.object(bucket: "bkt", key: "lost") == nil)
        _ = try store.putObject(bucket: "bkt", Self.object("kept"), syncing: [dir])
        #expect(try store.object(bucket: "bkt", key: "kept") != nil)
    }

    /// Writes that return values and writes that throw inside a batch keep their own results.
    @Test func resultsAndErrorsReachTheirOwnCallers() throws {
        let (store, dir) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        DispatchQueue.concurrentPerform(iterations: 32) { i in
            let key = "r\(i % 8)"
            // Each key is written four times; every write but the first replaces a row with the same blob name.
            let unreferenced = try? store.putObject(bucket: "bkt", Self.object(key))
            if let unreferenced { #expect(unreferenced == "b/" + key) }
        }
        #expect(throws: OSSError.self) { _ = try store.putObject(bucket: "nobucket", Self.object("x")) }
        for i in 0..<8 { #expect(try store.object(bucket: "bkt", key: "r\(i)") != nil) }
    }

    /// Small bodies written at once share pack files; every object reads back its own bytes, and a pack file
    /// is removed exactly when the last row referring to it goes (overwritten or deleted).
    @Test func packedBodiesShareFilesAndLeaveWithTheirLastRow() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let blobs = try BlobStore(root: dir + "/objects")
        let store = try MetadataStore(path: dir + "/objects.db", packer: blobs)
        _ = try store.createBucket(
            BucketRecord(name: "bkt", owner: "1", acl: .private, created: 0, storageClass: "Standard"))
        let count = 48
        let unreferenced = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let body = Array("body \(i) ".utf8) + [UInt8](repeating: UInt8(i), count: i * 10)
            var record = Self.object("p\(i)")
            record.blob = ""
            do {
                if let file = try store.putObject(bucket: "bkt", record, packing: body) {
                    unreferenced.withLock { $0.append(file) }
                }
            } catch {
                Issue.record("put p\(i): \(error)")
            }
        }
        #expect(unreferenced.withLock { $0 }.isEmpty)
        var files = Set<String>()
        for i in 0..<count {
            let o = try #require(try store.object(bucket: "bkt", key: "p\(i)"))
            let location = BlobStore.location(o.blob)
            #expect(BlobStore.isPack(location.file))
            files.insert(location.file)
            let handle = try #require(FileHandle(forReadingAtPath: blobs.path(location.file)))
            try handle.seek(toOffset: UInt64(location.offset))
            let expected = Array("body \(i) ".utf8) + [UInt8](repeating: UInt8(i), count: i * 10)
            #expect(Array(handle.readData(ofLength: expected.count)) == expected)
        }
        // Remove every row: each pack file is handed back exactly once, by the last row referring to it.
        var handedBack: [String] = []
        for i in stride(from: 0, to: count, by: 2) {
            if let file = try store.deleteObject(bucket: "bkt", key: "p\(i)").unreferenced { handedBack.append(file) }
        }
        for i in stride(from: 1, to: count, by: 2) {
            var record = Self.object("p\(i)")
            record.blob = "xx/plain\(i)"
            if let file = try store.putObject(bucket: "bkt", record) { handedBack.append(file) }
        }
        #expect(handedBack.sorted() == files.sorted())
        #expect(try store.deleteObject(bucket: "bkt", key: "p0").existed == false)
    }
}

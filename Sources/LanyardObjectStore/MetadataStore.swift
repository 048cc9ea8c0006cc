/// Buckets, objects, uploads and parts in SQLite (`<data>/objects.db`). Object rows are keyed by
/// (bucket, key) with the key stored as a BLOB, so order is byte order and one listing page is a few
/// index seeks, however many keys the bucket holds. Reads use a pool of connections; every write goes through
/// one `GroupCommit`, which commits concurrent writes together. Rows referring to a pack file (several small
/// bodies in one file, see `BlobStore`) are counted in `packs`, so the file is removed with its last row;
/// the write methods return the blob files their removed or replaced rows leave unreferenced, which the
/// caller deletes after the commit.
final class MetadataStore: Sendable {
    private let pool: SQLitePool
    private let writer: GroupCommit

    private static let schema = """
        CREATE TABLE IF NOT EXISTS buckets(
            name TEXT PRIMARY KEY, owner TEXT NOT NULL, acl TEXT NOT NULL, created INTEGER NOT NULL,
            storage_class TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS objects(
            bucket TEXT NOT NULL, key BLOB NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
            crc64 INTEGER NOT NULL, modified INTEGER NOT NULL, type TEXT NOT NULL, acl TEXT NOT NULL,
            headers TEXT NOT NULL, blob TEXT NOT NULL, PRIMARY KEY(bucket, key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS uploads(
            upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, initiated INTEGER NOT NULL,
            acl TEXT NOT NULL, headers TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(bucket, key, upload_id);
        CREATE TABLE IF NOT EXISTS packs(name TEXT PRIMARY KEY, refs INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS parts(
            upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
            crc64 INTEGER NOT NULL, modified INTEGER NOT NULL, blob TEXT NOT NULL,
            PRIMARY KEY(upload_id, part_number)) WITHOUT ROWID;
        """

    /// Opens (creating) the database at `path`; `packer` writes the small bodies that `putObject` packs.
    init(path: String, packer: (any BodyPacker)? = nil) throws(OSSError) {
        do {
            pool = try SQLitePool(path: path) { c throws(SQLiteError) in try c.exec(Self.schema) }
            let connection = try SQLiteConnection(path: path)
            try connection.exec("PRAGMA synchronous=FULL;")
            writer = GroupCommit(connection: connection, packer: packer)
        } catch {
            throw OSSError.internalError("cannot open \(path): \(error.message)")
        }
    }

    // MARK: Buckets

    private static let bucketColumns = "name, owner, acl, created, storage_class"

    private static func bucket(_ r: SQLRow) -> BucketRecord {
        BucketRecord(name: r.text(0), owner: r.text(1), acl: CannedACL(rawValue: r.text(2)) ?? .private,
                     created: r.int(3), storageClass: r.text(4))
    }

    func bucket(_ name: String) throws(OSSError) -> BucketRecord? {
        try pool.with { c throws(OSSError) in
            var found: BucketRecord?
            try c.run("SELECT \(Self.bucketColumns) FROM buckets WHERE name = ?", [.text(name)]) { r in
                found = Self.bucket(r)
                return false
            }
            return found
        }
    }

    /// Creates the bucket; returns false (and changes nothing) when it already exists.
    func createBucket(_ b: BucketRecord) throws(OSSError) -> Bool {
        try writer.write { c throws(OSSError) in
            try c.run("INSERT OR IGNORE INTO buckets(\(Self.bucketColumns)) VALUES (?, ?, ?, ?, ?)",
                      [.text(b.name), .text(b.owner), .text(b.acl.rawValue), .int(b.created), .text(b.storageClass)])
            return c.changes == 1
        }
    }

    func setBucketACL(_ name: String, _ acl: CannedACL) throws(OSSError) {
        try writer.write { c throws(OSSError) in
            try c.run("UPDATE buckets SET acl = ? WHERE name = ?", [.text(acl.rawValue), .text(name)])
        }
    }

    /// Deletes an empty bucket: `BucketNotEmpty` when objects or uploads remain.
    func deleteBucket(_ name: String) throws(OSSError) {
        try writer.write { c throws(OSSError) in
            var busy = false
            try c.run("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", [.text(name)]) { _ in busy = true; return false }
            try c.run("SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1", [.text(name)]) { _ in busy = true; return false }
            if busy {
                throw OSSError(status: 409, code: "BucketNotEmpty",
                               message: "The bucket you tried to delete is not empty.",
                               extra: [.init("BucketName", name)])
            }
            try c.run("DELETE FROM buckets WHERE name = ?", [.text(name)])
            if c.changes == 0 { throw OSSError.noSuchBucket(name) }
        }
    }

    /// Buckets in name order after `marker` with `prefix`; one more than `limit` tells truncation.
    func listBuckets(prefix: String, marker: String, limit: Int) throws(OSSError) -> [BucketRecord] {
        try pool.with { c throws(OSSError) in
            var out: [BucketRecord] = []
            try c.run("SELECT \(Self.bucketColumns) FROM buckets WHERE name > ? AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?",
                      [.text(marker), .int(Int64(prefix.utf8.count)), .text(prefix), .int(Int64(limit))]) { r in
                out.append(Self.bucket(r))
                return true
            }
            return out
        }
    }

    // MARK: Objects

    private static let objectColumns = "key, size, etag, crc64, modified, type, acl, headers, blob"

    private static func object(_ r: SQLRow) -> ObjectRecord {
        ObjectRecord(key: r.blobString(0), size: r.int(1), etag: r.text(2), crc64: UInt64(bitPattern: r.int(3)),
                     modified: r.int(4), type: ObjectType(rawValue: r.text(5)) ?? .normal,
                     acl: CannedACL(rawValue: r.text(6)) ?? .default, headers: StoredHeader.decode(r.text(7)),
                     blob: r.text(8))
    }

    private func object(_ c: SQLiteConnection, _ bucket: String, _ key: String) throws(OSSError) -> ObjectRecord? {
        var found: ObjectRecord?
        try c.run("SELECT \(Self.objectColumns) FROM objects WHERE bucket = ? AND key = ?",
                  [.text(bucket), .blob(Array(key.utf8))]) { r in
            found = Self.object(r)
            return false
        }
        return found
    }

    func object(bucket: String, key: String) throws(OSSError) -> ObjectRecord? {
        try pool.with { c throws(OSSError) in try object(c, bucket, key) }
    }

    private func insert(_ c: SQLiteConnection, _ bucket: String, _ o: ObjectRecord) throws(OSSError) {
        try c.run("INSERT OR REPLACE INTO objects(bucket, \(Self.objectColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  [.text(bucket), .blob(Array(o.key.utf8)), .int(o.size), .text(o.etag), .int(Int64(bitPattern: o.crc64)),
                   .int(o.modified), .text(o.type.rawValue), .text(o.acl.rawValue),
                   .text(StoredHeader.encode(o.headers)), .text(o.blob)])
    }

    private func requireBucket(_ c: SQLiteConnection, _ bucket: String) throws(OSSError) {
        var exists = false
        try c.run("SELECT 1 FROM buckets WHERE name = ?", [.text(bucket)]) { _ in exists = true; return false }
        if !exists { throw OSSError.noSuchBucket(bucket) }
    }

    /// Drops a row's reference to its blob; returns the blob's file once nothing refers to it any more.
    private func release(_ c: SQLiteConnection, _ blob: String) throws(OSSError) -> String? {
        let file = BlobStore.location(blob).file
        guard BlobStore.isPack(file) else { return file }
        try c.run("UPDATE packs SET refs = refs - 1 WHERE name = ?", [.text(file)])
        var refs: Int64 = 0
        try c.run("SELECT refs FROM packs WHERE name = ?", [.text(file)]) { r in
            refs = r.int(0)
            return false
        }
        guard refs <= 0 else { return nil }
        try c.run("DELETE FROM packs WHERE name = ?", [.text(file)])
        return file
    }

    /// Replaces (or inserts) the row of `o`, releasing the blob of the row it replaces unless the new row keeps
    /// it (a metadata update in place, an append).
    private func replace(_ c: SQLiteConnection, _ bucket: String, _ o: ObjectRecord, old: ObjectRecord?)
        throws(OSSError) -> String?
    {
        try insert(c, bucket, o)
        guard let old, old.blob != o.blob else { return nil }
        return try release(c, old.blob)
    }

    /// Commits an object row, after fsyncing `syncing` (the directories its new blob was renamed into), or with
    /// `body` packed into the batch's pack file (then the row refers to it). `check` sees the current row (if
    /// any) inside the transaction and may refuse; returns the blob file the replaced row leaves unreferenced.
    func putObject(bucket: String, _ o: ObjectRecord, packing body: [UInt8]? = nil, syncing: [String] = [],
                   check: (ObjectRecord?) throws(OSSError) -> Void = { _ in }) throws(OSSError) -> String?
    {
        try writer.write(syncing: syncing, packing: body) { c, packed throws(OSSError) -> String? in
            try requireBucket(c, bucket)
            let old = try object(c, bucket, o.key)
            try check(old)
            var o = o
            if let packed {
                o.blob = BlobStore.reference(file: packed.file, offset: packed.offset)
                try c.run("INSERT INTO packs(name, refs) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET refs = refs + 1",
                          [.text(packed.file)])
            }
            return try replace(c, bucket, o, old: old)
        }
    }

    /// Deletes an object row; returns whether it existed and the blob file it leaves unreferenced.
    func deleteObject(bucket: String, key: String) throws(OSSError) -> (existed: Bool, unreferenced: String?) {
        try writer.write { c throws(OSSError) -> (existed: Bool, unreferenced: String?) in
            guard let old = try object(c, bucket, key) else { return (false, nil) }
            try c.run("DELETE FROM objects WHERE bucket = ? AND key = ?", [.text(bucket), .blob(Array(key.utf8))])
            return (true, try release(c, old.blob))
        }
    }

    /// Deletes several rows in one transaction; returns the keys that existed and the blob files left
    /// unreferenced.
    func deleteObjects(bucket: String, keys: [String]) throws(OSSError) -> (removed: [String], unreferenced: [String]) {
        try writer.write { c throws(OSSError) -> (removed: [String], unreferenced: [String]) in
            var removed: [String] = []
            var unreferenced: [String] = []
            for key in keys {
                if let old = try object(c, bucket, key) {
                    try c.run("DELETE FROM objects WHERE bucket = ? AND key = ?", [.text(bucket), .blob(Array(key.utf8))])
                    removed.append(key)
                    if let file = try release(c, old.blob) { unreferenced.append(file) }
                }
            }
            return (removed, unreferenced)
        }
    }

    /// Sets an object's ACL; false when the object does not exist.
    func setObjectACL(bucket: String, key: String, acl: CannedACL) throws(OSSError) -> Bool {
        try writer.write { c throws(OSSError) in
            try c.run("UPDATE objects SET acl = ? WHERE bucket = ? AND key = ?",
                      [.text(acl.rawValue), .text(bucket), .blob(Array(key.utf8))])
            return c.changes == 1
        }
    }

    /// One listing page. Keys are compared as bytes. With a delimiter, keys sharing a common prefix are
    /// rolled up and the scan jumps past them with a fresh index seek, so the cost is O(page size · log n).
    func list(bucket: String, prefix: String, after: String?, delimiter: String, maxKeys: Int) throws(OSSError)
        -> ListingPage
    {
        let prefixBytes = Array(prefix.utf8)
        let delimiterBytes = Array(delimiter.utf8)
        let afterBytes = after.map { Array($0.utf8) }
        var lower = prefixBytes
        if let afterBytes, !afterBytes.lexicographicallyPrecedes(prefixBytes) { lower = afterBytes + [0] }
        let upper = Self.successor(prefixBytes)
        var page = ListingPage(objects: [], commonPrefixes: [], isTruncated: false, nextMarker: nil)
        guard maxKeys > 0 else { return page }
        let sql = upper == nil
            ? "SELECT key, size, etag, modified, type FROM objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?"
            : "SELECT key, size, etag, modified, type FROM objects WHERE bucket = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?"
        return try pool.with { c throws(OSSError) -> ListingPage in
            var count = 0
            scan: while true {
                let want = maxKeys - count + 1
                var args: [SQLValue] = [.text(bucket), .blob(lower)]
                if let upper { args.append(.blob(upper)) }
                args.append(.int(Int64(want)))
                var restartAt: [UInt8]?
                var truncated = false
                try c.run(sql, args) { r in
                    let key = r.blobBytes(0)
                    if count == maxKeys {
                        truncated = true
                        return false
                    }
                    if !delimiterBytes.isEmpty,
                       let end = Self.find(delimiterBytes, in: key, from: prefixBytes.count) {
                        let common = Array(key[..<end])
                        if let afterBytes, !afterBytes.lexicographicallyPrecedes(common) {
                            // The marker sits inside this prefix: it was returned on an earlier page.
                        } else {
                            page.commonPrefixes.append(String(decoding: common, as: UTF8.self))
                            page.nextMarker = page.commonPrefixes.last
                            count += 1
                        }
                        restartAt = Self.successor(common)
                        return false
                    }
                    let o = ObjectRecord(key: String(decoding: key, as: UTF8.self), size: r.int(1), etag: r.text(2),
                                         crc64: 0, modified: r.int(3), type: ObjectType(rawValue: r.text(4)) ?? .normal,
                                         acl: .default, headers: [], blob: "")
                    page.objects.append(o)
                    page.nextMarker = o.key
                    count += 1
                    return true
                }
                if truncated {
                    page.isTruncated = true
                    break scan
                }
                if let restartAt {
                    if let upper, !restartAt.lexicographicallyPrecedes(upper) { break scan }
                    lower = restartAt
                    continue scan
                }
                // Fewer rows than asked for: the range is exhausted (a full batch always ends truncated).
                break scan
            }
            if !page.isTruncated { page.nextMarker = nil }
            return page
        }
    }

    /// The smallest byte string greater than every string that starts with `s`; nil if there is none.
    static func successor(_ s: [UInt8]) -> [UInt8]? {
        var s = s
        while let last = s.last {
            if last < 0xff {
                s[s.count - 1] = last + 1
                return s
            }
            s.removeLast()
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in hay: [UInt8], from start: Int) -> Int? {
        guard hay.count >= start + needle.count else { return nil }
        var i = start
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i + needle.count }
            i += 1
        }
        return nil
    }

    // MARK: Multipart uploads

    func createUpload(_ u: UploadRecord) throws(OSSError) {
        try writer.write { c throws(OSSError) in
            try requireBucket(c, u.bucket)
            try c.run("INSERT INTO uploads(upload_id, bucket, key, initiated, acl, headers) VALUES (?, ?, ?, ?, ?, ?)",
                      [.text(u.uploadId), .text(u.bucket), .blob(Array(u.key.utf8)), .int(u.initiated),
                       .text(u.acl.rawValue), .text(StoredHeader.encode(u.headers))])
        }
    }

    private static func upload(_ r: SQLRow) -> UploadRecord {
        UploadRecord(uploadId: r.text(0), bucket: r.text(1), key: r.blobString(2), initiated: r.int(3),
                     acl: CannedACL(rawValue: r.text(4)) ?? .default, headers: StoredHeader.decode(r.text(5)))
    }

    private func upload(_ c: SQLiteConnection, _ id: String, bucket: String, key: String) throws(OSSError) -> UploadRecord {
        var found: UploadRecord?
        try c.run("SELECT upload_id, bucket, key, initiated, acl, headers FROM uploads WHERE upload_id = ?",
                  [.text(id)]) { r in
            found = Self.upload(r)
            return false
        }
        guard let found, found.bucket == bucket, found.key == key else { throw OSSError.noSuchUpload(id) }
        return found
    }

    func upload(_ id: String, bucket: String, key: String) throws(OSSError) -> UploadRecord {
        try pool.with { c throws(OSSError) in try upload(c, id, bucket: bucket, key: key) }
    }

    /// Records a part (replacing an earlier one with the same number), after fsyncing `syncing` (the directories
    /// its blob was renamed into); returns the replaced part's blob.
    func putPart(uploadId: String, bucket: String, key: String, _ p: PartRecord, syncing: [String] = [])
        throws(OSSError) -> String?
    {
        try writer.write(syncing: syncing) { c throws(OSSError) -> String? in
            _ = try upload(c, uploadId, bucket: bucket, key: key)
            var old: String?
            try c.run("SELECT blob FROM parts WHERE upload_id = ? AND part_number = ?",
                      [.text(uploadId), .int(Int64(p.partNumber))]) { r in
                old = r.text(0)
                return false
            }
            try c.run("INSERT OR REPLACE INTO parts(upload_id, part_number, size, etag, crc64, modified, blob) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      [.text(uploadId), .int(Int64(p.partNumber)), .int(p.size), .text(p.etag),
                       .int(Int64(bitPattern: p.crc64)), .int(p.modified), .text(p.blob)])
            return old
        }
    }

    private static func part(_ r: SQLRow) -> PartRecord {
        PartRecord(partNumber: Int(r.int(0)), size: r.int(1), etag: r.text(2), crc64: UInt64(bitPattern: r.int(3)),
                   modified: r.int(4), blob: r.text(5))
    }

    /// Parts after `marker` in number order, at most `limit`.
    func parts(uploadId: String, after marker: Int, limit: Int) throws(OSSError) -> [PartRecord] {
        try pool.with { c throws(OSSError) in
            var out: [PartRecord] = []
            try c.run("SELECT part_number, size, etag, crc64, modified, blob FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
                      [.text(uploadId), .int(Int64(marker)), .int(Int64(limit))]) { r in
                out.append(Self.part(r))
                return true
            }
            return out
        }
    }

    /// Ends an upload: removes its rows (and, when `object` is given, commits that object in the same
    /// transaction, after fsyncing `syncing`). Returns the blob files left unreferenced: the parts', and the
    /// replaced object's.
    func finishUpload(_ id: String, bucket: String, key: String, object: ObjectRecord?, syncing: [String] = [],
                      check: (ObjectRecord?) throws(OSSError) -> Void = { _ in }) throws(OSSError) -> [String]
    {
        try writer.write(syncing: syncing) { c throws(OSSError) -> [String] in
            _ = try upload(c, id, bucket: bucket, key: key)
            var unreferenced: [String] = []
            try c.run("SELECT blob FROM parts WHERE upload_id = ?", [.text(id)]) { r in
                unreferenced.append(r.text(0))
                return true
            }
            if let object {
                try requireBucket(c, bucket)
                let replaced = try self.object(c, bucket, key)
                try check(replaced)
                if let file = try replace(c, bucket, object, old: replaced) { unreferenced.append(file) }
            }
            try c.run("DELETE FROM parts WHERE upload_id = ?", [.text(id)])
            try c.run("DELETE FROM uploads WHERE upload_id = ?", [.text(id)])
            return unreferenced
        }
    }

    /// Uploads of a bucket in (key, upload id) order after the markers, with `prefix`; at most `limit`.
    func listUploads(bucket: String, prefix: String, keyMarker: String, uploadIdMarker: String, limit: Int)
        throws(OSSError) -> [UploadRecord]
    {
        try pool.with { c throws(OSSError) in
            var out: [UploadRecord] = []
            let markerBytes = Array(keyMarker.utf8)
            var args: [SQLValue] = [.text(bucket), .blob(Array(prefix.utf8))]
            var sql = "SELECT upload_id, bucket, key, initiated, acl, headers FROM uploads WHERE bucket = ? AND key >= ?"
            if !keyMarker.isEmpty && uploadIdMarker.isEmpty {
                sql += " AND key > ?"
                args.append(.blob(markerBytes))
            } else if !keyMarker.isEmpty {
                sql += " AND (key > ? OR (key = ? AND upload_id > ?))"
                args += [.blob(markerBytes), .blob(markerBytes), .text(uploadIdMarker)]
            }
            if let upper = Self.successor(Array(prefix.utf8)) {
                sql += " AND key < ?"
                args.append(.blob(upper))
            }
            sql += " ORDER BY key, upload_id LIMIT ?"
            args.append(.int(Int64(limit)))
            try c.run(sql, args) { r in
                out.append(Self.upload(r))
                return true
            }
            return out
        }
    }
}

import LanyardHTTP
import Foundation
import LanyardCrypto

/// Object reads and writes.
extension ObjectService {
    /// Response headers describing an object.
    func objectHeaders(_ o: ObjectRecord) -> HTTPHeaders {
        var h = HTTPHeaders()
        h.add(name: "ETag", value: o.quotedETag)
        h.add(name: "Last-Modified", value: HTTPTime.rfc1123(o.modified))
        h.add(name: "x-oss-object-type", value: o.type.rawValue)
        h.add(name: "x-oss-storage-class", value: "Standard")
        h.add(name: "x-oss-hash-crc64ecma", value: String(o.crc64))
        h.add(name: "Accept-Ranges", value: "bytes")
        if o.type == .appendable { h.add(name: "x-oss-next-append-position", value: String(o.size)) }
        var hasType = false
        for stored in o.headers {
            if stored.name == "content-type" { hasType = true }
            h.add(name: Self.headerCase(stored.name), value: stored.value)
        }
        if !hasType { h.add(name: "Content-Type", value: "application/octet-stream") }
        return h
    }

    /// `content-type` → `Content-Type`; `x-oss-meta-*` stays lower-case.
    private static func headerCase(_ name: String) -> String {
        if name.hasPrefix("x-oss-") { return name }
        return name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
    }

    private func writeHeaders(etag: String, crc: UInt64, md5: [UInt8]? = nil) -> HTTPHeaders {
        var h = HTTPHeaders()
        h.add(name: "ETag", value: "\"\(etag)\"")
        h.add(name: "x-oss-hash-crc64ecma", value: String(crc))
        if let md5 { h.add(name: "Content-MD5", value: md5.base64String) }
        return h
    }

    /// The ACL an uploaded object gets from `x-oss-object-acl`.
    private func objectACL(_ r: Request) throws(OSSError) -> CannedACL {
        try r.head.headers["x-oss-object-acl"].map { text throws(OSSError) in try CannedACL.object(text) } ?? .default
    }

    private func forbidOverwrite(_ r: Request) -> Bool {
        r.head.headers["x-oss-forbid-overwrite"]?.lowercased() == "true"
    }

    private static let fileAlreadyExists = OSSError(
        status: 409, code: "FileAlreadyExists", message: "The object you specified already exists and can not be overwritten.")

    /// Bodies of at most this many bytes (as declared by Content-Length) are kept in memory and written with
    /// the other small bodies of their commit batch into one pack file (see `GroupCommit`): one file, fsync and
    /// rename for the batch instead of one per object.
    static let packLimit: Int64 = 64 * 1024

    /// PutObject: streams the body (MD5 and CRC-64 on the fly) to a temporary file, or for a small body into
    /// memory and then into the commit batch's pack file; checks Content-MD5; fsyncs the file, renames it,
    /// fsyncs its directory and commits the row (with concurrent uploads, see `GroupCommit`); only then
    /// answers 200.
    func putObject(_ r: Request) throws(OSSError) -> HTTPBodyDisposition {
        let bucket = try requireBucket(r.bucket)
        try authorizeObject(r, bucket, key: r.key)
        let acl = try objectACL(r)
        let expectedMD5 = try Self.contentMD5(r.head.headers)
        let declared = try contentLength(r)
        let forbid = forbidOverwrite(r)
        if forbid, try metadata.object(bucket: r.bucket, key: r.key) != nil { throw Self.fileAlreadyExists }
        let headers = StoredHeader.from(r.head.headers)
        let blobs = self.blobs
        // Commits the row for a body in `blob` (empty when packed) and answers.
        let commit = { [self] (writer: BlobWriter, md5: [UInt8], blob: String, packing: [UInt8]?)
            throws(OSSError) -> HTTPResponse in
            let etag = md5.hexString.uppercased()
            let record = ObjectRecord(key: r.key, size: writer.count, etag: etag, crc64: writer.crc.value,
                                      modified: HTTPTime.now(), type: .normal, acl: acl, headers: headers, blob: blob)
            let unreferenced = try metadata.putObject(
                bucket: r.bucket, record, packing: packing, syncing: blob.isEmpty ? [] : [blobs.directory(of: blob)]
            ) { existing throws(OSSError) in
                if forbid, existing != nil { throw Self.fileAlreadyExists }
            }
            if let unreferenced { blobs.remove(unreferenced) }
            return ok(r, headers: writeHeaders(etag: etag, crc: record.crc64, md5: md5))
        }
        if let declared, declared <= Self.packLimit {
            return .stream(UploadSink(
                writer: BlobWriter(inMemory: Int(declared)), expectedMD5: expectedMD5, limit: declared,
                fail: failure(r), discard: {}
            ) { writer, md5 throws(OSSError) in
                try commit(writer, md5, "", writer.body)
            })
        }
        let name = BlobStore.newName()
        let writer = try BlobWriter(path: blobs.temporaryPath(name))
        return .stream(UploadSink(
            writer: writer, expectedMD5: expectedMD5, limit: configuration.maxObjectSize, fail: failure(r),
            discard: { blobs.discardTemporary(name) }
        ) { writer, md5 throws(OSSError) in
            try blobs.publish(name)
            do throws(OSSError) {
                return try commit(writer, md5, name, nil)
            } catch {
                blobs.remove(name)
                throw error
            }
        })
    }

    /// GetObject, HeadObject, GetObjectMeta: conditional headers, one Range, `response-*` overrides, and the
    /// body served straight from its file.
    func getObject(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        guard let o = try metadata.object(bucket: r.bucket, key: r.key) else {
            try authorizeObject(r, bucket, key: r.key)
            throw OSSError.noSuchKey(r.key)
        }
        try authorize(r, bucket: bucket.name, key: r.key, access: .read) { () throws(OSSError) in
            o.acl == .default ? bucket.acl : o.acl
        }
        let h = r.head.headers
        let conditions = Preconditions(ifMatch: h["If-Match"], ifNoneMatch: h["If-None-Match"],
                                       ifModifiedSince: h["If-Modified-Since"], ifUnmodifiedSince: h["If-Unmodified-Since"])
        switch conditions.evaluate(etag: o.etag, modifiedSeconds: o.modified) {
        case .proceed: break
        case .notModified:
            var headers = HTTPHeaders()
            headers.add(name: "ETag", value: o.quotedETag)
            headers.add(name: "Last-Modified", value: HTTPTime.rfc1123(o.modified))
            return ok(r, status: 304, headers: headers)
        case .failed:
            throw OSSError(status: 412, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold.")
        }
        if r.operation == .getObjectMeta {
            var headers = HTTPHeaders()
            headers.add(name: "ETag", value: o.quotedETag)
            headers.add(name: "Last-Modified", value: HTTPTime.rfc1123(o.modified))
            headers.add(name: "x-oss-hash-crc64ecma", value: String(o.crc64))
            if r.isHead { headers.add(name: "Content-Length", value: String(o.size)) }
            return ok(r, headers: headers, body: .empty)
        }
        var headers = objectHeaders(o)
        if r.operation == .getObject {
            for (parameter, header) in Self.overrides {
                if let value = r.target.nonEmpty(parameter) { headers.replaceOrAdd(name: header, value: value) }
            }
        }
        let range: ByteRange?
        if h["x-oss-range-behavior"]?.trimmingSpaces.lowercased() == "standard" {
            switch ByteRange.standard(h["Range"], size: o.size) {
            case .whole: range = nil
            case .range(let satisfiable): range = satisfiable
            case .unsatisfiable:
                throw OSSError(status: 416, code: "InvalidRange", message: "The requested range cannot be satisfied.",
                               extra: [.init("RangeRequested", h["Range"] ?? ""), .init("ActualObjectSize", String(o.size))],
                               headers: [.init("Content-Range", "bytes */\(o.size)")])
            }
        } else {
            range = ByteRange.parse(h["Range"], size: o.size)
        }
        if let range {
            headers.add(name: "Content-Range", value: range.contentRange(size: o.size))
            return ok(r, status: 206, headers: headers, body: body(o, offset: range.first, length: range.length))
        }
        return ok(r, headers: headers, body: body(o, offset: 0, length: o.size))
    }

    private static let overrides = [
        ("response-content-type", "Content-Type"), ("response-content-language", "Content-Language"),
        ("response-expires", "Expires"), ("response-cache-control", "Cache-Control"),
        ("response-content-disposition", "Content-Disposition"), ("response-content-encoding", "Content-Encoding"),
    ]

    private func body(_ o: ObjectRecord, offset: Int64, length: Int64) -> HTTPResponseBody {
        guard length > 0 else { return .empty }
        let location = BlobStore.location(o.blob)
        return .file(path: blobs.path(location.file), offset: location.offset + offset, length: length)
    }

    /// A response with a body; for HEAD the body is dropped and its length declared instead (no file is opened).
    func ok(_ r: Request, status: Int = 200, headers: HTTPHeaders, body: HTTPResponseBody) -> HTTPResponse {
        var headers = headers, body = body
        if r.isHead, case .file(_, _, let length) = body {
            headers.replaceOrAdd(name: "Content-Length", value: String(length))
            body = .empty
        }
        return decorate(HTTPResponse(status: status, headers: headers, body: body), requestId: r.requestId)
    }

    /// DeleteObject: 204 whether or not the object existed.
    func deleteObject(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeObject(r, bucket, key: r.key)
        if let file = try metadata.deleteObject(bucket: r.bucket, key: r.key).unreferenced { blobs.remove(file) }
        return ok(r, status: 204)
    }

    func putObjectAcl(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeObject(r, bucket, key: r.key)
        guard let text = r.head.headers["x-oss-object-acl"] else {
            throw OSSError.invalidArgument("The x-oss-object-acl header is required.", name: "x-oss-object-acl", value: "")
        }
        guard try metadata.setObjectACL(bucket: r.bucket, key: r.key, acl: try CannedACL.object(text)) else {
            throw OSSError.noSuchKey(r.key)
        }
        return ok(r)
    }

    func getObjectAcl(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeObject(r, bucket, key: r.key)
        guard let o = try metadata.object(bucket: r.bucket, key: r.key) else { throw OSSError.noSuchKey(r.key) }
        return ok(r, xml: ResponseXML.accessControlPolicy(ownerId: bucket.owner, grant: o.acl))
    }

    /// Parses `x-oss-copy-source: /bucket/<url-encoded key>` (Go 1.5 encodes a space as `+`).
    static func copySource(_ header: String) throws(OSSError) -> (bucket: String, key: String) {
        var text = Substring(header)
        if let q = text.firstIndex(of: "?") {
            throw OSSError.notImplemented("Copying a version (\(text[q...])) is not supported.")
        }
        if text.first == "/" { text = text.dropFirst() }
        guard let slash = text.firstIndex(of: "/"),
              let bucket = Percent.decode(text[..<slash], plusAsSpace: false),
              let key = Percent.decode(text[text.index(after: slash)...], plusAsSpace: true), !key.isEmpty else {
            throw OSSError.invalidArgument("Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.",
                                           name: "x-oss-copy-source", value: header)
        }
        return (bucket, key)
    }

    /// CopyObject: `oss:GetObject` on the source and `oss:PutObject` on the destination; COPY or REPLACE
    /// metadata. Immutable bodies are hard-linked; appendable ones (which grow in place) are copied.
    func copyObject(_ r: Request) throws(OSSError) -> HTTPResponse {
        let h = r.head.headers
        let source = try Self.copySource(h["x-oss-copy-source"] ?? "")
        try OSSNames.validateKey(source.key)
        let destinationBucket = try requireBucket(r.bucket)
        let sourceBucket = source.bucket == r.bucket ? destinationBucket : try requireBucket(source.bucket)
        try authorizeObject(r, destinationBucket, key: r.key, action: "oss:PutObject", access: .write)
        guard let src = try metadata.object(bucket: source.bucket, key: source.key) else {
            try authorizeObject(r, sourceBucket, key: source.key, action: "oss:GetObject", access: .read)
            throw OSSError.noSuchKey(source.key)
        }
        try authorize(r, action: "oss:GetObject", bucket: sourceBucket.name, key: source.key, access: .read)
        { () throws(OSSError) in src.acl == .default ? sourceBucket.acl : src.acl }
        let conditions = Preconditions(
            ifMatch: h["x-oss-copy-source-if-match"], ifNoneMatch: h["x-oss-copy-source-if-none-match"],
            ifModifiedSince: h["x-oss-copy-source-if-modified-since"],
            ifUnmodifiedSince: h["x-oss-copy-source-if-unmodified-since"])
        guard conditions.evaluate(etag: src.etag, modifiedSeconds: src.modified, copySource: true) == .proceed else {
            throw OSSError(status: 412, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold.")
        }
        let directive = h["x-oss-metadata-directive"]?.uppercased() ?? "COPY"
        guard directive == "COPY" || directive == "REPLACE" else {
            throw OSSError.invalidArgument("Invalid x-oss-metadata-directive.", name: "x-oss-metadata-directive",
                                           value: directive)
        }
        let forbid = forbidOverwrite(r)
        let headers = directive == "REPLACE" ? StoredHeader.from(h) : src.headers
        let acl = try objectACL(r)
        let now = HTTPTime.now()
        let sameObject = source.bucket == r.bucket && source.key == r.key
        var record = ObjectRecord(key: r.key, size: src.size, etag: src.etag, crc64: src.crc64, modified: now,
                                  type: src.type == .appendable ? .normal : src.type, acl: acl, headers: headers,
                                  blob: src.blob)
        if sameObject && src.type != .appendable {
            // Metadata update in place (Go's SetObjectMeta): the body and its file stay.
            _ = try metadata.putObject(bucket: r.bucket, record) { existing throws(OSSError) in
                if forbid { throw Self.fileAlreadyExists }
                guard existing?.blob == src.blob else { throw OSSError.noSuchKey(source.key) }
            }
        } else {
            if forbid, try metadata.object(bucket: r.bucket, key: r.key) != nil { throw Self.fileAlreadyExists }
            let name = BlobStore.newName()
            if src.type == .appendable {
                try copyBytes(of: src, into: name)
                record.blob = name
            } else {
                // A body inside a pack is linked with its pack and keeps its offset.
                let location = BlobStore.location(src.blob)
                try blobs.link(location.file, as: name)
                record.blob = BlobStore.reference(file: name, offset: location.offset)
            }
            let unreferenced: String?
            do throws(OSSError) {
                unreferenced = try metadata.putObject(bucket: r.bucket, record, syncing: [blobs.directory(of: name)]) {
                    existing throws(OSSError) in
                    if forbid, existing != nil { throw Self.fileAlreadyExists }
                }
            } catch {
                blobs.remove(name)
                throw error
            }
            if let unreferenced { blobs.remove(unreferenced) }
        }
        var response = writeHeaders(etag: record.etag, crc: record.crc64)
        response.add(name: "x-oss-copy-source-version-id", value: "null")
        return ok(r, headers: response, xml: ResponseXML.copyResult(etag: record.quotedETag, modified: now))
    }

    /// Copies the first `size` bytes of an object's file into a new published blob.
    private func copyBytes(of o: ObjectRecord, into name: String) throws(OSSError) {
        let temporary = blobs.temporaryPath(name)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OSSError.internalError("cannot create \(temporary)") }
        do throws(OSSError) {
            let location = BlobStore.location(o.blob)
            try copyFileBytes(from: blobs.path(location.file), offset: location.offset, length: o.size, to: fd)
            guard fsync(fd) == 0 else { throw OSSError.internalError("fsync failed") }
            close(fd)
            try blobs.publish(name)
        } catch {
            close(fd)
            blobs.discardTemporary(name)
            throw error
        }
    }

    /// AppendObject: `position` must equal the current length; the body is written in place past the committed
    /// length and becomes visible when the new length is committed (a failed append leaves bytes past the
    /// committed length that the next append overwrites).
    func appendObject(_ r: Request) throws(OSSError) -> HTTPBodyDisposition {
        let bucket = try requireBucket(r.bucket)
        try authorizeObject(r, bucket, key: r.key)
        guard let positionText = r.target.nonEmpty("position"), let position = Int64(positionText), position >= 0 else {
            throw OSSError.invalidArgument("Argument position is required and must be a non-negative integer.",
                                           name: "position", value: r.target.value("position") ?? "")
        }
        let expectedMD5 = try Self.contentMD5(r.head.headers)
        _ = try contentLength(r)
        let lockKey = r.bucket + "/" + r.key
        let existing = try metadata.object(bucket: r.bucket, key: r.key)
        if let existing, existing.type != .appendable {
            throw OSSError(status: 409, code: "ObjectNotAppendable", message: "The object is not appendable.")
        }
        let length = existing?.size ?? 0
        let mismatch = OSSError(status: 409, code: "PositionNotEqualToLength",
                                message: "Position is not equal to file length.",
                                headers: [.init("x-oss-next-append-position", String(length))])
        guard position == length else { throw mismatch }
        guard appending.withLock({ $0.insert(lockKey).inserted }) else { throw mismatch }
        let unlock: @Sendable () -> Void = { [self] in _ = appending.withLock { $0.remove(lockKey) } }
        let acl = existing == nil ? try objectACL(r) : existing!.acl
        let headers = existing?.headers ?? StoredHeader.from(r.head.headers)
        let isNew = existing == nil
        let name = existing?.blob ?? BlobStore.newName()
        let writer: BlobWriter
        do throws(OSSError) {
            writer = try BlobWriter(path: isNew ? blobs.temporaryPath(name) : blobs.path(name), offset: position)
        } catch {
            unlock()
            throw error
        }
        let blobs = self.blobs
        let previousCRC = existing?.crc64 ?? 0, previousETag = existing?.etag ?? ""
        return .stream(UploadSink(
            writer: writer, expectedMD5: expectedMD5, limit: configuration.maxObjectSize - position, fail: failure(r),
            discard: {
                if isNew { blobs.discardTemporary(name) }
                unlock()
            }
        ) { [self] writer, md5 throws(OSSError) in
            defer { unlock() }
            if isNew { try blobs.publish(name) }
            let crc = CRC64.combine(previousCRC, writer.crc.value, length2: UInt64(writer.count))
            // The ETag of an appendable object chains the previous ETag with the MD5 of each appended part.
            let etag = LanyardCrypto.Digest.hash(.md5, Array(previousETag.utf8) + md5).hexString.uppercased()
            let record = ObjectRecord(key: r.key, size: position + writer.count, etag: etag, crc64: crc,
                                      modified: HTTPTime.now(), type: .appendable, acl: acl, headers: headers, blob: name)
            do throws(OSSError) {
                _ = try metadata.putObject(bucket: r.bucket, record, syncing: isNew ? [blobs.directory(of: name)] : [])
                { current throws(OSSError) in
                    guard current?.blob == (isNew ? nil : name), (current?.size ?? 0) == position else { throw mismatch }
                }
            } catch {
                if isNew { blobs.remove(name) }
                throw error
            }
            var h = writeHeaders(etag: etag, crc: crc)
            h.add(name: "x-oss-next-append-position", value: String(record.size))
            return ok(r, headers: h)
        })
    }
}

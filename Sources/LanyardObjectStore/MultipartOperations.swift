import LanyardHTTP
import Foundation
import LanyardCrypto

/// Multipart uploads: parts are files of their own; Complete concatenates them (inside the kernel) into a
/// new object whose ETag is `MD5(part MD5s)-N` and whose CRC-64 is combined from the parts' CRCs.
extension ObjectService {
    /// Smallest size of every part but the last.
    static let minimumPartSize: Int64 = 100 << 10

    func initiateUpload(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeObject(r, bucket, key: r.key)
        let acl = try r.head.headers["x-oss-object-acl"].map { text throws(OSSError) in try CannedACL.object(text) } ?? .default
        if r.head.headers["x-oss-forbid-overwrite"]?.lowercased() == "true",
           try metadata.object(bucket: r.bucket, key: r.key) != nil {
            throw OSSError(status: 409, code: "FileAlreadyExists",
                           message: "The object you specified already exists and can not be overwritten.")
        }
        // Upper-case hex only: Go 1.5 puts the id unescaped into the signed resource.
        let upload = UploadRecord(uploadId: SecureRandom.bytes(16).hexString.uppercased(), bucket: r.bucket, key: r.key,
                                  initiated: r.now, acl: acl, headers: StoredHeader.from(r.head.headers))
        try metadata.createUpload(upload)
        return ok(r, xml: ResponseXML.initiate(bucket: r.bucket, key: r.key, uploadId: upload.uploadId,
                                              urlEncoded: r.urlEncoded))
    }

    private func uploadId(_ r: Request) throws(OSSError) -> String {
        guard let id = r.target.nonEmpty("uploadId") else {
            throw OSSError.invalidArgument("Argument uploadId is required.", name: "uploadId", value: "")
        }
        return id
    }

    func uploadPart(_ r: Request) throws(OSSError) -> HTTPBodyDisposition {
        let bucket = try requireBucket(r.bucket)
        try authorizeObject(r, bucket, key: r.key)
        let id = try uploadId(r)
        guard let numberText = r.target.nonEmpty("partNumber"), let number = Int(numberText), (1...10000).contains(number)
        else {
            throw OSSError.invalidArgument("Part number must be an integer between 1 and 10000, inclusive.",
                                           name: "partNumber", value: r.target.value("partNumber") ?? "")
        }
        _ = try metadata.upload(id, bucket: r.bucket, key: r.key)
        let expectedMD5 = try Self.contentMD5(r.head.headers)
        _ = try contentLength(r)
        let name = BlobStore.newName()
        let writer = try BlobWriter(path: blobs.temporaryPath(name))
        let blobs = self.blobs
        return .stream(UploadSink(
            writer: writer, expectedMD5: expectedMD5, limit: configuration.maxObjectSize, fail: failure(r),
            discard: { blobs.discardTemporary(name) }
        ) { [self] writer, md5 throws(OSSError) in
            try blobs.publish(name)
            let part = PartRecord(partNumber: number, size: writer.count, etag: md5.hexString.uppercased(),
                                  crc64: writer.crc.value, modified: HTTPTime.now(), blob: name)
            let replaced: String?
            do throws(OSSError) {
                replaced = try metadata.putPart(uploadId: id, bucket: r.bucket, key: r.key, part,
                                                syncing: [blobs.directory(of: name)])
            } catch {
                blobs.remove(name)
                throw error
            }
            if let replaced { blobs.remove(replaced) }
            var h = HTTPHeaders()
            h.add(name: "ETag", value: "\"\(part.etag)\"")
            h.add(name: "x-oss-hash-crc64ecma", value: String(part.crc64))
            h.add(name: "Content-MD5", value: md5.base64String)
            return ok(r, headers: h, body: .empty)
        })
    }

    /// Checks the requested parts against the uploaded ones: ascending numbers (`InvalidPartOrder`), each
    /// uploaded with that ETag (`InvalidPart`), all but the last at least 100 KiB (`EntityTooSmall`).
    static func selectParts(_ requested: [CompleteRequest.Part], uploaded: [Int: PartRecord]) throws(OSSError)
        -> [PartRecord]
    {
        var previous = 0
        var chosen: [PartRecord] = []
        for p in requested {
            guard p.partNumber > previous else {
                throw OSSError(status: 400, code: "InvalidPartOrder",
                               message: "The list of parts was not in ascending order. Parts must be ordered by part number.")
            }
            previous = p.partNumber
            guard let part = uploaded[p.partNumber], part.etag.caseInsensitiveCompare(p.etag) == .orderedSame else {
                throw OSSError(status: 400, code: "InvalidPart",
                               message: "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
                               extra: [.init("PartNumber", String(p.partNumber)), .init("ETag", p.etag)])
            }
            chosen.append(part)
        }
        for part in chosen.dropLast() where part.size < minimumPartSize {
            throw OSSError(status: 400, code: "EntityTooSmall",
                           message: "Your proposed upload is smaller than the minimum allowed size.",
                           extra: [.init("PartNumber", String(part.partNumber)),
                                   .init("MinSizeAllowed", String(minimumPartSize))])
        }
        return chosen
    }

    func completeUpload(_ r: Request) throws(OSSError) -> HTTPBodyDisposition {
        let bucket = try requireBucket(r.bucket)
        try authorizeObject(r, bucket, key: r.key)
        let id = try uploadId(r)
        let upload = try metadata.upload(id, bucket: r.bucket, key: r.key)
        return .collect(limit: 4 << 20) { [self] request in
            respond(r) { () throws(OSSError) in
                let parsed = try CompleteRequest.parse(request.body)
                var uploaded: [Int: PartRecord] = [:]
                var marker = 0
                while true {
                    let batch = try metadata.parts(uploadId: id, after: marker, limit: 1000)
                    for p in batch { uploaded[p.partNumber] = p }
                    guard batch.count == 1000, let last = batch.last else { break }
                    marker = last.partNumber
                }
                let parts = try Self.selectParts(parsed.parts, uploaded: uploaded)
                let name = BlobStore.newName()
                let (size, crc) = try concatenate(parts, into: name)
                var md5s: [UInt8] = []
                for p in parts { md5s += Self.bytes(hex: p.etag) }
                let etag = LanyardCrypto.Digest.hash(.md5, md5s).hexString.uppercased() + "-\(parts.count)"
                let record = ObjectRecord(key: r.key, size: size, etag: etag, crc64: crc, modified: HTTPTime.now(),
                                          type: .multipart, acl: upload.acl, headers: upload.headers, blob: name)
                let forbid = r.head.headers["x-oss-forbid-overwrite"]?.lowercased() == "true"
                let unreferenced: [String]
                do throws(OSSError) {
                    unreferenced = try metadata.finishUpload(id, bucket: r.bucket, key: r.key, object: record,
                                                         syncing: [blobs.directory(of: name)]) {
                        existing throws(OSSError) in
                        if forbid, existing != nil {
                            throw OSSError(status: 409, code: "FileAlreadyExists",
                                           message: "The object you specified already exists and can not be overwritten.")
                        }
                    }
                } catch {
                    blobs.remove(name)
                    throw error
                }
                for file in unreferenced { blobs.remove(file) }
                var h = HTTPHeaders()
                h.add(name: "ETag", value: record.quotedETag)
                h.add(name: "x-oss-hash-crc64ecma", value: String(crc))
                let location = "http://\(r.head.headers["Host"] ?? configuration.endpointHosts.first ?? "")/\(r.bucket)/\(r.key)"
                return ok(r, headers: h, xml: ResponseXML.complete(location: location, bucket: r.bucket, key: r.key,
                                                                   etag: record.quotedETag, urlEncoded: r.urlEncoded))
            }
        }
    }

    private static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case 48...57: v = c - 48
            case 65...70: v = c - 55
            case 97...102: v = c - 87
            default: continue
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out
    }

    /// Concatenates the parts' files into a new published blob; returns its size and combined CRC-64.
    private func concatenate(_ parts: [PartRecord], into name: String) throws(OSSError) -> (Int64, UInt64) {
        let temporary = blobs.temporaryPath(name)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OSSError.internalError("cannot create \(temporary)") }
        var size: Int64 = 0
        var crc: UInt64 = 0
        do throws(OSSError) {
            for p in parts {
                try copyFileBytes(from: blobs.path(p.blob), length: p.size, to: fd)
                crc = CRC64.combine(crc, p.crc64, length2: UInt64(p.size))
                size += p.size
            }
            guard fsync(fd) == 0 else { throw OSSError.internalError("fsync failed") }
            close(fd)
            try blobs.publish(name)
            return (size, crc)
        } catch {
            close(fd)
            blobs.discardTemporary(name)
            throw error
        }
    }

    func abortUpload(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeObject(r, bucket, key: r.key)
        let unreferenced = try metadata.finishUpload(try uploadId(r), bucket: r.bucket, key: r.key, object: nil)
        for file in unreferenced { blobs.remove(file) }
        return ok(r, status: 204)
    }

    func listParts(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeObject(r, bucket, key: r.key)
        let id = try uploadId(r)
        let upload = try metadata.upload(id, bucket: r.bucket, key: r.key)
        let max = try Self.maxKeys(r.target, name: "max-parts", defaultValue: 1000, limit: 1000)
        let markerText = r.target.nonEmpty("part-number-marker") ?? "0"
        guard let marker = Int(markerText), marker >= 0 else {
            throw OSSError.invalidArgument("Invalid part-number-marker.", name: "part-number-marker", value: markerText)
        }
        var parts = try metadata.parts(uploadId: id, after: marker, limit: max + 1)
        let truncated = parts.count > max
        if truncated { parts.removeLast() }
        return ok(r, xml: ResponseXML.listParts(bucket: r.bucket, upload: upload, marker: marker, maxParts: max,
                                                parts: parts, isTruncated: truncated, urlEncoded: r.urlEncoded))
    }
}

import AlibabaCloudSigning
import Foundation

extension OSSClient {
    /// The smallest part OSS accepts (all parts but the last).
    public static let minimumPartSize = 100 * 1024
    /// The most parts one upload may have.
    public static let maximumPartCount = 10_000

    /// Starts a multipart upload (InitiateMultipartUpload) and returns its upload ID.
    public func initiateMultipartUpload(
        bucket: String, key: String, contentType: String? = nil, metadata: [String: String] = [:]
    ) async throws -> String {
        var request = Request(method: "POST", bucket: bucket, key: key, query: [("uploads", nil)])
        request.headers = Self.writeHeaders(contentType: contentType, metadata: metadata)
        let response = try await send(request, body: .data(Data()))
        guard let uploadId = XMLTree.parse(response.body)?.value("UploadId"), !uploadId.isEmpty else {
            throw OSSError(
                code: OSSError.invalidResponse, message: "InitiateMultipartUpload: no UploadId",
                requestId: response.headers["x-oss-request-id"], status: response.status)
        }
        return uploadId
    }

    /// Uploads one part (UploadPart, numbers 1...10000) with a `Content-MD5` check.
    public func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, data: Data) async throws
        -> OSSUploadedPart
    {
        var request = Request(
            method: "PUT", bucket: bucket, key: key, query: [("partNumber", String(partNumber)), ("uploadId", uploadId)])
        request.headers = [("Content-Type", "application/octet-stream"), ("Content-MD5", Self.base64MD5(data))]
        let response = try await send(request, body: .data(data))
        guard let etag = response.headers["etag"] else {
            throw OSSError(
                code: OSSError.invalidResponse, message: "UploadPart \(partNumber): no ETag",
                requestId: response.headers["x-oss-request-id"], status: response.status)
        }
        return OSSUploadedPart(partNumber: partNumber, etag: etag)
    }

    /// Completes a multipart upload (CompleteMultipartUpload) from its parts, in any order.
    public func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [OSSUploadedPart])
        async throws -> OSSWriteResult
    {
        let body = Data(Self.completeDocument(parts: parts).utf8)
        var request = Request(method: "POST", bucket: bucket, key: key, query: [("uploadId", uploadId)])
        request.headers = [("Content-Type", "application/xml"), ("Content-MD5", Self.base64MD5(body))]
        let response = try await send(request, body: .data(body))
        return Self.writeResult(response, etag: response.headers["etag"] ?? XMLTree.parse(response.body)?.value("ETag"))
    }

    static func completeDocument(parts: [OSSUploadedPart]) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>"#
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\(XMLTree.escape(part.etag))</ETag></Part>"
        }
        return xml + "</CompleteMultipartUpload>"
    }

    /// Abandons a multipart upload (AbortMultipartUpload), discarding its parts.
    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) async throws {
        _ = try await send(Request(method: "DELETE", bucket: bucket, key: key, query: [("uploadId", uploadId)]))
    }

    /// Every multipart upload in progress whose key starts with `prefix` (ListMultipartUploads, following all
    /// pages), in key order.
    public func listMultipartUploads(bucket: String, prefix: String? = nil) async throws -> [OSSMultipartUpload] {
        var uploads: [OSSMultipartUpload] = []
        var markers: (key: String, uploadId: String)?
        while true {
            var query: [(name: String, value: String?)] = [("uploads", nil), ("encoding-type", "url"), ("max-uploads", "1000")]
            if let prefix { query.append(("prefix", prefix)) }
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.uploadId)] }
            let response = try await send(Request(method: "GET", bucket: bucket, key: nil, query: query))
            guard let xml = XMLTree.parse(response.body), xml.name == "ListMultipartUploadsResult" else {
                throw OSSError(
                    code: OSSError.invalidResponse, message: "ListMultipartUploads: unreadable result",
                    requestId: response.headers["x-oss-request-id"], status: response.status)
            }
            let encoded = xml.value("EncodingType") == "url"
            func decoded(_ text: String?) -> String {
                guard let text else { return "" }
                return encoded ? (PercentEncoding.decode(text) ?? text) : text
            }
            uploads += xml.children("Upload").map { item in
                OSSMultipartUpload(
                    key: decoded(item.value("Key")), uploadId: item.value("UploadId") ?? "",
                    initiated: item.value("Initiated").flatMap(parseXMLTimestamp))
            }
            let next = (key: decoded(xml.value("NextKeyMarker")), uploadId: xml.value("NextUploadIdMarker") ?? "")
            guard xml.value("IsTruncated") == "true", !next.key.isEmpty else { return uploads }
            markers = next
        }
    }

    /// Uploads a file, in parallel parts when it is larger than one part (otherwise with one PutObject).
    ///
    /// Parts are read from disk one at a time per worker, so memory use is about `partSize × concurrency`
    /// whatever the file size. When a part fails the parts still in flight are abandoned, the multipart upload is
    /// aborted (best effort, also when the caller is cancelled) and the error rethrown.
    /// - Parameters:
    ///   - partSize: bytes per part (raised to OSS's minimum of 100 KiB, and when the file would need over 10,000
    ///     parts); 0 or less is an ``OSSError/invalidArgument``.
    ///   - concurrency: parts in flight at once, at least 1.
    ///   - progress: called with the bytes uploaded so far, after each finished part (or once after a single
    ///     PutObject).
    public func uploadFile(
        bucket: String, key: String, file: URL, partSize: Int = 8 * 1024 * 1024, concurrency: Int = 4,
        contentType: String? = nil, metadata: [String: String] = [:],
        progress: (@Sendable (Int64) -> Void)? = nil
    ) async throws -> OSSWriteResult {
        guard partSize > 0, concurrency > 0 else {
            throw OSSError(
                code: OSSError.invalidArgument, message: "partSize \(partSize) and concurrency \(concurrency) must be positive",
                status: 0)
        }
        // A symbolic link is uploaded as its target: its size (and what URLSession sends) is the target's.
        let file = file.resolvingSymlinksInPath()
        let size: Int64
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw OSSError(code: OSSError.invalidArgument, message: "cannot read \(file.path): \(error)", status: 0)
        }
        let plan = Self.partPlan(size: size, partSize: partSize)
        if plan.count <= 1 {
            let result = try await putObject(
                bucket: bucket, key: key, file: file, contentType: contentType, metadata: metadata)
            progress?(size)
            return result
        }
        let uploadId = try await initiateMultipartUpload(
            bucket: bucket, key: key, contentType: contentType, metadata: metadata)
        do {
            let parts = try await withThrowingTaskGroup(of: OSSUploadedPart.self) { group in
                var pending = plan.makeIterator()
                var done: [OSSUploadedPart] = []
                var uploaded: Int64 = 0
                let lengths = Dictionary(uniqueKeysWithValues: plan.map { ($0.number, Int64($0.length)) })
                func addNext() {
                    guard let part = pending.next() else { return }
                    group.addTask { [self] in
                        let data = try Self.read(file: file, offset: part.offset, length: part.length)
                        return try await uploadPart(
                            bucket: bucket, key: key, uploadId: uploadId, partNumber: part.number, data: data)
                    }
                }
                for _ in 0..<concurrency { addNext() }
                while let finished = try await group.next() {
                    done.append(finished)
                    uploaded += lengths[finished.partNumber] ?? 0
                    progress?(uploaded)
                    addNext()
                }
                return done
            }
            return try await completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: parts)
        } catch {
            // Outside the (maybe cancelled) caller so a cancelled upload is aborted too; best effort, bounded.
            await Task { [self] in
                var request = Request(method: "DELETE", bucket: bucket, key: key, query: [("uploadId", uploadId)])
                request.timeout = Self.abortTimeout
                _ = try? await send(request)
            }.value
            throw error
        }
    }

    /// Seconds ``uploadFile(bucket:key:file:partSize:concurrency:contentType:metadata:progress:)`` waits for the
    /// AbortMultipartUpload it sends after a failure.
    static let abortTimeout: TimeInterval = 10

    /// One part of a planned upload.
    struct PlannedPart: Sendable, Hashable {
        var number: Int
        var offset: Int64
        var length: Int
    }

    /// Splits `size` bytes into parts of `partSize` (at least the OSS minimum, raised to stay within 10,000
    /// parts).
    static func partPlan(size: Int64, partSize: Int) -> [PlannedPart] {
        var part = Int64(max(partSize, minimumPartSize))
        let needed = (size + Int64(maximumPartCount) - 1) / Int64(maximumPartCount)
        if needed > part { part = needed }
        var plan: [PlannedPart] = []
        var offset: Int64 = 0
        while offset < size {
            let length = min(part, size - offset)
            plan.append(PlannedPart(number: plan.count + 1, offset: offset, length: Int(length)))
            offset += length
        }
        return plan
    }

    static func read(file: URL, offset: Int64, length: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let data = try handle.read(upToCount: length) ?? Data()
        guard data.count == length else {
            throw OSSError(
                code: OSSError.invalidArgument, message: "\(file.path) changed while uploading (short read)", status: 0)
        }
        return data
    }
}

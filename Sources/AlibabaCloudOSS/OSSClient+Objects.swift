import AlibabaCloudSigning
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension OSSClient {
    /// Headers shared by the write operations.
    static func writeHeaders(contentType: String?, metadata: [String: String]) -> [(name: String, value: String)] {
        // Always name a type: URLSession would otherwise add a form content type that the signature would miss.
        var headers: [(name: String, value: String)] = [("Content-Type", contentType ?? "application/octet-stream")]
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            headers.append(("x-oss-meta-" + name.lowercased(), value))
        }
        return headers
    }

    static func writeResult(_ response: Response, etag: String? = nil) -> OSSWriteResult {
        OSSWriteResult(
            etag: etag ?? response.headers["etag"] ?? "", crc64: response.headers["x-oss-hash-crc64ecma"],
            versionId: response.headers["x-oss-version-id"], requestId: response.headers["x-oss-request-id"])
    }

    /// Uploads `data` as the object `key` (PutObject), with a `Content-MD5` check.
    public func putObject(
        bucket: String, key: String, data: Data, contentType: String? = nil, metadata: [String: String] = [:]
    ) async throws -> OSSWriteResult {
        var request = Request(method: "PUT", bucket: bucket, key: key)
        request.headers = Self.writeHeaders(contentType: contentType, metadata: metadata)
        request.headers.append(("Content-MD5", Self.base64MD5(data)))
        return Self.writeResult(try await send(request, body: .data(data)))
    }

    /// Uploads a file as the object `key` (PutObject), streamed from disk. For files over a few hundred MB
    /// prefer ``uploadFile(bucket:key:file:partSize:concurrency:contentType:metadata:progress:)``.
    public func putObject(
        bucket: String, key: String, file: URL, contentType: String? = nil, metadata: [String: String] = [:]
    ) async throws -> OSSWriteResult {
        var request = Request(method: "PUT", bucket: bucket, key: key)
        request.headers = Self.writeHeaders(contentType: contentType, metadata: metadata)
        return Self.writeResult(try await send(request, body: .file(file.resolvingSymlinksInPath())))
    }

    /// Uploads everything `stream` yields as the object `key` (PutObject).
    ///
    /// The stream is first copied, in 64 KiB chunks, to a temporary file that is then uploaded and deleted:
    /// memory stays bounded and the request carries an exact `Content-Length` (URLSession would otherwise
    /// send a streamed body chunked).
    public func putObject(
        bucket: String, key: String, stream: InputStream, contentType: String? = nil, metadata: [String: String] = [:]
    ) async throws -> OSSWriteResult {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("oss-upload-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: spool) }
        try Self.copy(stream, to: spool)
        return try await putObject(bucket: bucket, key: key, file: spool, contentType: contentType, metadata: metadata)
    }

    static func copy(_ stream: InputStream, to file: URL) throws {
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
            let output = try? FileHandle(forWritingTo: file)
        else { throw OSSError(code: OSSError.invalidArgument, message: "cannot create \(file.path)", status: 0) }
        defer { try? output.close() }
        stream.open()
        defer { stream.close() }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = stream.read(&buffer, maxLength: buffer.count)
            if count == 0 { break }
            guard count > 0 else {
                throw OSSError(
                    code: OSSError.invalidArgument,
                    message: "reading the upload stream failed: \(stream.streamError.map { "\($0)" } ?? "unknown error")",
                    status: 0)
            }
            try output.write(contentsOf: buffer[0..<count])
        }
    }

    /// Downloads the object (or a range of it; see ``OSSByteRange``) into memory; for large objects use
    /// ``getObject(bucket:key:to:range:)``.
    public func getObject(bucket: String, key: String, range: OSSByteRange? = nil) async throws -> Data {
        var request = Request(method: "GET", bucket: bucket, key: key)
        if let range { request.headers += try range.headers() }
        return try await send(request).body
    }

    /// Downloads the object (or a range of it) into `destination`, streamed to disk; an existing file is
    /// replaced (a directory there is refused). Returns the response metadata.
    @discardableResult
    public func getObject(bucket: String, key: String, to destination: URL, range: OSSByteRange? = nil) async throws
        -> OSSObjectMetadata
    {
        var isDirectory: ObjCBool = false
        let folder = destination.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OSSError(code: OSSError.invalidArgument, message: "cannot write \(destination.path): no directory \(folder)", status: 0)
        }
        // Only a file is replaced: removing a directory there would remove everything in it.
        if FileManager.default.fileExists(atPath: destination.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw OSSError(code: OSSError.invalidArgument, message: "cannot write \(destination.path): it is a directory", status: 0)
        }
        var request = Request(method: "GET", bucket: bucket, key: key)
        if let range { request.headers += try range.headers() }
        let (temporary, response) = try await download(request)
        do {
            if FileManager.default.fileExists(atPath: destination.path) {
                try FileManager.default.removeItem(at: destination)
            }
            try FileManager.default.moveItem(at: temporary, to: destination)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw OSSError(
                code: OSSError.invalidArgument, message: "cannot write \(destination.path): \(error)",
                status: response.status)
        }
        return OSSObjectMetadata(headers: response.headers)
    }

    /// The object's metadata (HeadObject). A missing object throws ``OSSError`` with code `NoSuchKey`.
    public func headObject(bucket: String, key: String) async throws -> OSSObjectMetadata {
        OSSObjectMetadata(headers: try await send(Request(method: "HEAD", bucket: bucket, key: key)).headers)
    }

    /// Deletes the object (DeleteObject); deleting a missing object succeeds.
    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await send(Request(method: "DELETE", bucket: bucket, key: key))
    }

    /// Deletes many objects (DeleteMultipleObjects, in batches of 1,000) and returns the keys OSS reports
    /// deleted. Keys that an XML request cannot carry (NUL and other control characters) are deleted one at
    /// a time with DeleteObject.
    @discardableResult
    public func deleteObjects(bucket: String, keys: [String]) async throws -> [String] {
        if keys.contains("") {
            throw OSSError(code: OSSError.invalidArgument, message: "an object key must not be empty; nothing was deleted", status: 0)
        }
        var deleted: [String] = []
        var batched: [String] = []
        for key in keys {
            guard XMLTree.canCarry(key) else {
                try await deleteObject(bucket: bucket, key: key)
                deleted.append(key)
                continue
            }
            batched.append(key)
        }
        let keys = batched
        var start = 0
        while start < keys.count {
            let batch = keys[start..<min(start + 1000, keys.count)]
            start += batch.count
            let body = Data(Self.deleteDocument(keys: batch).utf8)
            var request = Request(
                method: "POST", bucket: bucket, key: nil, query: [("delete", nil), ("encoding-type", "url")])
            request.headers = [("Content-Type", "application/xml"), ("Content-MD5", Self.base64MD5(body))]
            let response = try await send(request, body: .data(body))
            guard !response.body.isEmpty else { continue }
            guard let xml = XMLTree.parse(response.body), xml.name == "DeleteResult" else {
                throw OSSError(
                    code: OSSError.invalidResponse, message: "DeleteMultipleObjects: unreadable result",
                    requestId: response.headers["x-oss-request-id"], status: response.status)
            }
            let encoded = xml.value("EncodingType") == "url"
            deleted += xml.children("Deleted").compactMap { $0.value("Key") }.map {
                encoded ? (PercentEncoding.decode($0) ?? $0) : $0
            }
        }
        return deleted
    }

    static func deleteDocument(keys: some Sequence<String>) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>"#
        for key in keys { xml += "<Object><Key>\(XMLTree.escape(key))</Key></Object>" }
        return xml + "</Delete>"
    }

    /// Copies an object (CopyObject) within or across buckets of the same region. With
    /// `replaceMetadata`, the copy gets `contentType` and `metadata` instead of the source's.
    public func copyObject(
        sourceBucket: String, sourceKey: String, bucket: String, key: String, replaceMetadata: Bool = false,
        contentType: String? = nil, metadata: [String: String] = [:]
    ) async throws -> OSSWriteResult {
        try Self.check(Request(method: "GET", bucket: sourceBucket, key: sourceKey))
        var request = Request(method: "PUT", bucket: bucket, key: key)
        request.headers = Self.writeHeaders(contentType: contentType, metadata: replaceMetadata ? metadata : [:])
        request.headers.append(
            ("x-oss-copy-source", "/\(sourceBucket)/" + PercentEncoding.rfc3986(sourceKey, keepingSlash: true)))
        if replaceMetadata { request.headers.append(("x-oss-metadata-directive", "REPLACE")) }
        let response = try await send(request)
        return Self.writeResult(response, etag: response.headers["etag"] ?? XMLTree.parse(response.body)?.value("ETag"))
    }

    /// A presigned URL that lets anyone holding it perform `method` on the object until it expires.
    /// - Parameters:
    ///   - expiresIn: validity in seconds (V4 allows at most 7 days).
    ///   - query: extra query parameters to sign, e.g. `response-content-disposition`.
    public func presignedURL(
        method: String = "GET", bucket: String, key: String, expiresIn: Int = 900, query: [String: String] = [:]
    ) async throws -> URL {
        guard expiresIn > 0, signatureVersion == .v1 || expiresIn <= 7 * 24 * 3600 else {
            throw OSSError(code: OSSError.invalidArgument, message: "expiresIn \(expiresIn) is out of range", status: 0)
        }
        let request = Request(
            method: method, bucket: bucket, key: key,
            query: query.sorted { $0.key < $1.key }.map { ($0.key, Optional($0.value)) })
        try Self.check(request)
        let credentials = try await credentialsProvider.credentials()
        return presignedURL(request, credentials: credentials, date: now(), expiresIn: expiresIn)
    }
}

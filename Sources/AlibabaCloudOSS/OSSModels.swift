import AlibabaCloudSigning
import Foundation

/// An error answered by OSS (or detected by the client before sending).
public struct OSSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The OSS error code, e.g. `NoSuchKey`, `AccessDenied`, `SignatureDoesNotMatch`; client-side problems use
    /// ``invalidArgument``, ``invalidResponse`` or ``requestFailed``.
    public let code: String
    /// The OSS message.
    public let message: String
    /// The request ID (body `RequestId`, else the `x-oss-request-id` header).
    public let requestId: String?
    /// The host the request went to, as OSS reports it.
    public let hostId: String?
    /// The HTTP status (0 when no response arrived).
    public let status: Int
    /// OSS's detailed error code (`EC`, e.g. `0002-00000040`), when sent.
    public let ec: String?

    /// Creates an error.
    public init(
        code: String, message: String, requestId: String? = nil, hostId: String? = nil, status: Int, ec: String? = nil
    ) {
        self.code = code
        self.message = message
        self.requestId = requestId
        self.hostId = hostId
        self.status = status
        self.ec = ec
    }

    /// `code (status): message [RequestId]`.
    public var description: String {
        "\(code) (\(status)): \(message)" + (requestId.map { " [RequestId \($0)]" } ?? "")
    }

    /// A caller-supplied value was unusable.
    public static let invalidArgument = "InvalidArgument"
    /// OSS answered with a body the client cannot read.
    public static let invalidResponse = "InvalidResponse"
    /// The request could not be sent or no response arrived.
    public static let requestFailed = "RequestFailed"

    /// Builds the error for a failed response: from the XML body, or for HEAD from the base64 `x-oss-err`
    /// header, falling back to the status.
    static func from(status: Int, headers: [String: String], body: Data) -> OSSError {
        var xml = XMLTree.parse(body)
        if xml?.name != "Error", let encoded = headers["x-oss-err"], let decoded = Data(base64Encoded: encoded) {
            xml = XMLTree.parse(decoded)
        }
        let requestId = xml?.value("RequestId").flatMap { $0.isEmpty ? nil : $0 } ?? headers["x-oss-request-id"]
        guard let xml, xml.name == "Error", let code = xml.value("Code") else {
            let code =
                switch status {
                case 404: "NotFound"
                case 403: "AccessDenied"
                case 304: "NotModified"
                case 412: "PreconditionFailed"
                default: "HTTP\(status)"
                }
            return OSSError(
                code: code, message: "OSS answered \(status) without an error document", requestId: requestId,
                status: status, ec: headers["x-oss-ec"])
        }
        return OSSError(
            code: code, message: xml.value("Message") ?? "", requestId: requestId, hostId: xml.value("HostId"),
            status: status, ec: xml.value("EC") ?? headers["x-oss-ec"])
    }
}

/// One object in a listing.
public struct OSSObjectSummary: Sendable, Hashable {
    /// The object key (decoded).
    public var key: String
    /// Size in bytes.
    public var size: Int64
    /// The ETag as sent (with quotes).
    public var etag: String
    /// Last modification time.
    public var lastModified: Date?
    /// `Normal`, `Multipart` or `Appendable`.
    public var type: String?
    /// `Standard`, `IA`, `Archive`, ...
    public var storageClass: String?
    /// The owner's ID, when the listing includes owners.
    public var ownerId: String?
}

/// One page of a listing (ListObjects or ListObjectsV2).
public struct OSSListPage: Sendable, Hashable {
    /// The bucket listed.
    public var bucket: String
    /// The prefix asked for.
    public var prefix: String
    /// The delimiter asked for, if any.
    public var delimiter: String?
    /// Objects of this page.
    public var objects: [OSSObjectSummary]
    /// Grouped key prefixes (when a delimiter was given).
    public var commonPrefixes: [String]
    /// Whether more pages follow.
    public var isTruncated: Bool
    /// Where the next page starts: `NextMarker` (v1) or `NextContinuationToken` (v2); nil on the last page.
    public var next: String?
}

/// What a HEAD (or a GET) reports about an object.
public struct OSSObjectMetadata: Sendable, Hashable {
    /// `Content-Length` of the response (the whole object for HEAD, the range for a ranged GET).
    public var contentLength: Int64
    /// `Content-Type`.
    public var contentType: String?
    /// The ETag as sent (with quotes).
    public var etag: String?
    /// `Last-Modified`.
    public var lastModified: Date?
    /// `x-oss-object-type`.
    public var objectType: String?
    /// `x-oss-storage-class`.
    public var storageClass: String?
    /// `x-oss-hash-crc64ecma` (decimal text).
    public var crc64: String?
    /// `x-oss-version-id`.
    public var versionId: String?
    /// `Content-Range` of a ranged GET.
    public var contentRange: String?
    /// `x-oss-meta-*` headers, keyed by the part after the prefix (lower case).
    public var userMetadata: [String: String]
    /// `x-oss-request-id`.
    public var requestId: String?

    init(headers: [String: String]) {
        contentLength = headers["content-length"].flatMap { Int64($0) } ?? 0
        contentType = headers["content-type"]
        etag = headers["etag"]
        lastModified = headers["last-modified"].flatMap(SigningTime.parseRFC1123)
        objectType = headers["x-oss-object-type"]
        storageClass = headers["x-oss-storage-class"]
        crc64 = headers["x-oss-hash-crc64ecma"]
        versionId = headers["x-oss-version-id"]
        contentRange = headers["content-range"]
        requestId = headers["x-oss-request-id"]
        var meta: [String: String] = [:]
        for (name, value) in headers where name.hasPrefix("x-oss-meta-") { meta[String(name.dropFirst(11))] = value }
        userMetadata = meta
    }
}

/// The result of a write (PutObject, CopyObject, CompleteMultipartUpload, UploadPart).
public struct OSSWriteResult: Sendable, Hashable {
    /// The new object's (or part's) ETag, with quotes.
    public var etag: String
    /// `x-oss-hash-crc64ecma`, when sent.
    public var crc64: String?
    /// `x-oss-version-id`, when versioning is on.
    public var versionId: String?
    /// `x-oss-request-id`.
    public var requestId: String?
}

/// A byte range for GetObject. It is sent with `x-oss-range-behavior: standard`, so a range that starts at or
/// beyond the end of the object fails with ``OSSError`` `InvalidRange` (416) instead of OSS's default of
/// answering with the whole object.
public enum OSSByteRange: Sendable, Hashable {
    /// Bytes `first...last`, inclusive.
    case bytes(ClosedRange<Int64>)
    /// From `offset` to the end.
    case from(Int64)
    /// The last `count` bytes.
    case suffix(Int64)

    /// The `Range` header value.
    public var headerValue: String {
        switch self {
        case .bytes(let range): "bytes=\(range.lowerBound)-\(range.upperBound)"
        case .from(let offset): "bytes=\(offset)-"
        case .suffix(let count): "bytes=-\(count)"
        }
    }

    /// Why OSS could not read this range as one (a negative offset, an empty suffix), or nil.
    var problem: String? {
        switch self {
        case .bytes(let range) where range.lowerBound < 0: "range \(range) starts before the first byte"
        case .from(let offset) where offset < 0: "range offset \(offset) is negative"
        case .suffix(let count) where count <= 0: "a suffix range needs at least 1 byte, not \(count)"
        default: nil
        }
    }

    /// The headers that ask for this range.
    func headers() throws(OSSError) -> [(String, String)] {
        if let problem { throw OSSError(code: OSSError.invalidArgument, message: problem, status: 0) }
        return [("Range", headerValue), ("x-oss-range-behavior", "standard")]
    }
}

/// A multipart upload in progress, as ListMultipartUploads reports it.
public struct OSSMultipartUpload: Sendable, Hashable {
    /// The key the upload will create.
    public var key: String
    /// The id InitiateMultipartUpload returned.
    public var uploadId: String
    /// When the upload was initiated.
    public var initiated: Date?
}

/// A part of a multipart upload, as CompleteMultipartUpload needs it.
public struct OSSUploadedPart: Sendable, Hashable {
    /// 1...10000.
    public var partNumber: Int
    /// The part's ETag as UploadPart returned it.
    public var etag: String

    /// Creates a part reference.
    public init(partNumber: Int, etag: String) {
        self.partNumber = partNumber
        self.etag = etag
    }
}

/// OSS XML timestamps: `2024-01-02T03:04:05.000Z` (the fraction is dropped) or without a fraction.
func parseXMLTimestamp(_ text: String) -> Date? {
    guard let dot = text.firstIndex(of: "."), text.hasSuffix("Z") else { return SigningTime.parseISO8601(text) }
    return SigningTime.parseISO8601(String(text[..<dot]) + "Z")
}

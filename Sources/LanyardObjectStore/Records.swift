import LanyardHTTP

/// A bucket as stored.
public struct BucketRecord: Sendable, Hashable {
    /// Bucket name.
    public var name: String
    /// Account id of the owner.
    public var owner: String
    /// Bucket ACL (never `.default`).
    public var acl: CannedACL
    /// Creation time, Unix seconds.
    public var created: Int64
    /// Storage class, e.g. `Standard`.
    public var storageClass: String
}

/// Kind of object, as reported in `x-oss-object-type` and listings.
public enum ObjectType: String, Sendable, Hashable {
    case normal = "Normal"
    case multipart = "Multipart"
    case appendable = "Appendable"
}

/// An object's metadata as stored; its body lives in the blob file `blob`.
public struct ObjectRecord: Sendable, Hashable {
    /// Object key.
    public var key: String
    /// Body size in bytes.
    public var size: Int64
    /// ETag without quotes, upper-case hex (multipart: `<HEX>-N`).
    public var etag: String
    /// CRC-64/XZ of the body.
    public var crc64: UInt64
    /// Last modification, Unix seconds.
    public var modified: Int64
    /// Object type.
    public var type: ObjectType
    /// Object ACL (`.default` inherits the bucket's).
    public var acl: CannedACL
    /// Stored response headers: Content-Type, Content-Encoding, Cache-Control, ..., `x-oss-meta-*`.
    public var headers: [StoredHeader]
    /// Where the body is: a blob file name relative to the blob directory, or `<file>:<offset>` for a body
    /// inside a file shared with others (see `BlobStore`).
    public var blob: String

    /// Quoted ETag for headers and XML.
    public var quotedETag: String { "\"\(etag)\"" }
}

/// A stored response header of an object.
public struct StoredHeader: Sendable, Hashable {
    /// Header name as it will be sent.
    public var name: String
    /// Header value.
    public var value: String
    /// Creates a header.
    public init(_ name: String, _ value: String) { self.name = name; self.value = value }

    /// Request headers that are stored with an object and sent back on reads.
    static let storedNames: Set<String> = [
        "content-type", "content-encoding", "content-disposition", "content-language", "cache-control", "expires",
    ]

    /// Picks the stored headers out of a request's headers: the standard ones and every `x-oss-meta-*`.
    static func from(_ headers: HTTPHeaders) -> [StoredHeader] {
        var out: [StoredHeader] = []
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower.hasPrefix("x-oss-meta-") || storedNames.contains(lower) {
                if !out.contains(where: { $0.name == lower }) { out.append(StoredHeader(lower, value)) }
            }
        }
        return out
    }

    /// Encodes as `name:value` lines (header values carry no newlines).
    static func encode(_ headers: [StoredHeader]) -> String {
        headers.map { "\($0.name):\($0.value)" }.joined(separator: "\n")
    }

    /// Inverse of `encode`.
    static func decode(_ text: String) -> [StoredHeader] {
        guard !text.isEmpty else { return [] }
        var out: [StoredHeader] = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value: Substring = line[colon...].dropFirst()
            out.append(StoredHeader(String(line[..<colon]), String(value)))
        }
        return out
    }
}

/// An in-progress multipart upload.
public struct UploadRecord: Sendable, Hashable {
    /// Upload id: upper-case hex only (Go 1.5 puts it unescaped in the signed resource).
    public var uploadId: String
    /// Bucket name.
    public var bucket: String
    /// Object key.
    public var key: String
    /// Initiation time, Unix seconds.
    public var initiated: Int64
    /// ACL the completed object gets.
    public var acl: CannedACL
    /// Headers the completed object gets.
    public var headers: [StoredHeader]
}

/// One uploaded part.
public struct PartRecord: Sendable, Hashable {
    /// Part number, 1–10000.
    public var partNumber: Int
    /// Size in bytes.
    public var size: Int64
    /// MD5 upper-case hex.
    public var etag: String
    /// CRC-64/XZ of the part.
    public var crc64: UInt64
    /// Upload time, Unix seconds.
    public var modified: Int64
    /// Blob file name.
    public var blob: String
}

import Foundation
import LanyardCrypto

/// One page of a listing: objects and rolled-up common prefixes, both in key order.
public struct ListingPage: Sendable, Hashable {
    /// Objects on the page.
    public var objects: [ObjectRecord]
    /// Common prefixes on the page (each ends with the delimiter).
    public var commonPrefixes: [String]
    /// Whether more entries follow.
    public var isTruncated: Bool
    /// The last key or common prefix on the page, when truncated: the next page starts after it.
    public var nextMarker: String?
}

/// Parameters of a listing request, as echoed in the response.
struct ListingRequest {
    var prefix: String
    var marker: String
    var delimiter: String
    var maxKeys: Int
    var urlEncoded: Bool
    // V2 only.
    var continuationToken: String?
    var startAfter: String?
    var fetchOwner: Bool
}

/// The XML bodies of successful responses.
enum ResponseXML {
    struct Context {
        var accountId: String
        var region: String
        var extranetEndpoint: String
        var intranetEndpoint: String
    }

    private static func owner(_ w: inout XMLWriter, _ id: String) {
        w.open("Owner")
        w.element("ID", id)
        w.element("DisplayName", id)
        w.close("Owner")
    }

    static func listBuckets(_ c: Context, buckets: [BucketRecord], prefix: String, marker: String, maxKeys: Int,
                            isTruncated: Bool) -> [UInt8] {
        var w = XMLWriter()
        w.open("ListAllMyBucketsResult")
        if isTruncated {
            w.element("Prefix", prefix)
            w.element("Marker", marker)
            w.element("MaxKeys", maxKeys)
            w.element("IsTruncated", true)
            w.element("NextMarker", buckets.last?.name ?? "")
        }
        owner(&w, c.accountId)
        w.open("Buckets")
        for b in buckets {
            w.open("Bucket")
            w.element("CreationDate", HTTPTime.iso8601(b.created))
            w.element("ExtranetEndpoint", c.extranetEndpoint)
            w.element("IntranetEndpoint", c.intranetEndpoint)
            w.element("Location", "oss-" + c.region)
            w.element("Name", b.name)
            w.element("Region", c.region)
            w.element("StorageClass", b.storageClass)
            w.close("Bucket")
        }
        w.close("Buckets")
        w.close("ListAllMyBucketsResult")
        return w.bytes
    }

    static func listObjects(_ c: Context, bucket: String, request r: ListingRequest, page: ListingPage, v2: Bool)
        -> [UInt8]
    {
        let urlEncoded = r.urlEncoded
        func enc(_ s: String) -> String { urlEncoded ? Percent.encodeListing(s) : s }
        var w = XMLWriter()
        w.open("ListBucketResult")
        w.element("Name", bucket)
        w.element("Prefix", enc(r.prefix))
        if v2 {
            if let token = r.continuationToken { w.element("ContinuationToken", enc(token)) }
            if let startAfter = r.startAfter { w.element("StartAfter", enc(startAfter)) }
        } else {
            w.element("Marker", enc(r.marker))
        }
        w.element("MaxKeys", r.maxKeys)
        w.element("Delimiter", enc(r.delimiter))
        w.element("IsTruncated", page.isTruncated)
        if page.isTruncated, let next = page.nextMarker {
            if v2 {
                w.element("NextContinuationToken", ContinuationToken.encode(next))
            } else {
                w.element("NextMarker", enc(next))
            }
        }
        if r.urlEncoded { w.element("EncodingType", "url") }
        if v2 { w.element("KeyCount", page.objects.count + page.commonPrefixes.count) }
        for o in page.objects {
            w.open("Contents")
            w.element("Key", enc(o.key))
            w.element("LastModified", HTTPTime.iso8601(o.modified))
            w.element("ETag", o.quotedETag)
            w.element("Type", o.type.rawValue)
            w.element("Size", o.size)
            w.element("StorageClass", "Standard")
            if !v2 || r.fetchOwner { owner(&w, c.accountId) }
            w.close("Contents")
        }
        for p in page.commonPrefixes {
            w.open("CommonPrefixes")
            w.element("Prefix", enc(p))
            w.close("CommonPrefixes")
        }
        w.close("ListBucketResult")
        return w.bytes
    }

    static func initiate(bucket: String, key: String, uploadId: String, urlEncoded: Bool) -> [UInt8] {
        var w = XMLWriter()
        w.open("InitiateMultipartUploadResult")
        w.element("Bucket", bucket)
        w.element("Key", urlEncoded ? Percent.encodeListing(key) : key)
        w.element("UploadId", uploadId)
        if urlEncoded { w.element("EncodingType", "url") }
        w.close("InitiateMultipartUploadResult")
        return w.bytes
    }

    static func complete(location: String, bucket: String, key: String, etag: String, urlEncoded: Bool) -> [UInt8] {
        var w = XMLWriter()
        w.open("CompleteMultipartUploadResult")
        if urlEncoded { w.element("EncodingType", "url") }
        w.element("Location", location)
        w.element("Bucket", bucket)
        w.element("Key", urlEncoded ? Percent.encodeListing(key) : key)
        w.element("ETag", etag)
        w.close("CompleteMultipartUploadResult")
        return w.bytes
    }

    static func listParts(bucket: String, upload: UploadRecord, marker: Int, maxParts: Int, parts: [PartRecord],
                          isTruncated: Bool, urlEncoded: Bool) -> [UInt8] {
        var w = XMLWriter()
        w.open("ListPartsResult")
        if urlEncoded { w.element("EncodingType", "url") }
        w.element("Bucket", bucket)
        w.element("Key", urlEncoded ? Percent.encodeListing(upload.key) : upload.key)
        w.element("UploadId", upload.uploadId)
        w.element("PartNumberMarker", marker)
        w.element("NextPartNumberMarker", parts.last?.partNumber ?? marker)
        w.element("MaxParts", maxParts)
        w.element("IsTruncated", isTruncated)
        for p in parts {
            w.open("Part")
            w.element("PartNumber", p.partNumber)
            w.element("LastModified", HTTPTime.iso8601(p.modified))
            w.element("ETag", "\"\(p.etag)\"")
            w.element("HashCrc64ecma", String(p.crc64))
            w.element("Size", p.size)
            w.close("Part")
        }
        w.close("ListPartsResult")
        return w.bytes
    }

    static func listUploads(bucket: String, prefix: String, keyMarker: String, uploadIdMarker: String,
                            delimiter: String, maxUploads: Int, uploads: [UploadRecord], commonPrefixes: [String],
                            isTruncated: Bool, urlEncoded: Bool) -> [UInt8] {
        func enc(_ s: String) -> String { urlEncoded ? Percent.encodeListing(s) : s }
        var w = XMLWriter()
        w.open("ListMultipartUploadsResult")
        if urlEncoded { w.element("EncodingType", "url") }
        w.element("Bucket", bucket)
        w.element("KeyMarker", enc(keyMarker))
        w.element("UploadIdMarker", uploadIdMarker)
        w.element("NextKeyMarker", enc(isTruncated ? uploads.last?.key ?? "" : ""))
        w.element("NextUploadIdMarker", isTruncated ? uploads.last?.uploadId ?? "" : "")
        w.element("Delimiter", enc(delimiter))
        w.element("Prefix", enc(prefix))
        w.element("MaxUploads", maxUploads)
        w.element("IsTruncated", isTruncated)
        for u in uploads {
            w.open("Upload")
            w.element("Key", enc(u.key))
            w.element("UploadId", u.uploadId)
            w.element("Initiated", HTTPTime.iso8601(u.initiated))
            w.element("StorageClass", "Standard")
            w.close("Upload")
        }
        for p in commonPrefixes {
            w.open("CommonPrefixes")
            w.element("Prefix", enc(p))
            w.close("CommonPrefixes")
        }
        w.close("ListMultipartUploadsResult")
        return w.bytes
    }

    static func deleteResult(deleted: [String], urlEncoded: Bool) -> [UInt8] {
        var w = XMLWriter()
        w.open("DeleteResult")
        if urlEncoded { w.element("EncodingType", "url") }
        for key in deleted {
            w.open("Deleted")
            w.element("Key", urlEncoded ? Percent.encodeListing(key) : key)
            w.close("Deleted")
        }
        w.close("DeleteResult")
        return w.bytes
    }

    static func copyResult(etag: String, modified: Int64) -> [UInt8] {
        var w = XMLWriter()
        w.open("CopyObjectResult")
        w.element("ETag", etag)
        w.element("LastModified", HTTPTime.iso8601(modified))
        w.close("CopyObjectResult")
        return w.bytes
    }

    static func accessControlPolicy(ownerId: String, grant: CannedACL) -> [UInt8] {
        var w = XMLWriter()
        w.open("AccessControlPolicy")
        owner(&w, ownerId)
        w.open("AccessControlList")
        w.element("Grant", grant.rawValue)
        w.close("AccessControlList")
        w.close("AccessControlPolicy")
        return w.bytes
    }

    static func bucketInfo(_ c: Context, bucket b: BucketRecord) -> [UInt8] {
        var w = XMLWriter()
        w.open("BucketInfo")
        w.open("Bucket")
        w.element("CreationDate", HTTPTime.iso8601(b.created))
        w.element("ExtranetEndpoint", c.extranetEndpoint)
        w.element("IntranetEndpoint", c.intranetEndpoint)
        w.element("Location", "oss-" + c.region)
        w.element("StorageClass", b.storageClass)
        w.element("DataRedundancyType", "LRS")
        w.element("Name", b.name)
        owner(&w, b.owner)
        w.open("AccessControlList")
        w.element("Grant", b.acl.rawValue)
        w.close("AccessControlList")
        w.element("Comment", "")
        w.close("Bucket")
        w.close("BucketInfo")
        return w.bytes
    }

    static func location(region: String) -> [UInt8] {
        var w = XMLWriter()
        w.element("LocationConstraint", "oss-" + region)
        return w.bytes
    }
}

/// Opaque V2 continuation tokens: base64url of the key the next page starts after.
enum ContinuationToken {
    static func encode(_ key: String) -> String {
        Array(key.utf8).base64String
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String) -> String? {
        var s = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.utf8.count % 4 != 0 { s += "=" }
        guard let data = Data(base64Encoded: s) else { return nil }
        return String(validating: Array(data), as: UTF8.self)
    }
}

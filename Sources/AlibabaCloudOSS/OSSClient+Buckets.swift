import Foundation

extension OSSClient {
    /// One page of ListBuckets (`GET /`), for the buckets whose names start with `prefix`, after `marker`.
    public func listBuckets(prefix: String? = nil, marker: String? = nil, maxKeys: Int? = nil) async throws
        -> OSSBucketListPage
    {
        var query: [(name: String, value: String?)] = []
        if let prefix { query.append(("prefix", prefix)) }
        if let marker { query.append(("marker", marker)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        let response = try await send(Request(method: "GET", bucket: nil, key: nil, query: query))
        return try Self.parseBucketList(response)
    }

    /// Every bucket whose name starts with `prefix`, following ListBuckets pages to the end.
    public func listAllBuckets(prefix: String? = nil) async throws -> [OSSBucketSummary] {
        var buckets: [OSSBucketSummary] = []
        var marker: String?
        while true {
            let page = try await listBuckets(prefix: prefix, marker: marker, maxKeys: 1000)
            buckets += page.buckets
            guard page.isTruncated, let next = page.nextMarker, next != marker else { return buckets }
            marker = next
        }
    }

    /// Creates a bucket (PutBucket); `acl` is sent as `x-oss-acl` (`private`, `public-read` or
    /// `public-read-write`). Creating a bucket the caller already owns succeeds.
    public func createBucket(bucket: String, acl: String? = nil) async throws {
        var request = Request(method: "PUT", bucket: bucket, key: nil)
        // Name the type of the empty body so that nothing unsigned is added on the way.
        request.headers = [("Content-Type", "application/xml")]
        if let acl { request.headers.append(("x-oss-acl", acl)) }
        _ = try await send(request, body: .data(Data()))
    }

    /// Deletes an empty bucket (DeleteBucket); a non-empty one throws ``OSSError`` with code `BucketNotEmpty`.
    public func deleteBucket(bucket: String) async throws {
        _ = try await send(Request(method: "DELETE", bucket: bucket, key: nil))
    }

    static func parseBucketList(_ response: Response) throws -> OSSBucketListPage {
        guard let xml = XMLTree.parse(response.body), xml.name == "ListAllMyBucketsResult" else {
            throw OSSError(
                code: OSSError.invalidResponse, message: "ListBuckets: unreadable result",
                requestId: response.headers["x-oss-request-id"], status: response.status)
        }
        let buckets = (xml.child("Buckets")?.children("Bucket") ?? []).map { item in
            OSSBucketSummary(
                name: item.value("Name") ?? "", location: item.value("Location"), region: item.value("Region"),
                creationDate: item.value("CreationDate").flatMap(parseXMLTimestamp),
                storageClass: item.value("StorageClass"), extranetEndpoint: item.value("ExtranetEndpoint"),
                intranetEndpoint: item.value("IntranetEndpoint"))
        }
        let truncated = xml.value("IsTruncated") == "true"
        let next = truncated ? xml.value("NextMarker").flatMap { $0.isEmpty ? nil : $0 } : nil
        return OSSBucketListPage(
            buckets: buckets, ownerId: xml.child("Owner")?.value("ID"), isTruncated: truncated && next != nil,
            nextMarker: next)
    }
}

/// One bucket in a ListBuckets answer.
public struct OSSBucketSummary: Sendable, Hashable {
    /// The bucket name.
    public var name: String
    /// The location, e.g. `oss-cn-hangzhou`.
    public var location: String?
    /// The region, e.g. `cn-hangzhou`.
    public var region: String?
    /// When the bucket was created.
    public var creationDate: Date?
    /// `Standard`, `IA`, `Archive`, ...
    public var storageClass: String?
    /// The public endpoint, e.g. `oss-cn-hangzhou.aliyuncs.com`.
    public var extranetEndpoint: String?
    /// The VPC endpoint, e.g. `oss-cn-hangzhou-internal.aliyuncs.com`.
    public var intranetEndpoint: String?
}

/// One page of ListBuckets.
public struct OSSBucketListPage: Sendable, Hashable {
    /// Buckets of this page.
    public var buckets: [OSSBucketSummary]
    /// The owner's ID.
    public var ownerId: String?
    /// Whether more pages follow.
    public var isTruncated: Bool
    /// The marker for the next page; nil on the last page.
    public var nextMarker: String?
}

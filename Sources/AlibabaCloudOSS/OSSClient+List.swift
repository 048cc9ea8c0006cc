import AlibabaCloudSigning
import Foundation

extension OSSClient {
    /// One page of ListObjects (v1), starting after `marker`.
    public func listObjects(
        bucket: String, prefix: String? = nil, delimiter: String? = nil, maxKeys: Int? = nil, marker: String? = nil
    ) async throws -> OSSListPage {
        var query: [(name: String, value: String?)] = [("encoding-type", "url")]
        if let prefix { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let marker { query.append(("marker", marker)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        let response = try await send(Request(method: "GET", bucket: bucket, key: nil, query: query))
        return try Self.parseListing(response, bucket: bucket, version: 1)
    }

    /// One page of ListObjectsV2, continuing from `continuationToken` (or starting after `startAfter`).
    public func listObjectsV2(
        bucket: String, prefix: String? = nil, delimiter: String? = nil, maxKeys: Int? = nil,
        continuationToken: String? = nil, startAfter: String? = nil, fetchOwner: Bool = false
    ) async throws -> OSSListPage {
        var query: [(name: String, value: String?)] = [("list-type", "2"), ("encoding-type", "url")]
        if let prefix { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        if fetchOwner { query.append(("fetch-owner", "true")) }
        let response = try await send(Request(method: "GET", bucket: bucket, key: nil, query: query))
        return try Self.parseListing(response, bucket: bucket, version: 2)
    }

    /// Every page of ListObjects (v1), fetched lazily as the sequence is iterated; `.objects` flattens it.
    public func listObjectsPages(
        bucket: String, prefix: String? = nil, delimiter: String? = nil, maxKeys: Int? = nil
    ) -> OSSListPages {
        OSSListPages { [self] marker in
            try await listObjects(bucket: bucket, prefix: prefix, delimiter: delimiter, maxKeys: maxKeys, marker: marker)
        }
    }

    /// Every page of ListObjectsV2, fetched lazily as the sequence is iterated; `.objects` flattens it.
    public func listObjectsV2Pages(
        bucket: String, prefix: String? = nil, delimiter: String? = nil, maxKeys: Int? = nil, startAfter: String? = nil
    ) -> OSSListPages {
        OSSListPages { [self] token in
            try await listObjectsV2(
                bucket: bucket, prefix: prefix, delimiter: delimiter, maxKeys: maxKeys, continuationToken: token,
                startAfter: token == nil ? startAfter : nil)
        }
    }

    static func parseListing(_ response: Response, bucket: String, version: Int) throws -> OSSListPage {
        guard let xml = XMLTree.parse(response.body), xml.name == "ListBucketResult" else {
            throw OSSError(
                code: OSSError.invalidResponse, message: "ListObjects: unreadable result",
                requestId: response.headers["x-oss-request-id"], status: response.status)
        }
        let encoded = xml.value("EncodingType") == "url"
        func decoded(_ text: String?) -> String? {
            guard let text else { return nil }
            return encoded ? (PercentEncoding.decode(text) ?? text) : text
        }
        let objects = xml.children("Contents").map { item in
            OSSObjectSummary(
                key: decoded(item.value("Key")) ?? "", size: item.value("Size").flatMap { Int64($0) } ?? 0,
                etag: item.value("ETag") ?? "", lastModified: item.value("LastModified").flatMap(parseXMLTimestamp),
                type: item.value("Type"), storageClass: item.value("StorageClass"),
                ownerId: item.child("Owner")?.value("ID"))
        }
        let prefixes = xml.children("CommonPrefixes").compactMap { decoded($0.value("Prefix")) }
        let truncated = xml.value("IsTruncated") == "true"
        var next: String?
        if truncated {
            if version == 2 {
                next = decoded(xml.value("NextContinuationToken"))
            } else {
                // Without NextMarker (no delimiter), v1 continues after the last key or prefix returned.
                next =
                    decoded(xml.value("NextMarker")).flatMap { $0.isEmpty ? nil : $0 }
                    ?? max(objects.last?.key ?? "", prefixes.last ?? "")
            }
            if next?.isEmpty == true { next = nil }
        }
        return OSSListPage(
            bucket: xml.value("Name") ?? bucket, prefix: decoded(xml.value("Prefix")) ?? "",
            delimiter: decoded(xml.value("Delimiter")).flatMap { $0.isEmpty ? nil : $0 }, objects: objects,
            commonPrefixes: prefixes, isTruncated: truncated && next != nil, next: next)
    }
}

/// The pages of a listing, fetched one at a time while iterating.
public struct OSSListPages: AsyncSequence, Sendable {
    /// Each element is one page.
    public typealias Element = OSSListPage

    let fetch: @Sendable (String?) async throws -> OSSListPage

    /// Starts iterating from the first page.
    public func makeAsyncIterator() -> Iterator { Iterator(fetch: fetch) }

    /// The objects of every page, in listing order.
    public var objects: OSSListedObjects { OSSListedObjects(pages: self) }

    /// Fetches the next page on demand; stops after the last one.
    public struct Iterator: AsyncIteratorProtocol {
        let fetch: @Sendable (String?) async throws -> OSSListPage
        var cursor: String?
        var finished = false

        /// The next page, or nil after the last one.
        public mutating func next() async throws -> OSSListPage? {
            guard !finished else { return nil }
            let page = try await fetch(cursor)
            if page.isTruncated, let next = page.next, next != cursor {
                cursor = next
            } else {
                finished = true
            }
            return page
        }
    }
}

/// The objects of a listing, across pages.
public struct OSSListedObjects: AsyncSequence, Sendable {
    /// Each element is one object.
    public typealias Element = OSSObjectSummary

    let pages: OSSListPages

    /// Starts iterating from the first object.
    public func makeAsyncIterator() -> Iterator { Iterator(pages: pages.makeAsyncIterator()) }

    /// Walks the objects of one page, then fetches the next.
    public struct Iterator: AsyncIteratorProtocol {
        var pages: OSSListPages.Iterator
        var buffer: [OSSObjectSummary] = []
        var index = 0

        /// The next object, or nil after the last one.
        public mutating func next() async throws -> OSSObjectSummary? {
            while index == buffer.count {
                guard let page = try await pages.next() else { return nil }
                buffer = page.objects
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }
}

import LanyardHTTP
import LanyardCrypto

/// Service- and bucket-level operations.
extension ObjectService {
    static func maxKeys(_ target: OSSRequestTarget, name: String, defaultValue: Int, limit: Int) throws(OSSError) -> Int {
        guard let text = target.nonEmpty(name) else { return defaultValue }
        guard let n = Int(text), n >= 0, n <= limit else {
            throw OSSError.invalidArgument("Argument \(name) must be an integer between 0 and \(limit).", name: name,
                                           value: text)
        }
        return n
    }

    func listBuckets(_ r: Request) throws(OSSError) -> HTTPResponse {
        try authorize(r, bucket: nil, key: nil, access: .none) { () throws(OSSError) in nil }
        let prefix = r.target.value("prefix") ?? "", marker = r.target.value("marker") ?? ""
        let max = try Self.maxKeys(r.target, name: "max-keys", defaultValue: 100, limit: 1000)
        var buckets = try metadata.listBuckets(prefix: prefix, marker: marker, limit: max + 1)
        let truncated = buckets.count > max
        if truncated { buckets.removeLast() }
        return ok(r, xml: ResponseXML.listBuckets(xmlContext, buckets: buckets, prefix: prefix, marker: marker,
                                                  maxKeys: max, isTruncated: truncated))
    }

    /// PutBucket; on an existing bucket of the account it succeeds again and applies `x-oss-acl`
    /// (Go 1.5's SetBucketACL sends exactly this request).
    func putBucket(_ r: Request) throws(OSSError) -> HTTPBodyDisposition {
        let acl = try r.head.headers["x-oss-acl"].map { text throws(OSSError) in try CannedACL.bucket(text) }
        if let existing = try metadata.bucket(r.bucket) {
            if acl != nil {
                try authorize(r, action: "oss:PutBucketAcl", bucket: r.bucket, key: nil, access: .none) { () throws(OSSError) in existing.acl }
            } else {
                try authorizeBucket(r, existing)
            }
            if let acl { try metadata.setBucketACL(r.bucket, acl) }
            return .respond(ok(r))
        }
        try authorize(r, bucket: r.bucket, key: nil, access: .none) { () throws(OSSError) in nil }
        return .collect(limit: 64 << 10) { [self] request in
            respond(r) { () throws(OSSError) in
                let storageClass = try CreateBucketRequest.storageClass(request.body)
                let record = BucketRecord(name: r.bucket, owner: authority.accountId, acl: acl ?? .private,
                                          created: r.now, storageClass: storageClass)
                if try metadata.createBucket(record) {
                    configuration.bucketsChanged()
                } else if let acl {
                    try metadata.setBucketACL(r.bucket, acl)
                }
                return ok(r)
            }
        }
    }

    func deleteBucket(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeBucket(r, bucket)
        try metadata.deleteBucket(r.bucket)
        configuration.bucketsChanged()
        return ok(r, status: 204)
    }

    /// GetBucketInfo, GetBucketLocation, GetBucketAcl.
    func bucketQuery(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeBucket(r, bucket)
        switch r.operation {
        case .getBucketInfo: return ok(r, xml: ResponseXML.bucketInfo(xmlContext, bucket: bucket))
        case .getBucketLocation: return ok(r, xml: ResponseXML.location(region: configuration.region))
        default: return ok(r, xml: ResponseXML.accessControlPolicy(ownerId: bucket.owner, grant: bucket.acl))
        }
    }

    func putBucketAcl(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeBucket(r, bucket)
        guard let text = r.head.headers["x-oss-acl"] else {
            throw OSSError.invalidArgument("The x-oss-acl header is required.", name: "x-oss-acl", value: "")
        }
        try metadata.setBucketACL(r.bucket, try CannedACL.bucket(text))
        return ok(r)
    }

    /// ListObjects (v1) and ListObjectsV2.
    func listObjects(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeBucket(r, bucket)
        let t = r.target
        let v2 = r.operation == .listObjectsV2
        let encoding = t.value("encoding-type") ?? ""
        guard encoding.isEmpty || encoding == "url" else {
            throw OSSError.invalidArgument("Invalid encoding-type.", name: "encoding-type", value: encoding)
        }
        var request = ListingRequest(
            prefix: t.value("prefix") ?? "", marker: t.value("marker") ?? "", delimiter: t.value("delimiter") ?? "",
            maxKeys: try Self.maxKeys(t, name: "max-keys", defaultValue: 100, limit: 1000), urlEncoded: encoding == "url",
            continuationToken: nil, startAfter: nil, fetchOwner: t.value("fetch-owner") == "true")
        guard request.prefix.utf8.count < 1024, request.marker.utf8.count < 1024 else {
            throw OSSError.invalidArgument("prefix and marker must be shorter than 1024 bytes.")
        }
        var after: String? = request.marker.isEmpty ? nil : request.marker
        if v2 {
            request.startAfter = t.nonEmpty("start-after")
            after = request.startAfter
            if let token = t.nonEmpty("continuation-token") {
                guard let decoded = ContinuationToken.decode(token) else {
                    throw OSSError.invalidArgument("Invalid continuation-token.", name: "continuation-token", value: token)
                }
                request.continuationToken = token
                after = decoded
            }
        }
        let page = try metadata.list(bucket: r.bucket, prefix: request.prefix, after: after,
                                     delimiter: request.delimiter, maxKeys: request.maxKeys)
        return ok(r, xml: ResponseXML.listObjects(xmlContext, bucket: r.bucket, request: request, page: page, v2: v2))
    }

    func listUploads(_ r: Request) throws(OSSError) -> HTTPResponse {
        let bucket = try requireBucket(r.bucket)
        try authorizeBucket(r, bucket)
        let t = r.target
        let prefix = t.value("prefix") ?? "", delimiter = t.value("delimiter") ?? ""
        let keyMarker = t.value("key-marker") ?? "", idMarker = t.value("upload-id-marker") ?? ""
        let max = try Self.maxKeys(t, name: "max-uploads", defaultValue: 1000, limit: 1000)
        // Uploads are few and short-lived: roll up common prefixes over one bounded batch.
        let rows = try metadata.listUploads(bucket: r.bucket, prefix: prefix, keyMarker: keyMarker,
                                            uploadIdMarker: idMarker, limit: max + 1)
        var uploads: [UploadRecord] = [], prefixes: [String] = []
        var truncated = false
        for u in rows {
            if uploads.count + prefixes.count == max {
                truncated = true
                break
            }
            if !delimiter.isEmpty, let range = u.key.dropFirst(prefix.count).range(of: delimiter) {
                let common = String(u.key[..<range.upperBound])
                if prefixes.last != common { prefixes.append(common) }
            } else {
                uploads.append(u)
            }
        }
        return ok(r, xml: ResponseXML.listUploads(
            bucket: r.bucket, prefix: prefix, keyMarker: keyMarker, uploadIdMarker: idMarker, delimiter: delimiter,
            maxUploads: max, uploads: uploads, commonPrefixes: prefixes, isTruncated: truncated, urlEncoded: r.urlEncoded))
    }

    /// DeleteMultipleObjects: `Content-MD5` required, at most 1000 keys, quiet mode lists nothing deleted.
    func deleteMultiple(_ r: Request) throws(OSSError) -> HTTPBodyDisposition {
        let bucket = try requireBucket(r.bucket)
        try authorizeBucket(r, bucket)
        guard let expected = try Self.contentMD5(r.head.headers) else {
            throw OSSError.invalidArgument("Missing required header for this request: Content-MD5.",
                                           name: "Content-MD5", value: "")
        }
        return .collect(limit: 2 << 20) { [self] request in
            respond(r) { () throws(OSSError) in
                guard LanyardCrypto.Digest.hash(.md5, request.body) == expected else { throw OSSError.invalidDigest }
                let parsed = try DeleteRequest.parse(request.body)
                for key in parsed.keys { try OSSNames.validateKey(key) }
                // Per-key authorization: a Deny on one prefix must hold inside a batch too.
                for key in parsed.keys { try authorizeObject(r, bucket, key: key) }
                let removed = try metadata.deleteObjects(bucket: r.bucket, keys: parsed.keys)
                for file in removed.unreferenced { blobs.remove(file) }
                return ok(r, xml: ResponseXML.deleteResult(deleted: parsed.quiet ? [] : parsed.keys,
                                                           urlEncoded: r.urlEncoded))
            }
        }
    }
}

/// What both the client and the server feed into OSS signing: one request, decoded.
public struct OSSRequestParts: Sendable {
    /// HTTP method, upper case (`GET`, `PUT`, ...).
    public var method: String
    /// The bucket, or nil for service-level requests (ListBuckets).
    public var bucket: String?
    /// The decoded object key, or nil (or empty) for bucket-level requests.
    public var key: String?
    /// Decoded query parameters in received order; value nil = valueless (`?acl`), which signs like `acl=`.
    public var query: [(name: String, value: String?)]
    /// Request headers in received order; names in any case.
    public var headers: [(name: String, value: String)]

    /// Creates request parts.
    public init(
        method: String, bucket: String?, key: String?, query: [(name: String, value: String?)] = [],
        headers: [(name: String, value: String)] = []
    ) {
        self.method = method
        self.bucket = bucket
        self.key = key
        self.query = query
        self.headers = headers
    }

    /// The first value of a header, matched ASCII case-insensitively.
    public func header(_ name: String) -> String? {
        HeaderText.first(name, in: headers)
    }

    /// The first query parameter with this exact name: `.some(nil)` when valueless, nil when absent.
    public func queryParameter(_ name: String) -> String?? {
        guard let pair = query.first(where: { $0.name == name }) else { return nil }
        return .some(pair.value)
    }
}

/// What an OSS request addresses: the bucket and key (decoded) and the query parameters.
public struct OSSRequestTarget: Sendable, Hashable {
    /// How the bucket was named in the request.
    public enum Style: Sendable, Hashable { case path, virtualHosted }

    /// One query parameter; `value` is nil for a valueless parameter (`?acl`), "" for `?acl=`.
    public struct QueryItem: Sendable, Hashable {
        /// Decoded name.
        public let name: String
        /// Decoded value, or nil when the parameter had no `=`.
        public let value: String?
        /// Creates a parameter.
        public init(_ name: String, _ value: String?) { self.name = name; self.value = value }
    }

    /// Bucket name, nil for service-level requests (`GET /`).
    public let bucket: String?
    /// Decoded object key, nil for bucket- and service-level requests.
    public let key: String?
    /// Query parameters in request order (Go 1.5's `??objectMeta` marker is dropped).
    public let query: [QueryItem]
    /// Path or virtual-hosted addressing.
    public let style: Style

    /// Whether the parameter is present (with or without a value).
    public func has(_ name: String) -> Bool { query.contains { $0.name == name } }

    /// The parameter's value; "" for a valueless parameter; nil when absent.
    public func value(_ name: String) -> String? {
        for item in query where item.name == name { return item.value ?? "" }
        return nil
    }

    /// The parameter's value when present and non-empty (oss2 sends empty values meaning "not set").
    public func nonEmpty(_ name: String) -> String? {
        guard let v = value(name), !v.isEmpty else { return nil }
        return v
    }

    /// Parses a request line. `host` is the Host header; `endpointHosts` the configured OSS host names, used to
    /// recognise virtual-hosted requests (`bucket.<endpointHost>` for any of them). A `+` in the key decodes to a space (Go 1.5
    /// sends spaces that way; every other client encodes a literal `+` as `%2B`).
    public static func parse(host: String?, rawPath: String, rawQuery: String?, endpointHosts: [String])
        throws(OSSError) -> OSSRequestTarget
    {
        let query = try parseQuery(rawQuery)
        guard rawPath.utf8.first == UInt8(ascii: "/") else {
            throw OSSError.invalidArgument("The request path must start with '/'.")
        }
        let afterSlash = rawPath.dropFirst()
        if let bucket = virtualHostBucket(host: host, endpointHosts: endpointHosts) {
            return OSSRequestTarget(
                bucket: bucket, key: try decodeKey(afterSlash), query: query, style: .virtualHosted)
        }
        if afterSlash.isEmpty {
            return OSSRequestTarget(bucket: nil, key: nil, query: query, style: .path)
        }
        let bucketPart: Substring
        let keyPart: Substring
        if let slash = afterSlash.firstIndex(of: "/") {
            bucketPart = afterSlash[..<slash]
            keyPart = afterSlash[afterSlash.index(after: slash)...]
        } else {
            bucketPart = afterSlash
            keyPart = ""
        }
        guard let bucket = Percent.decode(bucketPart, plusAsSpace: false) else {
            throw OSSError(status: 400, code: "InvalidBucketName", message: "The specified bucket is not valid.",
                           extra: [.init("BucketName", String(bucketPart))])
        }
        return OSSRequestTarget(bucket: bucket, key: try decodeKey(keyPart), query: query, style: .path)
    }

    private static func decodeKey(_ raw: Substring) throws(OSSError) -> String? {
        if raw.isEmpty { return nil }
        guard let key = Percent.decode(raw, plusAsSpace: true) else {
            throw OSSError(status: 400, code: "InvalidObjectName", message: "The specified object is not valid.")
        }
        return key
    }

    private static func virtualHostBucket(host: String?, endpointHosts: [String]) -> String? {
        guard let host else { return nil }
        for endpointHost in endpointHosts {
            if let bucket = virtualHostBucket(host: host, endpointHost: endpointHost) { return bucket }
        }
        return nil
    }

    private static func virtualHostBucket(host: String, endpointHost: String) -> String? {
        var host = host
        guard !endpointHost.isEmpty else { return nil }
        if host.hasPrefix("[") {
            return nil  // an IPv6 literal never carries a bucket
        }
        if let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        let hostBytes = host.utf8, suffix = endpointHost.utf8
        guard hostBytes.count > suffix.count + 1 else { return nil }
        let dot = hostBytes.index(hostBytes.endIndex, offsetBy: -suffix.count - 1)
        guard hostBytes[dot] == UInt8(ascii: "."),
              zip(hostBytes[hostBytes.index(after: dot)...], suffix).allSatisfy({ lower($0) == lower($1) })
        else { return nil }
        return String(decoding: hostBytes[..<dot].map(lower), as: UTF8.self)
    }

    private static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }

    private static func parseQuery(_ raw: String?) throws(OSSError) -> [QueryItem] {
        guard let raw, !raw.isEmpty else { return [] }
        var items: [QueryItem] = []
        for piece in raw.split(separator: "&", omittingEmptySubsequences: true) {
            // Go 1.5 sends `??objectMeta`: the extra `?` starts an unsigned marker to ignore.
            if piece.utf8.first == UInt8(ascii: "?") { continue }
            let name: Substring, value: Substring?
            if let eq = piece.firstIndex(of: "=") {
                name = piece[..<eq]
                value = piece[piece.index(after: eq)...]
            } else {
                name = piece
                value = nil
            }
            guard let n = Percent.decode(name, plusAsSpace: true) else {
                throw OSSError.invalidArgument("Malformed query parameter name.", name: String(name))
            }
            var v: String?
            if let value {
                guard let decoded = Percent.decode(value, plusAsSpace: true) else {
                    throw OSSError.invalidArgument("Malformed query parameter value.", name: n, value: String(value))
                }
                v = decoded
            }
            items.append(QueryItem(n, v))
        }
        return items
    }
}

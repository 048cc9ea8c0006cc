import Foundation
import LanyardCrypto

/// The credential scope of an OSS V4 signature: `<yyyymmdd>/<region>/<product>/aliyun_v4_request`.
public struct OSSV4Scope: Sendable, Hashable {
    /// `yyyymmdd`.
    public let date: String
    /// Region id, e.g. `cn-hangzhou`.
    public let region: String
    /// Product, `oss`.
    public let product: String

    /// Creates a scope.
    public init(date: String, region: String, product: String = "oss") {
        self.date = date
        self.region = region
        self.product = product
    }

    /// Parses the scope text (without the AccessKeyId); nil if it does not have that shape.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[3] == "aliyun_v4_request", parts[0].utf8.count == 8,
            parts[0].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), !parts[1].isEmpty,
            !parts[2].isEmpty
        else { return nil }
        self.init(date: String(parts[0]), region: String(parts[1]), product: String(parts[2]))
    }

    /// `date/region/product/aliyun_v4_request`.
    public var text: String { "\(date)/\(region)/\(product)/aliyun_v4_request" }
}

/// OSS signature V4 (`OSS4-HMAC-SHA256`), the default of alibabacloud-oss-v2, the Go SDK v2 and ossutil 2.
public enum OSSSignatureV4 {
    /// The algorithm name in headers and `x-oss-signature-version`.
    public static let algorithm = "OSS4-HMAC-SHA256"
    /// The payload hash clients send in `x-oss-content-sha256`.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// `/bucket/key` RFC 3986-encoded keeping `/` (what every client signs, Go 3.x and alibabacloud-oss-v2
    /// included, even when the key went out with `%2F`), `/bucket/` without a key, `/` without a bucket.
    public static func canonicalURI(bucket: String?, key: String?) -> String {
        guard let bucket, !bucket.isEmpty else { return "/" }
        var out = [UInt8]()
        out.append(UInt8(ascii: "/"))
        PercentEncoding.appendEncoded(bucket, keepingSlash: true, to: &out)
        out.append(UInt8(ascii: "/"))
        if let key { PercentEncoding.appendEncoded(key, keepingSlash: true, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// All query parameters (but those named in `excluding`), names and values RFC 3986-encoded, sorted by
    /// encoded name (then value), `k=v` or bare `k` when the value is empty or absent, joined with `&`.
    public static func canonicalQuery(_ query: [(name: String, value: String?)], excluding: Set<String> = [])
        -> String
    {
        var encoded: [(name: String, value: String)] = []
        encoded.reserveCapacity(query.count)
        for pair in query where !excluding.contains(pair.name) {
            encoded.append((PercentEncoding.rfc3986(pair.name), PercentEncoding.rfc3986(pair.value ?? "")))
        }
        encoded.sort { a, b in
            a.name == b.name ? HeaderText.precedes(a.value, b.value) : HeaderText.precedes(a.name, b.name)
        }
        var out = [UInt8]()
        for (offset, pair) in encoded.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: "&")) }
            out.append(contentsOf: pair.name.utf8)
            if !pair.value.isEmpty {
                out.append(UInt8(ascii: "="))
                out.append(contentsOf: pair.value.utf8)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether a header is signed by default: `x-oss-*`, `content-type`, `content-md5` (lower-case name).
    public static func isDefaultSigned(_ lowercasedName: String) -> Bool {
        lowercasedName.hasPrefix("x-oss-") || lowercasedName == "content-type" || lowercasedName == "content-md5"
    }

    /// `name:value\n` for every default-signed header and every header named in `additionalHeaders`
    /// (lower-cased names, trimmed values, first value of a repeated header), sorted by name.
    public static func canonicalHeaders(_ headers: [(name: String, value: String)], additionalHeaders: [String])
        -> String
    {
        var selected: [(name: String, value: String)] = []
        for header in headers {
            let name = HeaderText.lowercased(header.name)
            guard isDefaultSigned(name) || additionalHeaders.contains(name),
                !selected.contains(where: { $0.name == name })
            else { continue }
            selected.append((name, HeaderText.trimmed(header.value)))
        }
        selected.sort { HeaderText.precedes($0.name, $1.name) }
        var out = [UInt8]()
        for header in selected {
            out.append(contentsOf: header.name.utf8)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: header.value.utf8)
            out.append(10)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical request: method, canonical URI, canonical query, canonical headers, an empty line, the
    /// additional header names joined with `;` (in the given order), and the payload hash (`x-oss-content-sha256`
    /// or `UNSIGNED-PAYLOAD`). `excludingQuery` drops parameters (`x-oss-signature` when verifying a URL).
    public static func canonicalRequest(
        parts: OSSRequestParts, additionalHeaders: [String], excludingQuery: Set<String> = []
    ) -> String {
        var text = parts.method
        text += "\n"
        text += canonicalURI(bucket: parts.bucket, key: parts.key)
        text += "\n"
        text += canonicalQuery(parts.query, excluding: excludingQuery)
        text += "\n"
        text += canonicalHeaders(parts.headers, additionalHeaders: additionalHeaders)
        text += "\n"
        text += additionalHeaders.joined(separator: ";")
        text += "\n"
        text += parts.header("x-oss-content-sha256").map(HeaderText.trimmed) ?? unsignedPayload
        return text
    }

    /// `OSS4-HMAC-SHA256\n<timestamp>\n<scope>\n<hex sha256(canonical request)>`.
    public static func stringToSign(timestamp: String, scope: OSSV4Scope, canonicalRequest: String) -> String {
        algorithm + "\n" + timestamp + "\n" + scope.text + "\n"
            + Digest.hash(.sha256, Array(canonicalRequest.utf8)).hexString
    }

    /// The signing key: HMAC-SHA256 chained over date, region, product and `aliyun_v4_request`, starting from
    /// the key `"aliyun_v4" + secret`. Servers may cache it per (secret, date, region).
    public static func signingKey(secret: String, date: String, region: String, product: String = "oss") -> [UInt8] {
        var key = HMAC.authenticationCode(.sha256, key: Array(("aliyun_v4" + secret).utf8), message: Array(date.utf8))
        key = HMAC.authenticationCode(.sha256, key: key, message: Array(region.utf8))
        key = HMAC.authenticationCode(.sha256, key: key, message: Array(product.utf8))
        return HMAC.authenticationCode(.sha256, key: key, message: Array("aliyun_v4_request".utf8))
    }

    /// Lower-case hex HMAC-SHA256 of the string to sign under a signing key.
    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        HMAC.authenticationCode(.sha256, key: signingKey, message: Array(stringToSign.utf8)).hexString
    }

    /// The signature of a string to sign for a secret and scope.
    public static func signature(stringToSign: String, secret: String, scope: OSSV4Scope) -> String {
        signature(
            signingKey: signingKey(secret: secret, date: scope.date, region: scope.region, product: scope.product),
            stringToSign: stringToSign)
    }

    /// The additional headers a client may sign: lower-cased, not default-signed, present with a non-empty
    /// value in `headers`, sorted and unique.
    static func effectiveAdditionalHeaders(_ requested: [String], headers: [(name: String, value: String)])
        -> [String]
    {
        var names: [String] = []
        for name in requested.map(HeaderText.lowercased).sorted(by: HeaderText.precedes)
        where !isDefaultSigned(name) && names.last != name
            && !(HeaderText.first(name, in: headers) ?? "").isEmpty
        {
            names.append(name)
        }
        return names
    }

    /// Client side, header signing: returns the headers to add to `parts`: `x-oss-date`,
    /// `x-oss-content-sha256: UNSIGNED-PAYLOAD` (unless `parts` has one), `x-oss-security-token` when given,
    /// and `authorization`. `additionalHeaders` names headers of `parts` to sign as well (e.g. `host`, `range`).
    public static func sign(
        _ parts: OSSRequestParts, accessKeyId: String, secret: String, securityToken: String?, region: String,
        date: Date, additionalHeaders: [String] = []
    ) -> [(name: String, value: String)] {
        let timestamp = SigningTime.iso8601Basic(date)
        let scope = OSSV4Scope(date: String(timestamp.prefix(8)), region: region)
        var added: [(name: String, value: String)] = [("x-oss-date", timestamp)]
        if parts.header("x-oss-content-sha256") == nil { added.append(("x-oss-content-sha256", unsignedPayload)) }
        if let securityToken { added.append(("x-oss-security-token", securityToken)) }
        var signed = parts
        signed.headers.removeAll { HeaderText.equalsIgnoringCase($0.name, "x-oss-date") }
        signed.headers += added
        let additional = effectiveAdditionalHeaders(additionalHeaders, headers: signed.headers)
        let canonical = canonicalRequest(parts: signed, additionalHeaders: additional)
        let signature = signature(
            stringToSign: stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical),
            secret: secret, scope: scope)
        var value = "\(algorithm) Credential=\(accessKeyId)/\(scope.text)"
        if !additional.isEmpty { value += ",AdditionalHeaders=" + additional.joined(separator: ";") }
        value += ",Signature=" + signature
        added.append(("authorization", value))
        return added
    }

    /// Client side, presigned URL: returns the query parameters to append to `parts.query`:
    /// `x-oss-signature-version`, `x-oss-date`, `x-oss-expires` (relative seconds), `x-oss-credential`,
    /// `x-oss-security-token` when given, `x-oss-additional-headers` when any, and `x-oss-signature`.
    public static func presign(
        _ parts: OSSRequestParts, accessKeyId: String, secret: String, securityToken: String?, region: String,
        date: Date, expiresIn: Int, additionalHeaders: [String] = []
    ) -> [(name: String, value: String)] {
        let timestamp = SigningTime.iso8601Basic(date)
        let scope = OSSV4Scope(date: String(timestamp.prefix(8)), region: region)
        let additional = effectiveAdditionalHeaders(additionalHeaders, headers: parts.headers)
        var added: [(name: String, value: String)] = [
            ("x-oss-signature-version", algorithm), ("x-oss-date", timestamp), ("x-oss-expires", String(expiresIn)),
            ("x-oss-credential", "\(accessKeyId)/\(scope.text)"),
        ]
        if let securityToken { added.append(("x-oss-security-token", securityToken)) }
        if !additional.isEmpty { added.append(("x-oss-additional-headers", additional.joined(separator: ";"))) }
        var signed = parts
        signed.query += added.map { ($0.name, $0.value) }
        let canonical = canonicalRequest(parts: signed, additionalHeaders: additional)
        added.append(
            ("x-oss-signature",
             signature(
                stringToSign: stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical),
                secret: secret, scope: scope)))
        return added
    }
}

import Foundation
import LanyardCrypto

// Stand-in for AlibabaCloudSigning's OSS part (CONTRACTS.md), deleted when AlibabaCloudSigning is merged.

/// Stand-in.
public struct OSSRequestParts: Sendable {
    public var method: String
    public var bucket: String?
    public var key: String?
    public var query: [(name: String, value: String?)]
    public var headers: [(name: String, value: String)]
    /// Stand-in.
    public init(method: String, bucket: String?, key: String?, query: [(name: String, value: String?)],
                headers: [(name: String, value: String)]) {
        self.method = method; self.bucket = bucket; self.key = key; self.query = query; self.headers = headers
    }
}

private func header(_ parts: OSSRequestParts, _ name: String) -> String {
    parts.headers.first { $0.name.lowercased() == name }?.value ?? ""
}

private func encode3986(_ s: String, keepSlash: Bool) -> String {
    var out = ""
    for b in s.utf8 {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
             UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(b))
        case UInt8(ascii: "/") where keepSlash: out += "/"
        default:
            let hex = Array("0123456789ABCDEF")
            out += "%\(hex[Int(b >> 4)])\(hex[Int(b & 15)])"
        }
    }
    return out
}

/// Stand-in: OSS signature V1.
public enum OSSSignatureV1 {
    static let subresources: Set<String> = [
        "acl", "uploads", "location", "cors", "logging", "website", "referer", "lifecycle", "delete", "append",
        "tagging", "objectMeta", "uploadId", "partNumber", "security-token", "position", "bucketInfo", "stat",
        "symlink", "restore", "x-oss-process", "response-content-type", "response-content-language",
        "response-expires", "response-cache-control", "response-content-disposition", "response-content-encoding",
        "callback", "callback-var", "versions", "versioning", "versionId", "continuation-token", "policy",
        "encryption", "qos", "requestPayment", "worm", "inventory",
    ]
    /// Stand-in.
    public static func stringToSign(parts: OSSRequestParts, date: String) -> String {
        var ossHeaders: [(String, String)] = []
        var seen = Set<String>()
        for (name, value) in parts.headers {
            let lower = name.lowercased()
            if lower.hasPrefix("x-oss-"), seen.insert(lower).inserted { ossHeaders.append((lower, value)) }
        }
        ossHeaders.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        var resource = "/"
        if let bucket = parts.bucket { resource += bucket + "/" + (parts.key ?? "") }
        let sub = parts.query.filter { subresources.contains($0.name) }
            .sorted { $0.name < $1.name }
            .map { ($0.value ?? "").isEmpty ? $0.name : "\($0.name)=\($0.value!)" }
        if !sub.isEmpty { resource += "?" + sub.joined(separator: "&") }
        var s = "\(parts.method)\n\(header(parts, "content-md5"))\n\(header(parts, "content-type"))\n\(date)\n"
        for (n, v) in ossHeaders { s += "\(n):\(v)\n" }
        return s + resource
    }
    /// Stand-in.
    public static func signature(stringToSign: String, secret: String) -> String {
        HMAC.authenticationCode(.sha1, key: secret, message: stringToSign).base64String
    }
}

/// Stand-in: OSS signature V4.
public enum OSSSignatureV4 {
    /// Stand-in.
    public static func canonicalRequest(parts: OSSRequestParts, additionalHeaders: [String], payloadHash: String)
        -> String
    {
        var uri = "/"
        if let bucket = parts.bucket { uri += bucket + "/" + (parts.key ?? "") }
        var pairs: [(String, String)] = []
        for item in parts.query {
            pairs.append((encode3986(item.name, keepSlash: false), encode3986(item.value ?? "", keepSlash: false)))
        }
        pairs.sort { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        var queryParts: [String] = []
        for (k, v) in pairs { queryParts.append(v.isEmpty ? k : k + "=" + v) }
        let query = queryParts.joined(separator: "&")
        let extra = Set(additionalHeaders.map { $0.lowercased() })
        var headers: [String: String] = [:]
        for (name, value) in parts.headers {
            let lower = name.lowercased()
            if lower.hasPrefix("x-oss-") || lower == "content-type" || lower == "content-md5" || extra.contains(lower) {
                if headers[lower] == nil { headers[lower] = value.trimmingCharacters(in: .whitespaces) }
            }
        }
        var s = "\(parts.method)\n\(encode3986(uri, keepSlash: true))\n\(query)\n"
        for name in headers.keys.sorted() { s += "\(name):\(headers[name]!)\n" }
        let additional: [String] = additionalHeaders.map { $0.lowercased() }.sorted()
        s += "\n"
        s += additional.joined(separator: ";")
        s += "\n"
        s += payloadHash
        return s
    }
    /// Stand-in.
    public static func stringToSign(canonicalRequest: String, timestamp: String, scope: String) -> String {
        "OSS4-HMAC-SHA256\n\(timestamp)\n\(scope)\n" + Digest.hash(.sha256, Array(canonicalRequest.utf8)).hexString
    }
    /// Stand-in.
    public static func signingKey(secret: String, date: String, region: String) -> [UInt8] {
        var key = HMAC.authenticationCode(.sha256, key: Array(("aliyun_v4" + secret).utf8), message: Array(date.utf8))
        for part in [region, "oss", "aliyun_v4_request"] {
            key = HMAC.authenticationCode(.sha256, key: key, message: Array(part.utf8))
        }
        return key
    }
    /// Stand-in.
    public static func signature(stringToSign: String, signingKey: [UInt8]) -> String {
        HMAC.authenticationCode(.sha256, key: signingKey, message: Array(stringToSign.utf8)).hexString
    }
}

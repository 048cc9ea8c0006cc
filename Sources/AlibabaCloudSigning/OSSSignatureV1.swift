import Foundation
import LanyardCrypto

/// OSS signature V1 (`Authorization: OSS <ak>:<sig>` and presigned `OSSAccessKeyId`/`Expires`/`Signature`),
/// the default of oss2, the Go SDK 1.x/3.x and ossutil 1.x.
///
/// String to sign: `VERB\nContent-MD5\nContent-Type\nDate\n` + CanonicalizedOSSHeaders + CanonicalizedResource.
public enum OSSSignatureV1 {
    /// Query parameters that are part of the canonicalized resource: the union of the Go SDK 3.x `signKeyList`,
    /// oss2 2.19 `_subresource_key_set` and alibabacloud-oss-v2 1.4 `_subresource_key_set`.
    public static let subresources: Set<String> = [
        "accessPoint", "accessPointPolicy", "acl", "append", "asyncFetch", "bucketArchiveDirectRead", "bucketInfo",
        "callback", "callback-var", "cloudboxes", "cname", "comp", "continuation-token", "cors", "delete",
        "encryption", "endTime", "group", "httpsConfig", "img", "inventory", "inventoryId", "lifecycle", "link",
        "live", "location", "logging", "metaQuery", "objectInfo", "objectMeta", "partNumber", "policy", "position",
        "publicAccessBlock", "qos", "qosInfo", "qosRequester", "redundancyTransition", "referer", "regionList",
        "replication", "replicationLocation", "replicationProgress", "requestPayment", "requesterQosInfo",
        "resourceGroup", "resourcePool", "resourcePoolBuckets", "resourcePoolInfo", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires", "responseHeader", "restore", "rtc", "security-token",
        "sequential", "startTime", "stat", "status", "style", "styleName", "symlink", "tagging",
        "transferAcceleration", "udf", "udfApplication", "udfApplicationLog", "udfId", "udfImage", "udfImageDesc",
        "udfName", "uploadId", "uploads", "versionId", "versioning", "versions", "vod", "website", "withHashContext",
        "worm", "wormExtend", "wormId", "x-oss-ac-forward-allow", "x-oss-ac-source-ip", "x-oss-ac-subnet-mask",
        "x-oss-ac-vpc-id", "x-oss-access-point-name", "x-oss-async-process", "x-oss-enable-md5", "x-oss-enable-sha1",
        "x-oss-enable-sha256", "x-oss-hash-ctx", "x-oss-md5-ctx", "x-oss-process",
        "x-oss-redundancy-transition-taskid", "x-oss-request-payer", "x-oss-target-redundancy-type",
        "x-oss-traffic-limit", "x-oss-write-get-object-response",
    ]

    /// Every `x-oss-*` header as `name:value\n` (name lower-cased, value trimmed, first value of a repeated
    /// header only), sorted by name.
    public static func canonicalizedOSSHeaders(_ headers: [(name: String, value: String)]) -> String {
        var selected: [(name: String, value: String)] = []
        for header in headers where HeaderText.hasPrefixIgnoringCase(header.name, "x-oss-") {
            let name = HeaderText.lowercased(header.name)
            if !selected.contains(where: { $0.name == name }) {
                selected.append((name, HeaderText.trimmed(header.value)))
            }
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

    /// `/bucket/key` (decoded key), `/bucket/` or `/`, then `?` and the whitelisted sub-resources sorted by
    /// name, each `k` (valueless or empty) or `k=v` (decoded value), joined with `&`.
    public static func canonicalizedResource(bucket: String?, key: String?, query: [(name: String, value: String?)])
        -> String
    {
        var out = [UInt8]()
        out.append(UInt8(ascii: "/"))
        if let bucket, !bucket.isEmpty {
            out.append(contentsOf: bucket.utf8)
            out.append(UInt8(ascii: "/"))
            if let key { out.append(contentsOf: key.utf8) }
        }
        let sub = query.filter { subresources.contains($0.name) }.sorted { a, b in
            a.name == b.name ? HeaderText.precedes(a.value ?? "", b.value ?? "") : HeaderText.precedes(a.name, b.name)
        }
        for (offset, pair) in sub.enumerated() {
            out.append(offset == 0 ? UInt8(ascii: "?") : UInt8(ascii: "&"))
            out.append(contentsOf: pair.name.utf8)
            if let value = pair.value, !value.isEmpty {
                out.append(UInt8(ascii: "="))
                out.append(contentsOf: value.utf8)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The Date line a header-signed request uses: `x-oss-date` if present (oss2, alibabacloud-oss-v2),
    /// else `Date`, else empty.
    public static func dateLine(_ parts: OSSRequestParts) -> String {
        parts.header("x-oss-date") ?? parts.header("date") ?? ""
    }

    /// The string to sign; `date` is the Date line (the `Date` header, or `Expires` for presigned URLs).
    public static func stringToSign(parts: OSSRequestParts, date: String) -> String {
        var text = parts.method
        text += "\n"
        text += HeaderText.trimmed(parts.header("content-md5") ?? "")
        text += "\n"
        text += HeaderText.trimmed(parts.header("content-type") ?? "")
        text += "\n"
        text += date
        text += "\n"
        text += canonicalizedOSSHeaders(parts.headers)
        text += canonicalizedResource(bucket: parts.bucket, key: parts.key, query: parts.query)
        return text
    }

    /// Base64 HMAC-SHA1 of the string to sign, keyed with the secret.
    public static func signature(stringToSign: String, secret: String) -> String {
        HMAC.authenticationCode(.sha1, key: secret, message: stringToSign).base64String
    }

    /// Client side, header signing: returns the headers to add to `parts` (`date`, `x-oss-security-token` when
    /// given, `authorization`). A `date` header already in `parts` is kept and signed instead.
    public static func sign(
        _ parts: OSSRequestParts, accessKeyId: String, secret: String, securityToken: String?, date: Date
    ) -> [(name: String, value: String)] {
        var signed = parts
        var added: [(name: String, value: String)] = []
        if signed.header("date") == nil { added.append(("date", SigningTime.rfc1123(date))) }
        if let securityToken { added.append(("x-oss-security-token", securityToken)) }
        signed.headers += added
        let signature = signature(stringToSign: stringToSign(parts: signed, date: dateLine(signed)), secret: secret)
        added.append(("authorization", "OSS \(accessKeyId):\(signature)"))
        return added
    }

    /// Client side, presigned URL: returns the query parameters to append to `parts.query`
    /// (`security-token` when given, `OSSAccessKeyId`, `Expires` as absolute Unix seconds, `Signature`).
    public static func presign(
        _ parts: OSSRequestParts, accessKeyId: String, secret: String, securityToken: String?, expires: Date
    ) -> [(name: String, value: String)] {
        var signed = parts
        var added: [(name: String, value: String)] = []
        if let securityToken {
            added.append(("security-token", securityToken))
            signed.query.append(("security-token", securityToken))
        }
        let expiresText = String(SigningTime.unixSeconds(expires))
        let signature = signature(stringToSign: stringToSign(parts: signed, date: expiresText), secret: secret)
        added.append(("OSSAccessKeyId", accessKeyId))
        added.append(("Expires", expiresText))
        added.append(("Signature", signature))
        return added
    }
}

import AlibabaCloudSigning
import Foundation

/// 2024-03-05T07:08:09Z, the fixed signing time used when generating the vendor vectors.
let vectorDate = Date(timeIntervalSince1970: 1_709_622_489)

/// Splits a request target (`/bucket/key?query`) the way the object store does: bucket = first path
/// segment, key = the percent-decoded rest, query form-decoded in order.
func ossParts(_ method: String, _ target: String, headers: [(name: String, value: String)] = []) -> OSSRequestParts {
    let (path, rawQuery) =
        target.firstIndex(of: "?").map { (String(target[..<$0]), String(target[target.index(after: $0)...])) }
        ?? (target, "")
    let trimmed = path.dropFirst()
    var bucket: String?
    var key: String?
    if let slash = trimmed.firstIndex(of: "/") {
        bucket = String(trimmed[..<slash])
        let rawKey = String(trimmed[trimmed.index(after: slash)...])
        key = rawKey.isEmpty ? nil : PercentEncoding.decode(rawKey)
    } else if !trimmed.isEmpty {
        bucket = String(trimmed)
    }
    let query = PercentEncoding.parseQuery(rawQuery).map { (name: $0.name, value: Optional($0.value)) }
    return OSSRequestParts(method: method, bucket: bucket, key: key, query: query, headers: headers)
}

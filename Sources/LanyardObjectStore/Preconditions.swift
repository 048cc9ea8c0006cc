/// Outcome of the conditional request headers against an object.
enum PreconditionOutcome: Equatable {
    case proceed
    case notModified      // 304, no body
    case failed           // 412 PreconditionFailed
}

/// `If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since` (or their `x-oss-copy-source-if-*`
/// twins) evaluated against an ETag and a modification time.
struct Preconditions {
    var ifMatch: String?
    var ifNoneMatch: String?
    var ifModifiedSince: String?
    var ifUnmodifiedSince: String?

    /// Compares ETags without quotes, ignoring case; `*` matches anything.
    static func etagMatches(_ header: String, _ etag: String) -> Bool {
        let target = etag.trimmingQuotes
        return header.split(separator: ",").contains { candidate in
            let c = candidate.trimmingSpaces.trimmingQuotes
            return c == "*" || c.caseInsensitiveCompare(target) == .orderedSame
        }
    }

    /// `failureIsPreconditionFailed` is false for plain GET/HEAD (a failing If-None-Match / If-Modified-Since
    /// gives 304) and true for copy-source conditions, where every failure is 412.
    func evaluate(etag: String, modifiedSeconds: Int64, copySource: Bool = false) -> PreconditionOutcome {
        if let ifMatch, !Self.etagMatches(ifMatch, etag) { return .failed }
        if ifMatch == nil, let ifUnmodifiedSince, let t = HTTPTime.parseRFC1123(ifUnmodifiedSince),
           modifiedSeconds > t { return .failed }
        if let ifNoneMatch, Self.etagMatches(ifNoneMatch, etag) { return copySource ? .failed : .notModified }
        if ifNoneMatch == nil, let ifModifiedSince, let t = HTTPTime.parseRFC1123(ifModifiedSince),
           modifiedSeconds <= t { return copySource ? .failed : .notModified }
        return .proceed
    }
}

extension StringProtocol {
    var trimmingQuotes: Substring {
        var s = Substring(self)
        if s.first == "\"" { s = s.dropFirst() }
        if s.last == "\"" { s = s.dropLast() }
        return s
    }
}

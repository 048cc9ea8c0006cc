/// A single byte range resolved against an object's size.
public struct ByteRange: Sendable, Hashable {
    /// First byte, inclusive.
    public let first: Int64
    /// Last byte, inclusive.
    public let last: Int64
    /// Number of bytes.
    public var length: Int64 { last - first + 1 }

    /// Parses `Range: bytes=a-b | a- | -n` against `size`. Returns nil for anything OSS treats as "no range"
    /// (malformed, several ranges, start beyond the end, a > b, an empty object): the whole object is sent
    /// with 200. An end beyond the object is clamped.
    public static func parse(_ header: String?, size: Int64) -> ByteRange? {
        guard let header, size > 0 else { return nil }
        let trimmed = header.trimmingSpaces
        guard trimmed.hasPrefix("bytes=") else { return nil }
        let spec = trimmed.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let a = spec[..<dash].trimmingSpaces, b = spec[spec.index(after: dash)...].trimmingSpaces
        if a.isEmpty {
            guard let n = Self.number(b), n > 0 else { return nil }
            return ByteRange(first: max(0, size - n), last: size - 1)
        }
        guard let start = Self.number(a), start < size else { return nil }
        if b.isEmpty { return ByteRange(first: start, last: size - 1) }
        guard let end = Self.number(b), end >= start else { return nil }
        return ByteRange(first: start, last: min(end, size - 1))
    }

    /// What a `Range` header asks for under `x-oss-range-behavior: standard` (RFC 9110): like ``parse(_:size:)``,
    /// except that a well-formed range starting at or beyond the end (or any range of an empty object) cannot be
    /// satisfied (416 `InvalidRange`) instead of meaning the whole object.
    public enum Standard: Sendable, Hashable {
        /// No usable range header: the whole object, 200.
        case whole
        /// A satisfiable range: 206.
        case range(ByteRange)
        /// Unsatisfiable: 416.
        case unsatisfiable
    }

    /// Resolves `header` against `size` with the standard behaviour.
    public static func standard(_ header: String?, size: Int64) -> Standard {
        if let range = parse(header, size: size) { return .range(range) }
        guard let header else { return .whole }
        let trimmed = header.trimmingSpaces
        guard trimmed.hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let a = spec[..<dash].trimmingSpaces, b = spec[spec.index(after: dash)...].trimmingSpaces
        if a.isEmpty { return number(b) != nil ? .unsatisfiable : .whole }   // a suffix of an empty object
        guard let start = number(a) else { return .whole }
        if !b.isEmpty {
            guard let end = number(b), end >= start else { return .whole }
        }
        return .unsatisfiable
    }

    /// A position of a range header: decimal digits only; more than `Int64` holds means beyond any object, so it
    /// saturates (a huge end is clamped to the object, a huge start lies past its end) instead of being malformed.
    private static func number(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(text) ?? .max
    }

    /// `bytes a-b/total` for `Content-Range`.
    public func contentRange(size: Int64) -> String { "bytes \(first)-\(last)/\(size)" }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}

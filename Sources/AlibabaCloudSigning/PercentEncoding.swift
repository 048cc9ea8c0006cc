/// Percent-encoding and query parsing shared by every Alibaba Cloud signature scheme.
///
/// All functions work on UTF-8 bytes and never touch Foundation, because they run on the server's
/// request path for every signed call.
public enum PercentEncoding {
    /// Whether `byte` is an RFC 3986 unreserved character: `A-Z a-z 0-9 - _ . ~`.
    @inlinable
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// RFC 3986 encoding: unreserved characters stay literal, every other UTF-8 byte becomes `%XX` with
    /// upper-case hex (so space is `%20`, `*` is `%2A`, `/` is `%2F`).
    public static func rfc3986(_ s: String) -> String {
        rfc3986(s, keepingSlash: false)
    }

    /// RFC 3986 encoding that optionally leaves `/` literal (object keys in OSS V4 canonical URIs).
    public static func rfc3986(_ s: String, keepingSlash: Bool) -> String {
        if s.utf8.allSatisfy({ isUnreserved($0) || (keepingSlash && $0 == UInt8(ascii: "/")) }) { return s }
        var out = [UInt8]()
        out.reserveCapacity(s.utf8.count * 3)
        appendEncoded(s, keepingSlash: keepingSlash, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the RFC 3986 encoding of `s` to `out`.
    static func appendEncoded(_ s: some StringProtocol, keepingSlash: Bool = false, to out: inout [UInt8]) {
        for byte in s.utf8 {
            if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0f))
            }
        }
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") - 10 + nibble
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Form decoding of a query or `application/x-www-form-urlencoded` component: `+` becomes a space and
    /// `%XX` is decoded. Returns nil for a truncated or non-hex escape or for bytes that are not UTF-8.
    public static func decodeForm(_ s: String) -> String? {
        var s = s
        return s.withUTF8 { decode($0[...], plusAsSpace: true) }
    }

    /// Decodes `%XX` escapes only (a `+` stays a `+`), as for URL paths. Returns nil for a malformed escape
    /// or for bytes that are not UTF-8.
    public static func decode(_ s: String) -> String? {
        var s = s
        return s.withUTF8 { decode($0[...], plusAsSpace: false) }
    }

    static func decode(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, plusAsSpace: Bool) -> String? {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(validating: bytes, as: UTF8.self)
        }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        let end = bytes.endIndex
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < end, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                else { return nil }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Parses a raw query string (or form body) into decoded pairs, keeping their order, duplicates and
    /// parameters without `=` (value `""`). Empty segments (`a=1&&b=2`) are skipped. A component that cannot
    /// be decoded is kept as received, so it can only ever fail a signature check, never pass one.
    public static func parseQuery(_ raw: String) -> [(name: String, value: String)] {
        var raw = raw
        return raw.withUTF8 { buffer in
            var result: [(name: String, value: String)] = []
            var segmentStart = 0
            var equals: Int?
            for index in 0...buffer.count {
                if index == buffer.count || buffer[index] == UInt8(ascii: "&") {
                    if index > segmentStart {
                        if let equals {
                            result.append(
                                (decodeOrKeep(buffer[segmentStart..<equals]), decodeOrKeep(buffer[(equals + 1)..<index])))
                        } else {
                            result.append((decodeOrKeep(buffer[segmentStart..<index]), ""))
                        }
                    }
                    segmentStart = index + 1
                    equals = nil
                } else if equals == nil && buffer[index] == UInt8(ascii: "=") {
                    equals = index
                }
            }
            return result
        }
    }

    private static func decodeOrKeep(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        decode(bytes, plusAsSpace: true) ?? String(decoding: bytes, as: UTF8.self)
    }

    /// Builds a query string from pairs with RFC 3986 encoding, in the given order; a nil value is written
    /// as a bare name (`acl`), an empty one as `name=`.
    public static func formatQuery(_ pairs: [(name: String, value: String?)]) -> String {
        var out = [UInt8]()
        for (offset, pair) in pairs.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: "&")) }
            appendEncoded(pair.name, to: &out)
            if let value = pair.value {
                out.append(UInt8(ascii: "="))
                appendEncoded(value, to: &out)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

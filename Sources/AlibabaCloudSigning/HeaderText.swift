/// Small allocation-free helpers for header names and values (ASCII case rules, as HTTP defines them).
enum HeaderText {
    /// `name` in ASCII lower case; returns `name` itself when it has no upper-case letter.
    static func lowercased(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return name }
        return String(decoding: name.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 },
            as: UTF8.self)
    }

    /// ASCII case-insensitive equality.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8) { lower($0) == lower($1) }
    }

    /// Whether `name` starts with `prefix` (which must be lower case), ignoring ASCII case.
    static func hasPrefixIgnoringCase(_ name: String, _ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { expectedBytes in
            var iterator = name.utf8.makeIterator()
            for expected in expectedBytes {
                guard let byte = iterator.next(), lower(byte) == expected else { return false }
            }
            return true
        }
    }

    /// `value` without leading and trailing spaces and tabs.
    static func trimmed(_ value: String) -> String {
        let utf8 = value.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        if first == utf8.startIndex && last == utf8.index(before: utf8.endIndex) { return value }
        return String(Substring(utf8[first...last]))
    }

    /// The first value of header `name` (ASCII case-insensitive) in an ordered header list.
    static func first(_ name: String, in headers: [(name: String, value: String)]) -> String? {
        headers.first { equalsIgnoringCase($0.name, name) }?.value
    }

    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// Byte-wise (UTF-8) ordering, as the vendors' sorts use.
    @inline(__always)
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

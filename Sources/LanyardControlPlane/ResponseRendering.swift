import Foundation

/// An object whose members keep the given order when rendered (error bodies).
struct OrderedObject: Sendable {
    let pairs: [(String, any Sendable)]
}

/// A JSON writer for result trees of String, Int, Bool, Double, arrays and dictionaries.
///
/// Dictionaries are written with their keys sorted, except that `RequestId` comes first;
/// ``OrderedObject``s and ``object(_:)`` keep their order. Anything else is written as its description, as a string.
enum JSONText {
    /// An object with members in the given order.
    static func object(_ pairs: [(String, any Sendable)]) -> String {
        var out = [UInt8]()
        appendObject(pairs, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Any result tree as JSON text bytes.
    static func bytes(_ value: any Sendable) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(512)
        append(value, to: &out)
        return out
    }

    static func appendObject(_ pairs: [(String, any Sendable)], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(pair.0, to: &out)
            out.append(UInt8(ascii: ":"))
            append(pair.1, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func append(_ value: any Sendable, to out: inout [UInt8]) {
        switch value {
        case let text as String: appendString(text, to: &out)
        case let flag as Bool: out.append(contentsOf: (flag ? "true" : "false").utf8)
        case let number as Int: out.append(contentsOf: String(number).utf8)
        case let number as Int64: out.append(contentsOf: String(number).utf8)
        case let number as Double:
            out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
        case let dictionary as [String: any Sendable]:
            appendObject(orderedPairs(dictionary), to: &out)
        case let ordered as OrderedObject:
            appendObject(ordered.pairs, to: &out)
        case let array as [any Sendable]:
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        default: appendString(String(describing: value), to: &out)
        }
    }

    /// Dictionary members in output order: `RequestId` first, then by key.
    static func orderedPairs(_ dictionary: [String: any Sendable]) -> [(String, any Sendable)] {
        dictionary.sorted { a, b in
            if a.key == "RequestId" { return b.key != "RequestId" }
            if b.key == "RequestId" { return false }
            return a.key < b.key
        }.map { ($0.key, $0.value) }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Most strings need no escaping: copy the runs between escapes in one go.
            var start = 0
            for (index, byte) in bytes.enumerated()
            where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    out.append(contentsOf: "u00".utf8)
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0x0f)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// The XML rendering of result trees (`Format=XML`): `<?xml ...?><Root>...</Root>`, a dictionary as child
/// elements, an array as the same element repeated (`{"Roles":{"Role":[a,b]}}` →
/// `<Roles><Role>a</Role><Role>b</Role></Roles>`).
enum XMLText {
    /// The document for `value` under the element `root`.
    static func document(root: String, _ value: any Sendable) -> [UInt8] {
        var out = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>".utf8)
        element(root, value, to: &out)
        return out
    }

    private static func element(_ name: String, _ value: any Sendable, to out: inout [UInt8]) {
        if let array = value as? [any Sendable], !(value is String) {
            for item in array { element(name, item, to: &out) }
            return
        }
        out.append(UInt8(ascii: "<"))
        out.append(contentsOf: name.utf8)
        out.append(UInt8(ascii: ">"))
        switch value {
        case let dictionary as [String: any Sendable]:
            for (key, child) in JSONText.orderedPairs(dictionary) { element(key, child, to: &out) }
        case let ordered as OrderedObject:
            for (key, child) in ordered.pairs { element(key, child, to: &out) }
        case let text as String: appendEscaped(text, to: &out)
        case let flag as Bool: out.append(contentsOf: (flag ? "true" : "false").utf8)
        default: appendEscaped(String(describing: value), to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "<"), UInt8(ascii: "/")])
        out.append(contentsOf: name.utf8)
        out.append(UInt8(ascii: ">"))
    }

    private static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            default: out.append(byte)
            }
        }
    }
}

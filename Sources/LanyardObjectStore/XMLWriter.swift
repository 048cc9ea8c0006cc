/// Builds an XML document as UTF-8 text, escaping content; no allocation beyond the output buffer.
struct XMLWriter {
    private var out: [UInt8]

    init() {
        out = []
        out.reserveCapacity(512)
        out.append(contentsOf: #"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)
        out.append(10)
    }

    mutating func open(_ name: String) {
        out.append(UInt8(ascii: "<"))
        out.append(contentsOf: name.utf8)
        out.append(UInt8(ascii: ">"))
    }

    mutating func close(_ name: String) {
        out.append(contentsOf: "</".utf8)
        out.append(contentsOf: name.utf8)
        out.append(UInt8(ascii: ">"))
    }

    mutating func element(_ name: String, _ text: String) {
        open(name)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case 0..<0x20 where b != 9 && b != 10 && b != 13:
                // Not representable in XML 1.0; clients asked for URL encoding see it encoded instead.
                out.append(contentsOf: "&#xFFFD;".utf8)
            default: out.append(b)
            }
        }
        close(name)
    }

    mutating func element(_ name: String, _ value: Int64) { element(name, String(value)) }
    mutating func element(_ name: String, _ value: Int) { element(name, String(value)) }
    mutating func element(_ name: String, _ value: Bool) { element(name, value ? "true" : "false") }

    var bytes: [UInt8] { out }
    func finish() -> String { String(decoding: out, as: UTF8.self) }
}

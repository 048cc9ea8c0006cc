/// ASCII-only case folding on UTF-8 bytes: `A`...`Z` become `a`...`z`, every other byte is unchanged.
@inline(__always)
func foldASCII(_ byte: UInt8) -> UInt8 {
    byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
}

/// Lower-cases the ASCII letters of `text`, leaving other characters alone.
func foldedASCIIBytes(_ text: String) -> [UInt8] {
    text.utf8.map(foldASCII)
}

/// Byte-wise equality of `input` and `expected`, optionally folding ASCII case of `input` (`expected` is
/// then already folded).
@inline(__always)
func bytesEqual(_ input: UnsafeBufferPointer<UInt8>, _ expected: [UInt8], foldingCase: Bool) -> Bool {
    guard input.count == expected.count else { return false }
    return expected.withUnsafeBufferPointer { e in
        if foldingCase {
            for i in 0..<e.count where foldASCII(input[i]) != e[i] { return false }
        } else {
            for i in 0..<e.count where input[i] != e[i] { return false }
        }
        return true
    }
}

/// Index of the start of the Unicode scalar after the one starting at `index` (UTF-8 continuation bytes
/// are `10xxxxxx`).
@inline(__always)
private func nextScalar(_ input: UnsafeBufferPointer<UInt8>, after index: Int) -> Int {
    var next = index + 1
    while next < input.count, input[next] & 0xC0 == 0x80 { next += 1 }
    return next
}

/// A wildcard pattern compiled once: `*` matches any run of characters including the empty run, `?` exactly
/// one character (one Unicode scalar, not one byte). There is no escape; `*` and `?` are always wildcards.
///
/// Patterns are classified up front so that the common shapes (`*`, a literal, `prefix*`, `*suffix`) are a
/// single length check plus a byte comparison; only the rest run the general backtracking matcher, which
/// is linear for a single `*` and at worst O(pattern × input), and never allocates.
struct WildcardPattern: Sendable, Hashable {
    private enum Shape: Sendable, Hashable {
        case anything
        case literal
        case prefix
        case suffix
        case glob
    }

    private let shape: Shape
    /// The fixed part for literal/prefix/suffix; the whole pattern for glob. Case-folded when `foldsCase`.
    private let bytes: [UInt8]
    /// When true, input is ASCII case-folded before comparison (the pattern is stored folded).
    let foldsCase: Bool

    /// Compiles `pattern`; with `foldsCase`, matching ignores ASCII letter case.
    init(_ pattern: String, foldsCase: Bool) {
        let raw = foldsCase ? foldedASCIIBytes(pattern) : Array(pattern.utf8)
        self.foldsCase = foldsCase
        let stars = raw.reduce(0) { $0 + ($1 == UInt8(ascii: "*") ? 1 : 0) }
        let hasQuestion = raw.contains(UInt8(ascii: "?"))
        if stars == 0 && !hasQuestion {
            shape = .literal
            bytes = raw
        } else if !hasQuestion && raw.allSatisfy({ $0 == UInt8(ascii: "*") }) {
            shape = .anything
            bytes = []
        } else if stars == 1 && !hasQuestion && raw.last == UInt8(ascii: "*") {
            shape = .prefix
            bytes = Array(raw.dropLast())
        } else if stars == 1 && !hasQuestion && raw.first == UInt8(ascii: "*") {
            shape = .suffix
            bytes = Array(raw.dropFirst())
        } else {
            shape = .glob
            bytes = raw
        }
    }

    /// True when this pattern matches every input.
    var matchesEverything: Bool { shape == .anything }

    /// Matches UTF-8 `input` against the pattern.
    func matches(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        switch shape {
        case .anything:
            return true
        case .literal:
            return bytesEqual(input, bytes, foldingCase: foldsCase)
        case .prefix:
            guard input.count >= bytes.count else { return false }
            return bytesEqual(UnsafeBufferPointer(rebasing: input[0..<bytes.count]), bytes, foldingCase: foldsCase)
        case .suffix:
            guard input.count >= bytes.count else { return false }
            let start = input.count - bytes.count
            // A suffix must begin on a character boundary, or "*é" could match half of another character.
            guard start == input.count || input[start] & 0xC0 != 0x80 else { return false }
            return bytesEqual(UnsafeBufferPointer(rebasing: input[start...]), bytes, foldingCase: foldsCase)
        case .glob:
            return bytes.withUnsafeBufferPointer { globMatch(pattern: $0, input: input) }
        }
    }

    /// Convenience for non-hot paths.
    func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches($0) }
    }

    private func globMatch(pattern: UnsafeBufferPointer<UInt8>, input: UnsafeBufferPointer<UInt8>) -> Bool {
        var p = 0
        var s = 0
        var starPattern = -1
        var starInput = 0
        while s < input.count {
            if p < pattern.count {
                let c = pattern[p]
                if c == UInt8(ascii: "*") {
                    starPattern = p
                    starInput = s
                    p += 1
                    continue
                }
                if c == UInt8(ascii: "?") {
                    s = nextScalar(input, after: s)
                    p += 1
                    continue
                }
                let b = foldsCase ? foldASCII(input[s]) : input[s]
                if b == c {
                    s += 1
                    p += 1
                    continue
                }
            }
            // Mismatch: let the most recent `*` swallow one more character and retry after it.
            guard starPattern >= 0 else { return false }
            starInput = nextScalar(input, after: starInput)
            s = starInput
            p = starPattern + 1
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

/// The values of one policy element (`Action`, `Resource`, a principal list): matches if any pattern does.
struct PatternList: Sendable, Hashable {
    private let patterns: [WildcardPattern]
    private let matchesEverything: Bool

    init(_ values: [String], foldsCase: Bool) {
        patterns = values.map { WildcardPattern($0, foldsCase: foldsCase) }
        matchesEverything = patterns.contains { $0.matchesEverything }
    }

    /// True when any pattern matches `input`.
    @inline(__always)
    func matches(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        if matchesEverything { return true }
        for pattern in patterns where pattern.matches(input) { return true }
        return false
    }
}

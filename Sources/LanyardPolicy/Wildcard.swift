import Foundation

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
            return true
        }
        return bytesEqual(input, e)
    }
}

/// Exact byte equality of two buffers: eight bytes at a time inline (the names and patterns compared here
/// are short, where a call to memcmp costs more than the comparison).
@inline(__always)
func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    guard a.count > 0 else { return true }
    let pa = UnsafeRawPointer(a.baseAddress!)
    let pb = UnsafeRawPointer(b.baseAddress!)
    var offset = 0
    while a.count - offset >= 8 {
        guard pa.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == pb.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        else { return false }
        offset += 8
    }
    if a.count - offset >= 4 {
        guard pa.loadUnaligned(fromByteOffset: offset, as: UInt32.self) == pb.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        else { return false }
        offset += 4
    }
    if a.count - offset >= 2 {
        guard pa.loadUnaligned(fromByteOffset: offset, as: UInt16.self) == pb.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        else { return false }
        offset += 2
    }
    return offset == a.count || a[offset] == b[offset]
}

/// Runs `body` with an ASCII-case-folded copy of `input` in temporary (stack) memory, for matching against
/// pre-folded patterns. (Not generic on purpose: left unspecialized, a generic version costs a metadata
/// lookup per call.)
@inline(__always)
func withFoldedASCII(_ input: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(input.count, 1)) { buffer in
        for i in 0..<input.count { buffer[i] = foldASCII(input[i]) }
        return body(UnsafeBufferPointer(rebasing: buffer[0..<input.count]))
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

private let star = UInt8(ascii: "*")
private let question = UInt8(ascii: "?")

/// A wildcard pattern compiled once: `*` matches any run of characters including the empty run, `?` exactly
/// one character (one Unicode scalar, not one byte). There is no escape; `*` and `?` are always wildcards.
///
/// Case-insensitive patterns (`foldsCase`) are stored ASCII-folded and expect the caller to fold the input
/// once (`withFoldedASCII`), so matching itself is always an exact byte comparison.
///
/// Patterns are classified up front so that the common shapes (`*`, a literal, `prefix*`, `*suffix`) are a
/// length check plus one byte comparison. Any other pattern is split at its `*`s into segments: the first
/// is anchored at the start, the last at the end, and each middle one is found at its leftmost position
/// (leftmost is always safe for `*`-separated segments), so matching never backtracks or allocates.
struct WildcardPattern: Sendable, Hashable {
    private enum Shape: Sendable, Hashable {
        case anything
        case literal
        case prefix
        case suffix
        case segmented
    }

    private let shape: Shape
    /// The fixed part for literal/prefix/suffix; for `.segmented`, all segments concatenated. Case-folded
    /// when `foldsCase`.
    private let bytes: [UInt8]
    /// For `.segmented`: segment `i` is `bytes[boundaries[i]..<boundaries[i + 1]]`; there is one more
    /// segment than there are `*`s, and segments may be empty.
    private let boundaries: [Int]
    /// For `.segmented`: no segment contains `?`, so segments compare as plain bytes.
    private let plain: Bool
    /// When true the pattern is stored ASCII-folded and `matches(_:)` expects folded input.
    let foldsCase: Bool

    /// Compiles `pattern`; with `foldsCase`, matching ignores ASCII letter case.
    init(_ pattern: String, foldsCase: Bool) {
        let raw = foldsCase ? foldedASCIIBytes(pattern) : Array(pattern.utf8)
        self.foldsCase = foldsCase
        let stars = raw.reduce(0) { $0 + ($1 == star ? 1 : 0) }
        plain = !raw.contains(question)
        var shape = Shape.segmented
        var bytes: [UInt8] = []
        var boundaries: [Int] = []
        if plain && stars == 0 {
            shape = .literal
            bytes = raw
        } else if plain && stars == raw.count {
            shape = .anything
        } else if plain && stars == 1 && raw.last == star {
            shape = .prefix
            bytes = Array(raw.dropLast())
        } else if plain && stars == 1 && raw.first == star {
            shape = .suffix
            bytes = Array(raw.dropFirst())
        } else {
            boundaries.append(0)
            for byte in raw {
                if byte == star { boundaries.append(bytes.count) } else { bytes.append(byte) }
            }
            boundaries.append(bytes.count)
        }
        self.shape = shape
        self.bytes = bytes
        self.boundaries = boundaries
    }

    /// True when this pattern matches every input.
    var matchesEverything: Bool { shape == .anything }

    /// Matches UTF-8 `input` (already ASCII-folded when `foldsCase`) against the pattern.
    @inline(__always)
    func matches(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        switch shape {
        case .anything:
            return true
        case .literal:
            return bytes.withUnsafeBufferPointer { bytesEqual(input, $0) }
        case .prefix:
            guard input.count >= bytes.count else { return false }
            return bytes.withUnsafeBufferPointer { bytesEqual(UnsafeBufferPointer(rebasing: input[0..<$0.count]), $0) }
        case .suffix:
            guard input.count >= bytes.count else { return false }
            return bytes.withUnsafeBufferPointer {
                bytesEqual(UnsafeBufferPointer(rebasing: input[(input.count - $0.count)...]), $0)
            }
        case .segmented:
            return bytes.withUnsafeBufferPointer { bytes in
                boundaries.withUnsafeBufferPointer { boundaries in
                    matchSegments(bytes, boundaries, input)
                }
            }
        }
    }

    /// Convenience for non-hot paths: folds `text` first when the pattern is case-insensitive.
    func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in foldsCase ? withFoldedASCII(bytes) { matches($0) } : matches(bytes) }
    }

    @inline(never)
    private func matchSegments(
        _ bytes: UnsafeBufferPointer<UInt8>, _ boundaries: UnsafeBufferPointer<Int>, _ input: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        @inline(__always)
        func segment(_ index: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: bytes[boundaries[index]..<boundaries[index + 1]])
        }
        let segmentCount = boundaries.count - 1
        guard let afterHead = matchForward(segment(0), input, at: 0, limit: input.count) else { return false }
        if segmentCount == 1 { return afterHead == input.count }
        guard let tailStart = matchBackward(segment(segmentCount - 1), input, endingAt: input.count, lowerBound: afterHead)
        else { return false }
        var position = afterHead
        for index in 1..<(segmentCount - 1) {
            let middle = segment(index)
            if middle.isEmpty { continue }
            guard let end = find(middle, input, from: position, limit: tailStart) else { return false }
            position = end
        }
        return true
    }

    /// Matches `segment` starting exactly at `start` without reading at or past `limit`; returns its end.
    @inline(__always)
    private func matchForward(
        _ segment: UnsafeBufferPointer<UInt8>, _ input: UnsafeBufferPointer<UInt8>, at start: Int, limit: Int
    ) -> Int? {
        if plain {
            guard limit - start >= segment.count,
                  bytesEqual(UnsafeBufferPointer(rebasing: input[start..<(start + segment.count)]), segment)
            else { return nil }
            return start + segment.count
        }
        var position = start
        for byte in segment {
            guard position < limit else { return nil }
            if byte == question {
                position = nextScalar(input, after: position)
                if position > limit { return nil }
            } else {
                guard input[position] == byte else { return nil }
                position += 1
            }
        }
        return position
    }

    /// Matches `segment` so that it ends exactly at `end`, not reaching below `lowerBound`; returns its start.
    private func matchBackward(
        _ segment: UnsafeBufferPointer<UInt8>, _ input: UnsafeBufferPointer<UInt8>, endingAt end: Int, lowerBound: Int
    ) -> Int? {
        if plain {
            let start = end - segment.count
            guard start >= lowerBound else { return nil }
            return matchForward(segment, input, at: start, limit: end) == nil ? nil : start
        }
        var position = end
        var index = segment.count
        while index > 0 {
            index -= 1
            guard position > lowerBound else { return nil }
            position -= 1
            if segment[index] == question {
                while position > lowerBound, input[position] & 0xC0 == 0x80 { position -= 1 }
            } else {
                guard input[position] == segment[index] else { return nil }
            }
        }
        return position
    }

    /// Leftmost occurrence of `segment` (non-empty) starting at or after `start` on a character boundary
    /// and ending by `limit`; returns its end. A segment without `?` starts with a byte that is not a UTF-8
    /// continuation byte, so any byte position where it matches is a character boundary; exact segments are
    /// searched with memchr for their first byte.
    private func find(_ segment: UnsafeBufferPointer<UInt8>, _ input: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int) -> Int? {
        let first = segment[0]
        var candidate = start
        if plain {
            let base = input.baseAddress!
            while limit - candidate >= segment.count {
                guard let hit = memchr(base + candidate, Int32(first), limit - candidate - segment.count + 1) else { return nil }
                candidate = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if bytesEqual(UnsafeBufferPointer(start: base + candidate, count: segment.count), segment) {
                    return candidate + segment.count
                }
                candidate += 1
            }
            return nil
        }
        while candidate < limit {
            if first == question || input[candidate] == first,
               let end = matchForward(segment, input, at: candidate, limit: limit) {
                return end
            }
            candidate = nextScalar(input, after: candidate)
        }
        return nil
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

    /// True when any pattern matches `input` (ASCII-folded by the caller for case-insensitive lists).
    @inline(__always)
    func matches(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        if matchesEverything { return true }
        return patterns.withUnsafeBufferPointer { patterns in
            for index in patterns.indices where patterns[index].matches(input) { return true }
            return false
        }
    }
}

/// Positions of the first four colons of a name, which split `acs:<service>:<region>:<account>:<relative-id>`
/// into its five fields (the relative id may itself contain colons). Nil when there are fewer than four.
struct ARNFields {
    let colons: (Int, Int, Int, Int)

    init?(_ name: UnsafeBufferPointer<UInt8>) {
        var found = (0, 0, 0, 0)
        var count = 0
        var index = 0
        while index < name.count && count < 4 {
            if name[index] == UInt8(ascii: ":") {
                switch count {
                case 0: found.0 = index
                case 1: found.1 = index
                case 2: found.2 = index
                default: found.3 = index
                }
                count += 1
            }
            index += 1
        }
        guard count == 4 else { return nil }
        colons = found
    }
}

/// A resource-name or ARN pattern (`acs:oss:*:*:bucket/dir/*`, `acs:ram::123:role/*`).
///
/// A pattern with at least four colons is matched field by field — `acs`, service, region, account, and the
/// relative id (everything after the fourth colon) — each with the usual `*`/`?` wildcards, case-sensitively.
/// So a `*` in the region or account field cannot run across a colon: `acs:oss:*:*:b/*` does not match the
/// object `x:b/y` of bucket `c` (`acs:oss:*:1:c/x:b/y`), which a plain glob over the whole name would.
/// Such a pattern matches only names that have five fields. A pattern with fewer colons (including `*`) is
/// matched as one glob over the whole name.
struct ARNPattern: Sendable, Hashable {
    private let fieldWise: Bool
    private let prefix: WildcardPattern
    private let service: WildcardPattern
    private let region: WildcardPattern
    private let account: WildcardPattern
    /// The relative id when field-wise, else the whole pattern.
    private let relative: WildcardPattern

    init(_ pattern: String) {
        var parts = pattern.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        fieldWise = parts.count == 5
        if !fieldWise { parts = ["", "", "", "", pattern] }
        prefix = WildcardPattern(parts[0], foldsCase: false)
        service = WildcardPattern(parts[1], foldsCase: false)
        region = WildcardPattern(parts[2], foldsCase: false)
        account = WildcardPattern(parts[3], foldsCase: false)
        relative = WildcardPattern(parts[4], foldsCase: false)
    }

    /// True when this pattern matches every name.
    var matchesEverything: Bool { !fieldWise && relative.matchesEverything }

    /// Matches `name`, whose fields the caller has located once (`ARNFields(name)`).
    @inline(__always)
    func matches(_ name: UnsafeBufferPointer<UInt8>, fields: ARNFields?) -> Bool {
        guard fieldWise else { return relative.matches(name) }
        guard let (c0, c1, c2, c3) = fields?.colons else { return false }
        // Most selective first: the relative id, then the account.
        return relative.matches(UnsafeBufferPointer(rebasing: name[(c3 + 1)...]))
            && account.matches(UnsafeBufferPointer(rebasing: name[(c2 + 1)..<c3]))
            && region.matches(UnsafeBufferPointer(rebasing: name[(c1 + 1)..<c2]))
            && service.matches(UnsafeBufferPointer(rebasing: name[(c0 + 1)..<c1]))
            && prefix.matches(UnsafeBufferPointer(rebasing: name[0..<c0]))
    }

    /// Convenience for non-hot paths.
    func matches(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { matches($0, fields: ARNFields($0)) }
    }
}

/// The values of a `Resource`/`NotResource` element or a list of principal ARNs: matches if any does.
struct ARNPatternList: Sendable, Hashable {
    private let patterns: [ARNPattern]
    private let matchesEverything: Bool

    init(_ values: [String]) {
        patterns = values.map(ARNPattern.init)
        matchesEverything = patterns.contains { $0.matchesEverything }
    }

    /// True when any pattern matches `name` (fields located by the caller).
    @inline(__always)
    func matches(_ name: UnsafeBufferPointer<UInt8>, fields: ARNFields?) -> Bool {
        if matchesEverything { return true }
        return patterns.withUnsafeBufferPointer { patterns in
            for index in patterns.indices where patterns[index].matches(name, fields: fields) { return true }
            return false
        }
    }

    /// Convenience for non-hot paths.
    func matches(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { matches($0, fields: ARNFields($0)) }
    }
}

/// An IPv4 or IPv6 address as two 64-bit halves (IPv4 lives in the low 32 bits of `low`).
struct IPAddress: Sendable, Hashable {
    let isIPv6: Bool
    let high: UInt64
    let low: UInt64

    /// Parses a request's address: dotted IPv4, or IPv6 text (optionally in brackets, optionally with a
    /// `%zone`). An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is treated as the IPv4 address, so a
    /// dual-stack listener's view of an IPv4 client still matches IPv4 CIDRs. Nil when not an address.
    static func parseRequestValue(_ input: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        var lower = 0
        var upper = input.count
        if upper - lower >= 2, input[lower] == UInt8(ascii: "["), input[upper - 1] == UInt8(ascii: "]") {
            lower += 1
            upper -= 1
        }
        if let percent = input[lower..<upper].firstIndex(of: UInt8(ascii: "%")) { upper = percent }
        return parse(UnsafeBufferPointer(rebasing: input[lower..<upper]))?.unmappingIPv4()
    }

    /// Strict parse of a bare address (no brackets, zone or prefix).
    static func parse(_ input: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if input.contains(UInt8(ascii: ":")) {
            return parseIPv6(input).map { IPAddress(isIPv6: true, high: $0.high, low: $0.low) }
        }
        return parseIPv4(input).map { IPAddress(isIPv6: false, high: 0, low: UInt64($0)) }
    }

    /// `::ffff:a.b.c.d` → `a.b.c.d`; any other address unchanged.
    func unmappingIPv4() -> IPAddress {
        guard isIPv6, high == 0, low >> 32 == 0xFFFF else { return self }
        return IPAddress(isIPv6: false, high: 0, low: low & 0xFFFF_FFFF)
    }

    /// Four decimal octets 0–255; a leading zero is refused (`010` is octal to some parsers).
    private static func parseIPv4(_ input: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var index = 0
        while octets < 4 {
            if octets > 0 {
                guard index < input.count, input[index] == UInt8(ascii: ".") else { return nil }
                index += 1
            }
            let start = index
            var octet: UInt32 = 0
            while index < input.count, index - start < 3,
                  input[index] >= UInt8(ascii: "0"), input[index] <= UInt8(ascii: "9") {
                octet = octet * 10 + UInt32(input[index] - UInt8(ascii: "0"))
                index += 1
            }
            let length = index - start
            guard length > 0, octet <= 255, length == 1 || input[start] != UInt8(ascii: "0") else { return nil }
            value = value << 8 | octet
            octets += 1
        }
        return index == input.count ? value : nil
    }

    /// Up to eight groups of 1–4 hex digits, at most one `::`, optionally ending in a dotted IPv4 address.
    /// Groups are collected in stack memory: request addresses are parsed on the evaluation path.
    private static func parseIPv6(_ input: UnsafeBufferPointer<UInt8>) -> (high: UInt64, low: UInt64)? {
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 8) { groups in
            var count = 0
            var gapAt: Int?
            var index = 0
            if input.count >= 2, input[0] == UInt8(ascii: ":"), input[1] == UInt8(ascii: ":") {
                gapAt = 0
                index = 2
            } else if input.first == UInt8(ascii: ":") {
                return nil
            }
            while index < input.count {
                let start = index
                var group: UInt32 = 0
                while index < input.count, index - start < 4, let digit = hexDigit(input[index]) {
                    group = group << 4 | UInt32(digit)
                    index += 1
                }
                if index < input.count, input[index] == UInt8(ascii: ".") {
                    // Embedded IPv4: re-parse from the group's start as a dotted quad; it must come last.
                    guard count <= 6, let v4 = parseIPv4(UnsafeBufferPointer(rebasing: input[start...])) else { return nil }
                    groups[count] = UInt16(v4 >> 16)
                    groups[count + 1] = UInt16(v4 & 0xFFFF)
                    count += 2
                    break
                }
                guard index > start, count < 8 else { return nil }
                groups[count] = UInt16(group)
                count += 1
                if index == input.count { break }
                guard input[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                if index < input.count, input[index] == UInt8(ascii: ":") {
                    guard gapAt == nil else { return nil }
                    gapAt = count
                    index += 1
                } else if index == input.count {
                    return nil  // a trailing single ':'
                }
            }
            if gapAt != nil { guard count < 8 else { return nil } } else { guard count == 8 else { return nil } }
            let gap = gapAt ?? count
            let zeros = 8 - count
            var high: UInt64 = 0
            var low: UInt64 = 0
            for position in 0..<8 {
                let group: UInt16
                if position < gap { group = groups[position] }
                else if position < gap + zeros { group = 0 }
                else { group = groups[position - zeros] }
                if position < 4 { high = high << 16 | UInt64(group) } else { low = low << 16 | UInt64(group) }
            }
            return (high, low)
        }
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// An address block from a policy (`10.0.0.0/8`, `2001:db8::/32`, or a bare address = a full-length prefix),
/// stored pre-masked so that membership is two ANDs and two compares.
struct IPNetwork: Sendable, Hashable {
    private let isIPv6: Bool
    private let high: UInt64
    private let low: UInt64
    private let maskHigh: UInt64
    private let maskLow: UInt64

    /// Parses a policy operand. Host bits below the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`);
    /// an IPv4-mapped IPv6 block of length ≥ 96 becomes the IPv4 block it denotes. Nil when malformed.
    init?(parsing text: String) {
        var text = text
        let parsed: (IPAddress, Int)? = text.withUTF8 { bytes in
            var addressEnd = bytes.count
            var prefix: Int?
            if let slash = bytes.firstIndex(of: UInt8(ascii: "/")) {
                addressEnd = slash
                let digits = bytes[(slash + 1)...]
                guard !digits.isEmpty, digits.count <= 3,
                      digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                      digits.count == 1 || digits.first != UInt8(ascii: "0")
                else { return nil }
                prefix = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            }
            guard let address = IPAddress.parse(UnsafeBufferPointer(rebasing: bytes[0..<addressEnd])) else { return nil }
            let length = prefix ?? (address.isIPv6 ? 128 : 32)
            guard length <= (address.isIPv6 ? 128 : 32) else { return nil }
            let mapped = address.unmappingIPv4()
            if mapped.isIPv6 != address.isIPv6 && length >= 96 { return (mapped, length - 96) }
            return (address, length)
        }
        guard let (address, length) = parsed else { return nil }
        isIPv6 = address.isIPv6
        if address.isIPv6 {
            maskHigh = length == 0 ? 0 : length >= 64 ? UInt64.max : UInt64.max << UInt64(64 - length)
            maskLow = length <= 64 ? 0 : UInt64.max << UInt64(128 - length)
        } else {
            maskHigh = 0
            maskLow = length == 0 ? 0 : (UInt64(UInt32.max) << UInt64(32 - length)) & 0xFFFF_FFFF
        }
        high = address.high & maskHigh
        low = address.low & maskLow
    }

    /// True when `address` lies in this block (never across address families).
    @inline(__always)
    func contains(_ address: IPAddress) -> Bool {
        address.isIPv6 == isIPv6 && address.high & maskHigh == high && address.low & maskLow == low
    }
}

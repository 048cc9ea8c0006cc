import LanyardCrypto
import Testing

/// Reference values from crcmod 1.7 (`mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xffffffffffffffff,
/// rev=True)`, the parameters OSS documents for x-oss-hash-crc64ecma).
@Suite struct CRC64Tests {
    static let pattern: [UInt8] = (0..<100_000).map { UInt8($0 % 251) }

    @Test(arguments: [
        ("123456789", UInt64(11_051_210_869_376_104_954)),
        ("", 0),
        ("a", 3_675_645_893_302_102_789),
        ("The quick brown fox jumps over the lazy dog", 6_583_902_852_472_283_588),
    ])
    func knownValues(input: String, expected: UInt64) {
        #expect(CRC64.checksum(Array(input.utf8)) == expected)
    }

    @Test func longBuffer() {
        #expect(CRC64.checksum(Self.pattern) == 7_583_054_977_558_522_569)
    }

    /// A bit-at-a-time implementation straight from the definition, to check the sliced tables on every
    /// alignment and tail length.
    static func bitwise(_ data: some Sequence<UInt8>) -> UInt64 {
        var crc = ~UInt64(0)
        for byte in data {
            crc ^= UInt64(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ CRC64.polynomial : crc >> 1 }
        }
        return ~crc
    }

    @Test func matchesBitwiseForEveryLengthAndOffset() {
        for start in 0..<9 {
            for length in 0..<40 {
                let slice = Self.pattern[(start * 7)..<(start * 7 + length)]
                #expect(CRC64.checksum(slice) == Self.bitwise(slice), "start \(start) length \(length)")
            }
        }
    }

    @Test func incrementalUpdatesMatchOneShot() {
        var crc = CRC64()
        crc.update(Self.pattern[0..<1])
        crc.update(Self.pattern[1..<4099])
        crc.update(Self.pattern[4099..<4100])
        crc.update(Self.pattern[4100...])
        #expect(crc.value == 7_583_054_977_558_522_569)
        // Continuing from a stored value, as Go's crc64.Update does.
        var resumed = CRC64(value: CRC64.checksum(Self.pattern[0..<50_000]))
        resumed.update(Self.pattern[50_000...])
        #expect(resumed.value == crc.value)
    }

    @Test func nonContiguousSequence() {
        let lazy = Self.pattern.lazy.map { $0 }
        #expect(CRC64.checksum(lazy) == 7_583_054_977_558_522_569)
    }

    @Test(arguments: [0, 1, 7, 8, 9, 4096, 50_000, 99_999, 100_000])
    func combineEqualsCRCOfConcatenation(split: Int) {
        let first = CRC64.checksum(Self.pattern[..<split])
        let second = CRC64.checksum(Self.pattern[split...])
        #expect(CRC64.combine(first, second, length2: UInt64(Self.pattern.count - split)) == 7_583_054_977_558_522_569)
    }

    @Test func combineManyParts() {
        var combined: UInt64 = 0
        var offset = 0
        for size in [5, 1 << 14, 3, 33_333, 1, 0, 12_345] {
            let part = Self.pattern[offset..<offset + size]
            combined = CRC64.combine(combined, CRC64.checksum(part), length2: UInt64(size))
            offset += size
        }
        #expect(combined == CRC64.checksum(Self.pattern[..<offset]))
        #expect(combined != CRC64.checksum(Self.pattern[..<(offset - 1)]))
    }

    /// Lengths beyond memory exercise the high squaring-table entries. combine(c, 0, n) shifts c by n bytes,
    /// so shifting by n then m must equal shifting by n + m.
    @Test(arguments: [(UInt64(1) << 40, UInt64(12_345)), (UInt64(1) << 62, (UInt64(1) << 62) + 3), (UInt64.max / 2, UInt64(1))] as [(UInt64, UInt64)])
    func combineShiftsCompose(n: UInt64, m: UInt64) {
        let crc = CRC64.checksum(Array("abc".utf8))
        let stepwise = CRC64.combine(CRC64.combine(crc, 0, length2: n), 0, length2: m)
        #expect(stepwise == CRC64.combine(crc, 0, length2: n + m))
        #expect(CRC64.combine(crc, 0, length2: n) != CRC64.combine(crc, 0, length2: n + 1))
    }
}

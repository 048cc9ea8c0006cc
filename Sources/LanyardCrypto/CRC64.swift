/// CRC-64 as OSS computes `x-oss-hash-crc64ecma`: the ECMA-182 polynomial, reflected, with all-ones initial
/// value and final xor (CRC-64/XZ; Go's `crc64.MakeTable(crc64.ECMA)`). The CRC of `"123456789"` is
/// 11051210869376104954.
///
/// Table-driven, slicing-by-8. The value is always the finished CRC, so a stored CRC can be continued with
/// more bytes (`CRC64(value: stored)`), like Go's `crc64.Update`.
public struct CRC64: Sendable, Hashable {
    /// The reflected ECMA-182 polynomial.
    public static let polynomial: UInt64 = 0xC96C_5795_D787_0F42

    /// The CRC of everything added so far (0 for no bytes).
    public private(set) var value: UInt64

    /// Starts a CRC, or continues one whose finished value is `value`.
    public init(value: UInt64 = 0) {
        self.value = value
    }

    /// Adds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        value = Self.update(value, bytes)
    }

    /// Adds the bytes of `data`.
    public mutating func update(_ data: some Sequence<UInt8>) {
        if let done: Void = data.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        var chunk = [UInt8]()
        chunk.reserveCapacity(4096)
        for byte in data {
            chunk.append(byte)
            if chunk.count == 4096 {
                chunk.withUnsafeBytes { update($0) }
                chunk.removeAll(keepingCapacity: true)
            }
        }
        chunk.withUnsafeBytes { update($0) }
    }

    /// The CRC of `data` in one call.
    public static func checksum(_ data: some Sequence<UInt8>) -> UInt64 {
        var crc = CRC64()
        crc.update(data)
        return crc.value
    }

    /// The CRC of the concatenation A+B from `crc1` = CRC(A), `crc2` = CRC(B) and `length2` = byte count of B,
    /// without the data (multipart objects: combine the parts' CRCs in order). Takes O(log length2) steps.
    public static func combine(_ crc1: UInt64, _ crc2: UInt64, length2: UInt64) -> UInt64 {
        guard length2 > 0 else { return crc1 }
        // Appending n zero bytes multiplies the register by x^(8n) mod P; with the all-ones init and xor-out
        // the constant terms cancel, leaving crc1 * x^(8n) xor crc2.
        return multiplyModP(powerOfX(length2), crc1) ^ crc2
    }

    // MARK: - Table-driven update

    /// Eight 256-entry tables: `tables[k * 256 + i]` is the register contribution of byte value `i` followed by
    /// `k` zero bytes.
    private static let tables: [UInt64] = {
        var t = [UInt64](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var crc = UInt64(i)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            t[i] = crc
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let previous = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (previous >> 8) ^ t[Int(previous & 0xff)]
            }
        }
        return t
    }()

    private static func update(_ crc: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard !bytes.isEmpty else { return crc }
        var register = ~crc
        tables.withUnsafeBufferPointer { t in
            var offset = 0
            let count = bytes.count
            while count - offset >= 8 {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let x = register ^ word
                register =
                    t[7 * 256 + Int(x & 0xff)] ^ t[6 * 256 + Int((x >> 8) & 0xff)]
                    ^ t[5 * 256 + Int((x >> 16) & 0xff)] ^ t[4 * 256 + Int((x >> 24) & 0xff)]
                    ^ t[3 * 256 + Int((x >> 32) & 0xff)] ^ t[2 * 256 + Int((x >> 40) & 0xff)]
                    ^ t[1 * 256 + Int((x >> 48) & 0xff)] ^ t[Int(x >> 56)]
                offset += 8
            }
            while offset < count {
                register = t[Int((register ^ UInt64(bytes[offset])) & 0xff)] ^ (register >> 8)
                offset += 1
            }
        }
        return ~register
    }

    // MARK: - Polynomial arithmetic for combine (reflected: bit 63 is x^0)

    /// a * b mod P.
    private static func multiplyModP(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var a = a
        var b = b
        var product: UInt64 = 0
        var mask: UInt64 = 1 << 63
        while a != 0 {
            if a & mask != 0 {
                product ^= b
                a ^= mask
            }
            mask >>= 1
            b = b & 1 == 1 ? (b >> 1) ^ polynomial : b >> 1
        }
        return product
    }

    /// `squarings[k]` = x^(2^k) mod P, for k in 0..<67 (enough for x^(8n) with any 64-bit n).
    private static let squarings: [UInt64] = {
        var table = [UInt64]()
        table.reserveCapacity(67)
        var power: UInt64 = 1 << 62  // x^1
        for _ in 0..<67 {
            table.append(power)
            power = multiplyModP(power, power)
        }
        return table
    }()

    /// x^(8n) mod P.
    private static func powerOfX(_ n: UInt64) -> UInt64 {
        var result: UInt64 = 1 << 63  // x^0
        var n = n
        var k = 3  // 8n = n * 2^3
        while n != 0 {
            if n & 1 == 1 { result = multiplyModP(squarings[k], result) }
            n >>= 1
            k += 1
        }
        return result
    }
}

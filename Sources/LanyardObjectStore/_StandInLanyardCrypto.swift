// Stand-in for LanyardCrypto's CRC64 (being written by the signing helper), deleted at merge.

/// Stand-in: CRC-64/XZ (ECMA-182 polynomial, reflected, init and xor-out all ones), incremental.
struct CRC64: Sendable {
    private static let table: [[UInt64]] = {
        var t = [[UInt64]](repeating: [UInt64](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt64(i)
            for _ in 0..<8 { c = (c & 1) == 1 ? (c >> 1) ^ 0xC96C_5795_D787_0F42 : c >> 1 }
            t[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k][i] = (t[k - 1][i] >> 8) ^ t[0][Int(t[k - 1][i] & 0xff)] }
        }
        return t
    }()

    private var state: UInt64 = ~0

    init() {}

    /// The CRC of everything added so far.
    var value: UInt64 { ~state }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var c = state
        Self.table.withUnsafeBufferPointer { t in
            t[0].withUnsafeBufferPointer { t0 in
                var i = 0
                let n = bytes.count
                while i + 8 <= n {
                    let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ c
                    c = t[7][Int(word & 0xff)] ^ t[6][Int((word >> 8) & 0xff)] ^ t[5][Int((word >> 16) & 0xff)]
                        ^ t[4][Int((word >> 24) & 0xff)] ^ t[3][Int((word >> 32) & 0xff)]
                        ^ t[2][Int((word >> 40) & 0xff)] ^ t[1][Int((word >> 48) & 0xff)] ^ t0[Int(word >> 56)]
                    i += 8
                }
                while i < n {
                    c = t0[Int((c ^ UInt64(bytes[i])) & 0xff)] ^ (c >> 8)
                    i += 1
                }
            }
        }
        state = c
    }

    /// The CRC of `a ++ b` from the CRC of `a`, the CRC of `b` and the length of `b`.
    static func combine(_ crcA: UInt64, _ crcB: UInt64, lengthB: Int64) -> UInt64 {
        guard lengthB > 0 else { return crcA }
        func times(_ matrix: [UInt64], _ vector: UInt64) -> UInt64 {
            var sum: UInt64 = 0, v = vector, i = 0
            while v != 0 {
                if v & 1 == 1 { sum ^= matrix[i] }
                v >>= 1; i += 1
            }
            return sum
        }
        func square(_ matrix: [UInt64]) -> [UInt64] { (0..<64).map { times(matrix, matrix[$0]) } }
        var odd = [UInt64](repeating: 0, count: 64)
        odd[0] = 0xC96C_5795_D787_0F42
        for n in 1..<64 { odd[n] = 1 << UInt64(n - 1) }
        var even = square(odd)
        odd = square(even)
        var crc = crcA, length = lengthB
        repeat {
            even = square(odd)
            if length & 1 == 1 { crc = times(even, crc) }
            length >>= 1
            if length == 0 { break }
            odd = square(even)
            if length & 1 == 1 { crc = times(odd, crc) }
            length >>= 1
        } while length != 0
        return crc ^ crcB
    }
}

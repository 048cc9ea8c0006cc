/// Parsers for the scalar operands of Numeric*, Date* and Bool conditions. They work on UTF-8 bytes
/// without Foundation so that request values can be parsed on the evaluation path cheaply.
enum Scalars {
    /// A decimal number: optional sign, digits with an optional fraction, optional exponent
    /// (`-12`, `3.5`, `1e3`). Hex, `inf` and `nan` are refused. Nil when malformed.
    static func number(_ input: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        if index < input.count, input[index] == UInt8(ascii: "-") || input[index] == UInt8(ascii: "+") { index += 1 }
        var digits = 0
        while index < input.count, isDigit(input[index]) { index += 1; digits += 1 }
        if index < input.count, input[index] == UInt8(ascii: ".") {
            index += 1
            while index < input.count, isDigit(input[index]) { index += 1; digits += 1 }
        }
        guard digits > 0 else { return nil }
        if index < input.count, input[index] == UInt8(ascii: "e") || input[index] == UInt8(ascii: "E") {
            index += 1
            if index < input.count, input[index] == UInt8(ascii: "-") || input[index] == UInt8(ascii: "+") { index += 1 }
            let start = index
            while index < input.count, isDigit(input[index]) { index += 1 }
            guard index > start else { return nil }
        }
        guard index == input.count else { return nil }
        // The grammar above is a subset of what Double's initializer accepts; the text is ASCII.
        let value = Double(Substring(decoding: input, as: UTF8.self))
        return value.flatMap { $0.isFinite ? $0 : nil }
    }

    /// A point in time as seconds since 1970-01-01T00:00:00Z, from ISO 8601 or from epoch seconds.
    ///
    /// Accepted: `YYYY-MM-DD`, `YYYY-MM-DDThh:mm`, `YYYY-MM-DDThh:mm:ss`, each optionally with a fraction of
    /// a second (`.fff`, after seconds) and a zone `Z`, `±hh:mm`, `±hhmm` or `±hh`; no zone means UTC. A
    /// plain number (`1700000000`, `1.7e9`) is epoch seconds. Fields are range-checked (no `2023-02-30`).
    static func date(_ input: UnsafeBufferPointer<UInt8>) -> Double? {
        if input.count >= 5, input[4] == UInt8(ascii: "-") {
            return iso8601(input)
        }
        return number(input)
    }

    /// `true` / `false`, ignoring ASCII case. Nil for anything else.
    static func bool(_ input: UnsafeBufferPointer<UInt8>) -> Bool? {
        if bytesEqual(input, trueBytes, foldingCase: true) { return true }
        if bytesEqual(input, falseBytes, foldingCase: true) { return false }
        return nil
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// Reads exactly `count` decimal digits at `index`.
    private static func digits(_ input: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ count: Int) -> Int? {
        guard index + count <= input.count else { return nil }
        var value = 0
        for _ in 0..<count {
            guard isDigit(input[index]) else { return nil }
            value = value * 10 + Int(input[index] - UInt8(ascii: "0"))
            index += 1
        }
        return value
    }

    private static func expect(_ input: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ byte: UInt8) -> Bool {
        guard index < input.count, input[index] == byte else { return false }
        index += 1
        return true
    }

    private static func iso8601(_ input: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        guard let year = digits(input, &i, 4), expect(input, &i, UInt8(ascii: "-")),
              let month = digits(input, &i, 2), expect(input, &i, UInt8(ascii: "-")),
              let day = digits(input, &i, 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        var seconds = Double(daysSinceEpoch(year: year, month: month, day: day) * 86_400)
        guard i < input.count else { return seconds }
        guard input[i] == UInt8(ascii: "T") || input[i] == UInt8(ascii: "t") else { return nil }
        i += 1
        guard let hour = digits(input, &i, 2), expect(input, &i, UInt8(ascii: ":")), let minute = digits(input, &i, 2),
              hour < 24, minute < 60
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        if i < input.count, input[i] == UInt8(ascii: ":") {
            i += 1
            guard let second = digits(input, &i, 2), second < 60 else { return nil }
            seconds += Double(second)
            if i < input.count, input[i] == UInt8(ascii: ".") || input[i] == UInt8(ascii: ",") {
                i += 1
                var scale = 0.1
                let start = i
                while i < input.count, isDigit(input[i]) {
                    seconds += Double(input[i] - UInt8(ascii: "0")) * scale
                    scale /= 10
                    i += 1
                }
                guard i > start else { return nil }
            }
        }
        guard i < input.count else { return seconds }
        switch input[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = input[i] == UInt8(ascii: "+") ? 1.0 : -1.0
            i += 1
            guard let offsetHours = digits(input, &i, 2), offsetHours < 24 else { return nil }
            var offsetMinutes = 0
            if i < input.count {
                _ = expect(input, &i, UInt8(ascii: ":"))
                guard let m = digits(input, &i, 2), m < 60 else { return nil }
                offsetMinutes = m
            }
            // Local time = UTC + offset, so UTC = local − offset.
            seconds -= sign * Double(offsetHours * 3600 + offsetMinutes * 60)
        default:
            return nil
        }
        return i == input.count ? seconds : nil
    }

    private static let daysBeforeMonth = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]

    private static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (years 0–9999).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        // Count whole years since year 0 via leap-year arithmetic, then months within the year.
        let previousYears = year - 1
        var days = year == 0 ? 0 : 366 + previousYears * 365 + previousYears / 4 - previousYears / 100 + previousYears / 400
        days += daysBeforeMonth[month - 1] + day - 1
        if month > 2 && isLeap(year) { days += 1 }
        // Day number of 1970-01-01 counted the same way.
        return days - 719_528
    }
}

import Foundation

/// The timestamp texts the signature schemes use, formatted and parsed by hand (UTC only, no
/// `DateFormatter`), so they are cheap and thread-safe on the request path.
public enum SigningTime {
    /// `yyyy-MM-dd'T'HH:mm:ss'Z'`, e.g. `2024-03-05T07:08:09Z` (POP `Timestamp`, `x-acs-date`).
    public static func iso8601(_ date: Date) -> String {
        let t = Civil(date)
        var out = [UInt8]()
        out.reserveCapacity(20)
        appendDigits(t.year, 4, &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(t.month, 2, &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(t.day, 2, &out)
        out.append(UInt8(ascii: "T"))
        appendClock(t, separator: UInt8(ascii: ":"), &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `yyyyMMdd'T'HHmmss'Z'`, e.g. `20240305T070809Z` (OSS V4 `x-oss-date`).
    public static func iso8601Basic(_ date: Date) -> String {
        let t = Civil(date)
        var out = [UInt8]()
        out.reserveCapacity(16)
        appendDigits(t.year, 4, &out)
        appendDigits(t.month, 2, &out)
        appendDigits(t.day, 2, &out)
        out.append(UInt8(ascii: "T"))
        appendClock(t, separator: nil, &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 1123 GMT with a two-digit day, e.g. `Tue, 05 Mar 2024 07:08:09 GMT` (HTTP `Date`).
    public static func rfc1123(_ date: Date) -> String {
        let t = Civil(date)
        var out = [UInt8]()
        out.reserveCapacity(29)
        out.append(contentsOf: weekdayNames[t.weekday].utf8)
        out.append(contentsOf: ", ".utf8)
        appendDigits(t.day, 2, &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: monthNames[t.month - 1].utf8)
        out.append(UInt8(ascii: " "))
        appendDigits(t.year, 4, &out)
        out.append(UInt8(ascii: " "))
        appendClock(t, separator: UInt8(ascii: ":"), &out)
        out.append(contentsOf: " GMT".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `yyyy-MM-dd'T'HH:mm:ss'Z'`; nil if the text is anything else.
    public static func parseISO8601(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "Z"),
            let year = number(b, 0, 4), let month = number(b, 5, 2), let day = number(b, 8, 2),
            let hour = number(b, 11, 2), let minute = number(b, 14, 2), let second = number(b, 17, 2)
        else { return nil }
        return makeDate(year, month, day, hour, minute, second)
    }

    /// Parses `yyyyMMdd'T'HHmmss'Z'`; nil if the text is anything else.
    public static func parseISO8601Basic(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z"),
            let year = number(b, 0, 4), let month = number(b, 4, 2), let day = number(b, 6, 2),
            let hour = number(b, 9, 2), let minute = number(b, 11, 2), let second = number(b, 13, 2)
        else { return nil }
        return makeDate(year, month, day, hour, minute, second)
    }

    /// Parses RFC 1123 `Www, DD Mon YYYY HH:MM:SS GMT`; nil if the text is anything else.
    public static func parseRFC1123(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 29, b[3] == UInt8(ascii: ","), b[4] == UInt8(ascii: " "), b[7] == UInt8(ascii: " "),
            b[11] == UInt8(ascii: " "), b[16] == UInt8(ascii: " "), b[19] == UInt8(ascii: ":"),
            b[22] == UInt8(ascii: ":"), b[25] == UInt8(ascii: " "), b[26...] == [71, 77, 84][...],
            weekdayNames.contains(where: { $0.utf8.elementsEqual(b[0..<3]) }),
            let monthIndex = monthNames.firstIndex(where: { $0.utf8.elementsEqual(b[8..<11]) }),
            let day = number(b, 5, 2), let year = number(b, 12, 4),
            let hour = number(b, 17, 2), let minute = number(b, 20, 2), let second = number(b, 23, 2)
        else { return nil }
        return makeDate(year, monthIndex + 1, day, hour, minute, second)
    }

    /// Whole seconds since 1970 (rounded down), as OSS `Expires` uses them.
    public static func unixSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    private static let weekdayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// A UTC calendar breakdown of a date (proleptic Gregorian).
    private struct Civil {
        var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, weekday = 0

        init(_ date: Date) {
            let total = unixSeconds(date)
            let days = floorDiv(total, 86_400)
            let secondsOfDay = Int(total - days * 86_400)
            hour = secondsOfDay / 3600
            minute = secondsOfDay / 60 % 60
            second = secondsOfDay % 60
            weekday = Int(floorMod(days + 4, 7))  // 1970-01-01 was a Thursday
            // Days since 0000-03-01 split into 400-year eras of 146097 days.
            let shifted = days + 719_468
            let era = floorDiv(shifted, 146_097)
            let dayOfEra = shifted - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 = March
            day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
            month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
            year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        }
    }

    private static func makeDate(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int)
        -> Date?
    {
        guard (1...12).contains(month), (1...daysInMonth(year, month)).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDiv(y, 400)
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
    private static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for byte in bytes[start..<start + count] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func appendDigits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    private static func appendClock(_ t: Civil, separator: UInt8?, _ out: inout [UInt8]) {
        appendDigits(t.hour, 2, &out)
        if let separator { out.append(separator) }
        appendDigits(t.minute, 2, &out)
        if let separator { out.append(separator) }
        appendDigits(t.second, 2, &out)
    }
}

import Foundation

/// Date formats of the OSS protocol, formatted and parsed without Foundation formatters (hot path).
enum HTTPTime {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    struct Civil { var year, month, day, hour, minute, second: Int }

    /// Proleptic Gregorian civil date from Unix seconds (days-from-civil inverse).
    static func civil(_ seconds: Int64) -> Civil {
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secs = Int(seconds - Int64(days) * 86400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return Civil(year: year, month: month, day: day, hour: secs / 3600, minute: secs / 60 % 60, second: secs % 60)
    }

    /// Unix seconds from a civil date.
    static func seconds(_ c: Civil) -> Int64 {
        let y = c.month <= 2 ? c.year - 1 : c.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = c.month > 2 ? c.month - 3 : c.month + 9
        let doy = (153 * mp + 2) / 5 + c.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Int64(days) * 86400 + Int64(c.hour * 3600 + c.minute * 60 + c.second)
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }

    /// RFC 1123, e.g. `Thu, 17 Nov 2005 18:49:58 GMT`.
    static func rfc1123(_ seconds: Int64) -> String {
        let c = civil(seconds)
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let weekday = weekdays[((days % 7) + 7) % 7]
        return "\(weekday), \(two(c.day)) \(months[c.month - 1]) \(c.year) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
    }

    /// XML timestamps as oss2 requires them: `2005-11-17T18:49:58.000Z`.
    static func iso8601(_ seconds: Int64) -> String {
        let c = civil(seconds)
        return "\(c.year)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second)).000Z"
    }

    private static func number(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(s)
    }

    /// Parses RFC 1123 (`Thu, 17 Nov 2005 18:49:58 GMT`); nil when malformed.
    static func parseRFC1123(_ text: String) -> Int64? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT" || parts[5] == "UTC",
              let day = number(parts[1]), let monthIndex = months.firstIndex(where: { $0.caseInsensitiveCompare(parts[2]) == .orderedSame }),
              let year = number(parts[3]) else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, let h = number(time[0]), let m = number(time[1]), let s = number(time[2]),
              day >= 1, day <= 31, h < 24, m < 60, s < 61 else { return nil }
        return seconds(Civil(year: year, month: monthIndex + 1, day: day, hour: h, minute: m, second: s))
    }

    /// Parses the V4 timestamp `20231216T162057Z`; nil when malformed.
    static func parseCompact(_ text: String) -> Int64? {
        let u = Array(text.utf8)
        guard u.count == 16, u[8] == UInt8(ascii: "T"), u[15] == UInt8(ascii: "Z") else { return nil }
        func n(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard u[i] >= 48, u[i] <= 57 else { return nil }
                v = v * 10 + Int(u[i] - 48)
            }
            return v
        }
        guard let y = n(0..<4), let mo = n(4..<6), let d = n(6..<8), let h = n(9..<11), let mi = n(11..<13),
              let s = n(13..<15), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        return seconds(Civil(year: y, month: mo, day: d, hour: h, minute: mi, second: s))
    }

    /// `yyyymmdd` of a time, as in a V4 credential scope.
    static func compactDate(_ seconds: Int64) -> String {
        let c = civil(seconds)
        return "\(c.year)\(two(c.month))\(two(c.day))"
    }

    /// Current Unix time in seconds.
    static func now() -> Int64 { Int64(Date().timeIntervalSince1970.rounded(.down)) }
}

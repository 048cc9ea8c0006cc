import Foundation

/// kubectl's table output: a header row of upper-case column names, columns left-aligned and separated by at
/// least three spaces, no trailing spaces.
struct TextTable: Sendable, Equatable {
    /// Column names.
    var header: [String]
    /// Rows; each has one cell per column.
    var rows: [[String]]

    /// The table as text, one line per row, each ending in a newline.
    func render() -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        var out = ""
        for row in [header] + rows {
            var line = ""
            for (column, cell) in row.enumerated() where column < widths.count {
                line += cell
                if column < widths.count - 1 {
                    line += String(repeating: " ", count: widths[column] - cell.count + 3)
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}

/// kubectl's short ages: `45s`, `3m`, `5m20s`, `2h`, `4h10m`, `4d`, `3d2h`, `1y`.
enum Age {
    /// The age of something created at `start`, as of `now`; `<unknown>` without a start.
    static func since(_ start: Date?, now: Date) -> String {
        guard let start else { return "<unknown>" }
        return format(seconds: Int(now.timeIntervalSince(start).rounded(.down)))
    }

    /// Formats a duration in whole seconds. Precision shrinks as the duration grows, as in kubectl: seconds up
    /// to two minutes, minutes and seconds below ten minutes, minutes below three hours, hours and minutes below
    /// eight hours, hours below two days, days and hours below eight days, days below two years, then years.
    static func format(seconds: Int) -> String {
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return pair(minutes, "m", seconds % 60, "s") }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return pair(hours, "h", minutes % 60, "m") }
        if hours < 48 { return "\(hours)h" }
        let days = hours / 24
        if days < 8 { return pair(days, "d", hours % 24, "h") }
        if days < 730 { return "\(days)d" }
        let years = days / 365
        if years < 8 { return pair(years, "y", days % 365, "d") }
        return "\(years)y"
    }

    private static func pair(_ major: Int, _ majorUnit: String, _ minor: Int, _ minorUnit: String) -> String {
        minor == 0 ? "\(major)\(majorUnit)" : "\(major)\(majorUnit)\(minor)\(minorUnit)"
    }
}

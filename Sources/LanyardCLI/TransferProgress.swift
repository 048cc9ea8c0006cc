/// A snapshot of a running transfer and its one-line rendering for the progress bar.
public struct TransferProgress: Sendable, Hashable {
    /// Bytes to move in all; nil when unknown.
    public var totalBytes: Int64?
    /// Bytes moved so far.
    public var doneBytes: Int64
    /// Files or objects to move (1 for a single copy).
    public var totalFiles: Int
    /// Files or objects finished.
    public var doneFiles: Int
    /// Seconds since the transfer started.
    public var elapsed: Double

    /// Creates a snapshot.
    public init(totalBytes: Int64?, doneBytes: Int64, totalFiles: Int, doneFiles: Int, elapsed: Double) {
        self.totalBytes = totalBytes
        self.doneBytes = doneBytes
        self.totalFiles = totalFiles
        self.doneFiles = doneFiles
        self.elapsed = elapsed
    }

    /// Characters in the bar between the brackets.
    public static let barWidth = 24

    /// Done as a fraction from 0 to 1; nil when the total is unknown. An empty transfer is complete.
    public var fraction: Double? {
        guard let totalBytes else { return nil }
        guard totalBytes > 0 else { return 1 }
        return min(1, max(0, Double(doneBytes) / Double(totalBytes)))
    }

    /// Average bytes per second so far (0 before any time has passed).
    public var bytesPerSecond: Double { elapsed > 0 ? Double(doneBytes) / elapsed : 0 }

    /// `[#########...............]  37%  12.0 MiB/32.0 MiB  4.0 MiB/s  3/10 files  00:03`: the bar, percentage
    /// and byte counts (when the total is known), speed, file count (for more than one file) and elapsed time.
    public var line: String {
        var parts: [String] = []
        if let fraction {
            let filled = Int((fraction * Double(Self.barWidth)).rounded(.down))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: Self.barWidth - filled)
            let percent = Int((fraction * 100).rounded(.down))
            parts.append("[\(bar)] \(Self.pad(String(percent), 3))%")
            parts.append("\(ByteCount.format(doneBytes))/\(ByteCount.format(totalBytes ?? 0))")
        } else {
            parts.append(ByteCount.format(doneBytes))
        }
        parts.append("\(ByteCount.format(Int64(bytesPerSecond)))/s")
        if totalFiles > 1 { parts.append("\(doneFiles)/\(totalFiles) files") }
        parts.append(Self.clock(elapsed))
        return parts.joined(separator: "  ")
    }

    /// `mm:ss`, or `h:mm:ss` from one hour on.
    public static func clock(_ seconds: Double) -> String {
        let total = Int(max(0, seconds))
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        let tail = "\(pad(String(minutes), 2, with: "0")):\(pad(String(secs), 2, with: "0"))"
        return hours > 0 ? "\(hours):\(tail)" : tail
    }

    static func pad(_ text: String, _ width: Int, with filler: Character = " ") -> String {
        text.count >= width ? text : String(repeating: filler, count: width - text.count) + text
    }
}

/// Human-readable byte counts in binary units.
public enum ByteCount {
    /// `512 B`, `1.5 KiB`, `12.0 MiB`, `3.2 GiB`: one decimal from KiB on.
    public static func format(_ bytes: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
        guard bytes >= 1024 else { return "\(max(0, bytes)) B" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        if tenths >= 10240, unit < units.count - 1 { return "1.0 \(units[unit + 1])" }
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

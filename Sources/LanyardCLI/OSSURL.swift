import AlibabaCloudOSS

/// An `oss://bucket[/key]` address as the `lanyard oss` commands take it.
///
/// The key is kept verbatim (spaces, `+`, `%`, unicode and repeated `/` are all legal in OSS keys); an
/// empty key means the bucket itself.
public struct OSSURL: Sendable, Hashable, CustomStringConvertible {
    /// The bucket name.
    public var bucket: String
    /// The object key or key prefix; empty for the bucket itself.
    public var key: String

    /// The longest key OSS accepts, in UTF-8 bytes.
    public static let maximumKeyLength = 1023

    /// Creates an address from its parts (not validated).
    public init(bucket: String, key: String = "") {
        self.bucket = bucket
        self.key = key
    }

    /// Parses `oss://bucket[/key]`; a bad scheme, bucket name or key is a usage error naming `text`.
    public init(parsing text: String) throws(CLIError) {
        guard text.utf8.count >= 6, text.prefix(6).lowercased() == "oss://" else {
            throw .usage("\"\(text)\" is not an OSS URL: expected oss://bucket[/key]")
        }
        let rest = text.dropFirst(6)
        let slash = rest.firstIndex(of: "/")
        let bucket = String(slash.map { rest[..<$0] } ?? rest)
        let key = slash.map { String(rest[rest.index(after: $0)...]) } ?? ""
        guard !bucket.isEmpty else { throw .usage("\"\(text)\" names no bucket: expected oss://bucket[/key]") }
        guard OSSClient.isValidBucketName(bucket) else {
            throw .usage(
                "\"\(text)\": invalid bucket name \"\(bucket)\" (3-63 lower-case letters, digits and -, starting and ending with a letter or digit)"
            )
        }
        if key.hasPrefix("/") || key.hasPrefix("\\") {
            throw .usage("\"\(text)\": an object key cannot start with / or \\")
        }
        guard key.utf8.count <= Self.maximumKeyLength else {
            throw .usage("\"\(text)\": the object key is longer than \(Self.maximumKeyLength) bytes")
        }
        self.bucket = bucket
        self.key = key
    }

    /// The key read as a folder: empty stays empty, anything else ends with `/`.
    public var folderPrefix: String { key.isEmpty || key.hasSuffix("/") ? key : key + "/" }

    /// Whether the address names a bucket or a folder (empty key or a trailing `/`) rather than one object.
    public var isFolder: Bool { key.isEmpty || key.hasSuffix("/") }

    /// The same bucket with another key.
    public func with(key: String) -> OSSURL { OSSURL(bucket: bucket, key: key) }

    /// `oss://bucket/key` (or `oss://bucket` for the bucket itself).
    public var description: String { key.isEmpty ? "oss://\(bucket)" : "oss://\(bucket)/\(key)" }

    /// ``description`` safe for a terminal: control characters in the key are escaped (see ``escapingControls(_:)``).
    public var displayed: String { key.isEmpty ? description : "oss://\(bucket)/\(Self.escapingControls(key))" }

    /// `text` with C0 and C1 control characters and DEL written as C-style escapes (`\n`, `\t`, `\r`, else
    /// `\xHH` or `\u{HH}`) and backslashes doubled, as `ls -b` does, so a key cannot move the cursor, clear
    /// the screen or fake another line. Text without either comes back unchanged.
    public static func escapingControls(_ text: String) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }
        guard text.unicodeScalars.contains(where: { isControl($0) || $0 == "\\" }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case _ where scalar.value < 0x80 && isControl(scalar):
                result += "\\x" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 2)
            case _ where isControl(scalar): result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// One side of a copy: a local path or an OSS address.
public enum TransferLocation: Sendable, Hashable {
    /// A path on this machine.
    case local(String)
    /// An object or prefix in OSS.
    case oss(OSSURL)

    /// `oss://…` is an OSS address, any other `scheme://` is refused, and everything else is a local path.
    public init(parsing text: String) throws(CLIError) {
        if text.utf8.count >= 6, text.prefix(6).lowercased() == "oss://" {
            self = .oss(try OSSURL(parsing: text))
        } else if let scheme = text.range(of: "://"), !text[..<scheme.lowerBound].contains("/") {
            throw .usage("\"\(text)\": unsupported URL scheme; use oss://bucket/key or a local path")
        } else if text.isEmpty {
            throw .usage("an empty path is not a file or an OSS URL")
        } else {
            self = .local(text)
        }
    }
}

/// The OSS endpoint as the SDK takes it.
public enum OSSEndpoint {
    /// `text` with a scheme: kept when it has one; otherwise `https://` for a name without a port or with port
    /// 443 (Alibaba Cloud endpoints) and `http://` for the rest: IP addresses, `localhost`, and any `host:PORT`
    /// (a Lanyard server, as `--endpoint` treats it).
    public static func url(_ text: String) -> String {
        if text.contains("://") { return text }
        let host: Substring
        let rest: Substring
        if text.hasPrefix("[") {
            host = text.prefix { $0 != "]" }
            rest = text.dropFirst(host.count + 1)
        } else {
            host = text.prefix { $0 != ":" && $0 != "/" }
            rest = text.dropFirst(host.count)
        }
        let port = rest.hasPrefix(":") ? rest.dropFirst().prefix { $0 != "/" } : nil
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        let isAddress = host.hasPrefix("[") || (octets.count == 4 && octets.allSatisfy { UInt8($0) != nil })
        let isCloudName = !isAddress && host != "localhost" && (port == nil || port == "443")
        return (isCloudName ? "https://" : "http://") + text
    }
}

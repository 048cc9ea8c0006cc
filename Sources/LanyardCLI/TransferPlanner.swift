/// Where each file or object of a `lanyard oss cp` goes: pure path arithmetic, no I/O.
///
/// Single copies follow `cp`: a destination that is a folder (an existing directory, a path ending in `/`,
/// or an OSS address with an empty key or a trailing `/`) receives the source under its last path component.
/// Recursive copies keep the paths relative to the source folder: `cp -r dir oss://b/p` puts `dir/a/x` at
/// `p/a/x`, and `cp -r oss://b/p local` puts `p/a/x` at `local/a/x`. An OSS source prefix is read as a
/// folder (`p` means `p/`), so `p` never picks up the objects of `p2/`.
public enum TransferPlanner {
    /// The last component of a `/`-separated path, ignoring trailing slashes.
    public static func lastComponent(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return String(trimmed.split(separator: "/", omittingEmptySubsequences: true).last ?? trimmed)
    }

    /// The key a single local file is uploaded to.
    public static func uploadKey(localPath: String, destination: OSSURL) -> String {
        destination.isFolder ? destination.key + lastComponent(localPath) : destination.key
    }

    /// The key a single object is copied to inside OSS.
    public static func copyKey(sourceKey: String, destination: OSSURL) -> String {
        destination.isFolder ? destination.key + lastComponent(sourceKey) : destination.key
    }

    /// The local path a single object is downloaded to.
    /// - Parameter destinationIsDirectory: whether `destination` is an existing directory.
    public static func downloadPath(key: String, destination: String, destinationIsDirectory: Bool) -> String {
        guard destinationIsDirectory || destination.hasSuffix("/") else { return destination }
        return join(destination, lastComponent(key))
    }

    /// `directory/relative` with exactly one `/` between them.
    public static func join(_ directory: String, _ relative: String) -> String {
        if directory.isEmpty { return relative }
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// The key of a file found at `relativePath` (components separated by `/`) under an uploaded folder.
    public static func recursiveUploadKey(relativePath: String, destination: OSSURL) -> String {
        destination.folderPrefix + relativePath
    }

    /// The key an object under `sourcePrefix` is copied to under `destination`.
    public static func recursiveCopyKey(key: String, sourcePrefix: String, destination: OSSURL) -> String {
        destination.folderPrefix + key.dropFirst(sourcePrefix.count)
    }

    /// What a recursive download does with one listed key.
    public enum LocalEntry: Sendable, Hashable {
        /// Write the object to this path, relative to the destination directory.
        case file(String)
        /// The key is a folder marker (`a/b/`): create this directory (empty for the source folder itself).
        case directory(String)
        /// The key cannot become a local path safely; the reason says why.
        case skipped(String)
    }

    /// Maps `key` (listed under `sourcePrefix`) to a path relative to the destination directory.
    ///
    /// Keys whose remainder has an empty, `.` or `..` component (repeated `/`, or path tricks that would
    /// write outside the destination) or a NUL byte are skipped rather than written somewhere unexpected.
    public static func localEntry(key: String, sourcePrefix: String) -> LocalEntry {
        guard key.hasPrefix(sourcePrefix) else { return .skipped("not under \(sourcePrefix)") }
        var relative = Substring(key.dropFirst(sourcePrefix.count))
        let isMarker = relative.isEmpty || relative.hasSuffix("/")
        if isMarker { relative = relative.dropLast(relative.isEmpty ? 0 : 1) }
        if relative.isEmpty { return .directory("") }
        if relative.utf8.contains(0) { return .skipped("the key contains a NUL byte") }
        for component in relative.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty { return .skipped("the key has an empty path component (repeated /)") }
            if component == "." || component == ".." { return .skipped("the key has a \(component) path component") }
        }
        return isMarker ? .directory(String(relative)) : .file(String(relative))
    }

    /// A `Content-Type` guessed from the file extension (`application/octet-stream` when unknown).
    public static func contentType(forPath path: String) -> String {
        let name = lastComponent(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "application/octet-stream" }
        return contentTypes[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }

    static let contentTypes: [String: String] = [
        "txt": "text/plain", "html": "text/html", "htm": "text/html", "css": "text/css", "csv": "text/csv",
        "md": "text/markdown", "js": "text/javascript", "json": "application/json", "xml": "application/xml",
        "yaml": "application/yaml", "yml": "application/yaml", "pdf": "application/pdf", "zip": "application/zip",
        "gz": "application/gzip", "tar": "application/x-tar", "wasm": "application/wasm", "png": "image/png",
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "svg": "image/svg+xml",
        "ico": "image/x-icon", "mp3": "audio/mpeg", "mp4": "video/mp4", "webm": "video/webm",
    ]
}

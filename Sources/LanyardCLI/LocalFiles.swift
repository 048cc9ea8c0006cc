import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What is at a local path, following symbolic links.
enum LocalFile {
    /// The kind of a path.
    enum Kind: Equatable {
        case missing
        case file(size: Int64)
        case directory
        /// A socket, device or FIFO: not copied.
        case other
    }

    static func kind(_ path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file(size: Int64(info.st_size))
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The regular files below `root` (following links to files), as `/`-separated relative paths in
    /// sorted order, with their sizes.
    static func regularFiles(under root: String) throws(CLIError) -> [(relative: String, size: Int64)] {
        let subpaths: [String]
        do {
            subpaths = try FileManager.default.subpathsOfDirectory(atPath: root)
        } catch {
            throw CLIError(code: "LocalReadFailed", message: "LocalReadFailed: cannot read \(root): \(error.localizedDescription)")
        }
        return subpaths.sorted().compactMap { relative in
            guard case .file(let size) = kind(TransferPlanner.join(root, relative)) else { return nil }
            return (relative, size)
        }
    }

    /// Creates `path` and its parents if missing.
    static func makeDirectory(_ path: String) throws(CLIError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CLIError(
                code: "LocalWriteFailed", message: "LocalWriteFailed: cannot create directory \(path): \(error.localizedDescription)")
        }
    }
}

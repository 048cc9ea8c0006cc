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

    /// What a recursive copy finds below a directory.
    struct Tree {
        /// Regular files (links to files included), as `/`-separated relative paths in sorted order, with sizes.
        var files: [(relative: String, size: Int64)] = []
        /// Entries that are not copied, with why: links to directories (not followed, so no loop is possible),
        /// dangling links, sockets, devices and FIFOs.
        var skipped: [(relative: String, reason: String)] = []
    }

    /// The files below `root`, which may itself be a link to a directory.
    static func tree(under root: String) throws(CLIError) -> Tree {
        let resolved = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        let subpaths: [String]
        do {
            subpaths = try FileManager.default.subpathsOfDirectory(atPath: resolved)
        } catch {
            throw CLIError(code: "LocalReadFailed", message: "LocalReadFailed: cannot read \(root): \(error.localizedDescription)")
        }
        var tree = Tree()
        for relative in subpaths.sorted() {
            let path = TransferPlanner.join(resolved, relative)
            switch kind(path) {
            case .file(let size): tree.files.append((relative, size))
            case .directory:
                var info = stat()
                if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                    tree.skipped.append((relative, "a link to a directory (not followed)"))
                }
            case .missing: tree.skipped.append((relative, "a dangling symbolic link"))
            case .other: tree.skipped.append((relative, "not a regular file"))
            }
        }
        return tree
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

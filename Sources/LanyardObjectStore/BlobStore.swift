import Foundation
import LanyardCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Body files under `<data>/objects/`: `tmp/<id>` while being written, `<xx>/<id>` once complete.
/// A blob is visible only through a committed metadata row, so a temporary or unreferenced file is never
/// served; `tmp/` is emptied at start-up.
struct BlobStore: Sendable {
    /// Root directory of the blobs.
    let root: String

    init(root: String) throws(OSSError) {
        self.root = root
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
            for entry in (try? fm.contentsOfDirectory(atPath: root + "/tmp")) ?? [] {
                unlink(root + "/tmp/" + entry)
            }
            for i in 0..<256 {
                try fm.createDirectory(atPath: root + "/" + Self.shard(i), withIntermediateDirectories: true)
            }
        } catch {
            throw OSSError.internalError("cannot prepare \(root): \(error)")
        }
    }

    private static func shard(_ i: Int) -> String {
        let hex = Array("0123456789abcdef")
        return String([hex[i >> 4], hex[i & 15]])
    }

    /// A fresh blob name, `<xx>/<32 hex>`, where `xx` is the current second modulo 256: blobs uploaded
    /// together share a directory, so the commit that publishes a batch of them fsyncs one directory rather
    /// than one per blob (see `GroupCommit`), while over time names still spread evenly over the directories.
    static func newName() -> String {
        shard(Int(time(nil) & 255)) + "/" + SecureRandom.bytes(16).hexString
    }

    /// Absolute path of a committed blob.
    func path(_ name: String) -> String { root + "/" + name }

    /// Absolute path of the temporary file for a blob name.
    func temporaryPath(_ name: String) -> String {
        root + "/tmp/" + name.replacingOccurrences(of: "/", with: "-")
    }

    /// The directory holding a committed blob: the metadata commit that first references a blob fsyncs it
    /// (see `GroupCommit`), which makes the blob's rename or link durable.
    func directory(of name: String) -> String { root + "/" + name.prefix(2) }

    /// Moves a finished (fsynced) temporary file into place; durable once `directory(of: name)` is fsynced.
    func publish(_ name: String) throws(OSSError) {
        guard rename(temporaryPath(name), path(name)) == 0 else {
            throw OSSError.internalError("rename failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Hard-links an immutable blob under a new name (a copy that costs no I/O); durable once
    /// `directory(of: name)` is fsynced.
    func link(_ source: String, as name: String) throws(OSSError) {
        guard Glibc.link(path(source), path(name)) == 0 else {
            throw OSSError.internalError("link failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Removes a blob (after the metadata row that referenced it is gone).
    func remove(_ name: String) { unlink(path(name)) }

    /// Removes an unpublished temporary file.
    func discardTemporary(_ name: String) { unlink(temporaryPath(name)) }
}

/// Writes a body to a file while computing its MD5 and CRC-64, buffering to make few large writes.
/// Used by one thread at a time.
final class BlobWriter {
    let name: String
    let path: String
    private let fd: Int32
    private var md5: LanyardCrypto.Digest? = LanyardCrypto.Digest(.md5)
    private(set) var crc = CRC64()
    private(set) var count: Int64 = 0
    private var buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    private var closed = false

    private static let bufferSize = 1 << 20

    /// Opens `path` for writing at `offset` (0 creates or truncates; otherwise appends to an existing file,
    /// dropping any bytes past `offset` left by an earlier failed append).
    init(name: String, path: String, offset: Int64 = 0) throws(OSSError) {
        self.name = name
        self.path = path
        let flags = offset == 0 ? (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC) : (O_WRONLY | O_CLOEXEC)
        fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw OSSError.internalError("cannot create \(path): \(String(cString: strerror(errno)))") }
        if offset > 0 {
            guard ftruncate(fd, off_t(offset)) == 0, lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
                close(fd)
                throw OSSError.internalError("cannot position \(path)")
            }
        }
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit {
        if !closed { close(fd) }
        buffer.deallocate()
    }

    /// Adds bytes: hashes them and writes them out.
    func write(_ chunk: UnsafeRawBufferPointer) throws(OSSError) {
        md5?.update(chunk)
        crc.update(chunk)
        count += Int64(chunk.count)
        if buffered + chunk.count > Self.bufferSize { try flush() }
        if chunk.count >= Self.bufferSize {
            try writeAll(chunk)
        } else if let base = chunk.baseAddress {
            (buffer.baseAddress! + buffered).copyMemory(from: base, byteCount: chunk.count)
            buffered += chunk.count
        }
    }

    private func flush() throws(OSSError) {
        guard buffered > 0 else { return }
        try writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<buffered]))
        buffered = 0
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(OSSError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw OSSError.internalError("write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    /// Flushes, fsyncs and closes; returns the MD5 of everything written.
    func finish() throws(OSSError) -> [UInt8] {
        try flush()
        guard fsync(fd) == 0 else { throw OSSError.internalError("fsync failed: \(String(cString: strerror(errno)))") }
        closed = true
        close(fd)
        guard let digest = md5.take() else { throw OSSError.internalError("blob finished twice") }
        return digest.finalize()
    }

    /// Closes without syncing (the caller discards the file).
    func abandon() {
        if !closed {
            closed = true
            close(fd)
        }
    }
}

/// Copies `length` bytes of `source` starting at 0 to the end of the file open as `destination`.
func copyFileBytes(from source: String, length: Int64, to destination: Int32) throws(OSSError) {
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw OSSError.internalError("cannot open \(source)") }
    defer { close(input) }
    var remaining = length
    var offset: off_t = 0
    while remaining > 0 {
        // Linux sendfile copies file to file inside the kernel.
        let n = sendfile(destination, input, &offset, Int(min(remaining, 1 << 30)))
        if n < 0 {
            if errno == EINTR { continue }
            throw OSSError.internalError("copy failed: \(String(cString: strerror(errno)))")
        }
        if n == 0 { throw OSSError.internalError("\(source) is shorter than recorded") }
        remaining -= Int64(n)
    }
}

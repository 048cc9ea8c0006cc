import Foundation
import LanyardCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Body files under `<data>/objects/`: `tmp/<id>` while being written, `<xx>/<id>` once complete.
/// A blob is visible only through a committed metadata row, so a temporary or unreferenced file is never
/// served; `tmp/` is emptied at start-up.
///
/// Small bodies share files: the bodies of one commit batch are written back to back into a pack,
/// `<xx>/p<id>` (one file, one fsync, one rename for the batch, see `GroupCommit`). A row's blob reference is
/// `<xx>/<id>` for a body that has a file of its own and `<file>:<offset>` for a body inside a file.
struct BlobStore: Sendable, BodyPacker {
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

    /// A fresh pack file name, `<xx>/p<32 hex>` (the shard as in `newName`).
    static func newPackName() -> String {
        shard(Int(time(nil) & 255)) + "/p" + SecureRandom.bytes(16).hexString
    }

    /// The file and the offset in it of a blob reference.
    static func location(_ blob: String) -> (file: String, offset: Int64) {
        guard let colon = blob.lastIndex(of: ":"), let offset = Int64(blob[blob.index(after: colon)...]) else {
            return (blob, 0)
        }
        return (String(blob[..<colon]), offset)
    }

    /// A reference to the body at `offset` of `file`.
    static func reference(file: String, offset: Int64) -> String { offset == 0 ? file : "\(file):\(offset)" }

    /// Whether a file is a pack (shared by several rows, which count their references to it).
    static func isPack(_ file: String) -> Bool {
        guard let slash = file.firstIndex(of: "/") else { return false }
        return file[file.index(after: slash)...].hasPrefix("p")
    }

    /// Absolute path of a committed blob file.
    func path(_ name: String) -> String { root + "/" + name }

    /// Absolute path of the temporary file for a blob name.
    func temporaryPath(_ name: String) -> String {
        root + "/tmp/" + String(decoding: name.utf8.map { $0 == UInt8(ascii: "/") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
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

    /// Removes a blob file (after the metadata rows that referenced it are gone).
    func remove(_ name: String) { unlink(path(name)) }

    func pack(_ bodies: [[UInt8]]) throws(OSSError) -> (file: String, directory: String, offsets: [Int64]) {
        let name = Self.newPackName()
        let temporary = temporaryPath(name)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw OSSError.internalError("cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var offsets: [Int64] = []
        var contents: [UInt8] = []
        contents.reserveCapacity(bodies.reduce(0) { $0 + $1.count })
        for body in bodies {
            offsets.append(Int64(contents.count))
            contents.append(contentsOf: body)
        }
        do throws(OSSError) {
            defer { close(fd) }
            try writeAll(fd, contents)
            guard fsync(fd) == 0 else {
                throw OSSError.internalError("fsync failed: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        do throws(OSSError) { try publish(name) } catch {
            unlink(temporary)
            throw error
        }
        return (name, directory(of: name), offsets)
    }

    func removePack(_ file: String) { remove(file) }

    /// Removes an unpublished temporary file.
    func discardTemporary(_ name: String) { unlink(temporaryPath(name)) }
}

/// Writes `bytes` to `fd` completely.
private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(OSSError) {
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

private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(OSSError) {
    var failure: OSSError?
    bytes.withUnsafeBytes { buffer in
        do throws(OSSError) { try writeAll(fd, buffer) } catch { failure = error }
    }
    if let failure { throw failure }
}

/// Takes a body while computing its MD5 and CRC-64: into a file, buffering to make few large writes, or (for
/// a small body that will be packed) into memory. Used by one thread at a time.
final class BlobWriter {
    private let fd: Int32
    private var md5: LanyardCrypto.Digest? = LanyardCrypto.Digest(.md5)
    private(set) var crc = CRC64()
    private(set) var count: Int64 = 0
    /// Bytes not yet written to the file; the whole body for an in-memory writer.
    private(set) var buffered: [UInt8] = []
    private var closed = false

    private static let bufferSize = 1 << 20

    /// Opens `path` for writing at `offset` (0 creates or truncates; otherwise appends to an existing file,
    /// dropping any bytes past `offset` left by an earlier failed append).
    init(path: String, offset: Int64 = 0) throws(OSSError) {
        let flags = offset == 0 ? (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC) : (O_WRONLY | O_CLOEXEC)
        fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw OSSError.internalError("cannot create \(path): \(String(cString: strerror(errno)))") }
        if offset > 0 {
            guard ftruncate(fd, off_t(offset)) == 0, lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
                close(fd)
                throw OSSError.internalError("cannot position \(path)")
            }
        }
    }

    /// A writer keeping the body (of at most `capacity` bytes, as declared) in memory: `body` after `finish`.
    init(inMemory capacity: Int) {
        fd = -1
        buffered.reserveCapacity(capacity)
    }

    deinit {
        if !closed && fd >= 0 { close(fd) }
    }

    /// The body of an in-memory writer.
    var body: [UInt8] { buffered }

    /// Adds bytes: hashes them and writes them out (or keeps them, in memory).
    func write(_ chunk: UnsafeRawBufferPointer) throws(OSSError) {
        md5?.update(chunk)
        crc.update(chunk)
        count += Int64(chunk.count)
        guard fd >= 0 else {
            buffered.append(contentsOf: chunk)
            return
        }
        if buffered.count + chunk.count > Self.bufferSize { try flush() }
        if chunk.count >= Self.bufferSize {
            try writeAll(fd, chunk)
        } else {
            if buffered.capacity == 0 { buffered.reserveCapacity(Self.bufferSize) }
            buffered.append(contentsOf: chunk)
        }
    }

    private func flush() throws(OSSError) {
        guard !buffered.isEmpty else { return }
        try writeAll(fd, buffered)
        buffered.removeAll(keepingCapacity: true)
    }

    /// Flushes, fsyncs and closes a file writer; returns the MD5 of everything written.
    func finish() throws(OSSError) -> [UInt8] {
        if fd >= 0 {
            try flush()
            guard fsync(fd) == 0 else {
                throw OSSError.internalError("fsync failed: \(String(cString: strerror(errno)))")
            }
            close(fd)
        }
        closed = true
        guard let digest = md5.take() else { throw OSSError.internalError("blob finished twice") }
        return digest.finalize()
    }

    /// Closes without syncing (the caller discards the file).
    func abandon() {
        if !closed {
            closed = true
            if fd >= 0 { close(fd) }
        }
    }
}

/// Copies `length` bytes of `source` starting at `offset` to the end of the file open as `destination`.
func copyFileBytes(from source: String, offset start: Int64 = 0, length: Int64, to destination: Int32)
    throws(OSSError)
{
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw OSSError.internalError("cannot open \(source)") }
    defer { close(input) }
    var remaining = length
    var offset = off_t(start)
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

import Foundation
import LanyardCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The files of a data directory: the instance lock, the master key and the root credentials file.
struct DataDirectory: Sendable {
    let path: String

    var lockPath: String { path + "/lanyard.lock" }
    var tokenKeyPath: String { path + "/token.key" }
    var rootCredentialsPath: String { path + "/root-credentials.json" }
    var storePath: String { path + "/identity.sqlite" }
    var auditPath: String { path + "/audit.jsonl" }

    /// Creates the directory (mode 0700) when missing.
    init(path: String) throws(ControlPlaneError) {
        self.path = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: self.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ControlPlaneError(code: "DataDirectoryUnusable", message: "\(self.path) is not a directory")
            }
        } else {
            do {
                try FileManager.default.createDirectory(
                    atPath: self.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ControlPlaneError(
                    code: "DataDirectoryUnusable", message: "cannot create \(self.path): \(error.localizedDescription)")
            }
        }
    }

    /// Takes the exclusive instance lock (`flock` on `lanyard.lock`), so a second server on the same data
    /// directory refuses to start; the lock goes away with the process, so a crash never leaves it stale.
    func lock() throws(ControlPlaneError) -> InstanceLock {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ControlPlaneError(code: "DataDirectoryUnusable", message: "cannot open \(lockPath): \(errnoText())")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            var holder = ""
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                holder = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            close(descriptor)
            if reason == EWOULDBLOCK {
                throw ControlPlaneError(
                    code: "DataDirectoryLocked",
                    message: "another Lanyard server\(holder.isEmpty ? "" : " (pid \(holder))") is using the data "
                        + "directory \(path); stop it or choose another --data directory")
            }
            throw ControlPlaneError(code: "DataDirectoryUnusable", message: "cannot lock \(lockPath): \(errnoText())")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        return InstanceLock(descriptor: descriptor)
    }

    /// Reads the 32-byte master key, creating it (mode 0600, written once) on first start.
    func masterKey() throws(ControlPlaneError) -> [UInt8] {
        if let existing = FileManager.default.contents(atPath: tokenKeyPath) {
            guard existing.count == AESGCM.keyByteCount else {
                throw ControlPlaneError(
                    code: "InvalidTokenKey",
                    message: "\(tokenKeyPath) holds \(existing.count) bytes; a token key is exactly 32 bytes")
            }
            return Array(existing)
        }
        let key = SecureRandom.bytes(AESGCM.keyByteCount)
        try writeOnce(key, to: tokenKeyPath)
        return key
    }

    /// Writes `<data>/root-credentials.json` (mode 0600) unless it exists.
    func writeRootCredentials(_ account: AccountInfo) throws(ControlPlaneError) {
        guard !FileManager.default.fileExists(atPath: rootCredentialsPath) else { return }
        let json = JSONText.object([
            ("AccountId", account.accountId), ("AccessKeyId", account.accessKeyId),
            ("AccessKeySecret", account.accessKeySecret),
        ])
        try writeOnce(Array((json + "\n").utf8), to: rootCredentialsPath)
    }

    /// Creates `path` exclusively with mode 0600 and writes `bytes` durably (fsync of file and directory).
    private func writeOnce(_ bytes: [UInt8], to path: String) throws(ControlPlaneError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ControlPlaneError(code: "DataDirectoryUnusable", message: "cannot create \(path): \(errnoText())")
        }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                throw ControlPlaneError(code: "DataDirectoryUnusable", message: "cannot write \(path): \(errnoText())")
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            throw ControlPlaneError(code: "DataDirectoryUnusable", message: "cannot sync \(path): \(errnoText())")
        }
        let directory = open(self.path, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }
}

/// The held instance lock; released by ``release()`` or when the process ends.
final class InstanceLock: Sendable {
    private let descriptor: Mutex<Int32?>

    init(descriptor: Int32) { self.descriptor = Mutex(descriptor) }

    deinit { release() }

    /// Releases the lock (closing the descriptor drops the flock); later calls do nothing.
    func release() {
        if let open = descriptor.withLock({ value in defer { value = nil }; return value }) { close(open) }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }

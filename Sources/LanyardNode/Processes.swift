import Foundation
import Synchronization

/// A process named so that a reused pid can never be mistaken for it: pid plus start time (clock ticks after
/// boot, field 22 of `/proc/<pid>/stat`).
public struct ProcessStamp: Sendable, Hashable, Codable {
    /// Process id.
    public let pid: Int32
    /// Start time in clock ticks since boot.
    public let startTime: UInt64

    /// The stamp of a running process, or nil if there is none with this pid.
    public static func of(pid: Int32) -> ProcessStamp? {
        guard let fields = ProcFS.statFields(pid), fields.count > 19, let start = UInt64(fields[19]) else { return nil }
        return ProcessStamp(pid: pid, startTime: start)
    }

    /// Whether this very process still runs (not a zombie, pid not reused).
    public var isRunning: Bool {
        guard let fields = ProcFS.statFields(pid), fields.count > 19, fields[19] == String(startTime) else { return false }
        return fields[0] != "Z" && fields[0] != "X"
    }
}

/// Reading `/proc`.
enum ProcFS {
    /// Fields of `/proc/<pid>/stat` after the command name: index 0 is the state (field 3).
    static func statFields(_ pid: Int32) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// Inode of a namespace of a process (`net`, `mnt`), or nil.
    static func namespaceInode(pid: Int32, _ kind: String) -> UInt64? {
        var info = stat()
        guard stat("/proc/\(pid)/ns/\(kind)", &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    /// Every pid currently listed in `/proc`.
    static func pids() -> [Int32] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { Int32($0) }
    }

    /// Pids whose parent is `parent` (field 4 of `/proc/<pid>/stat`).
    static func children(of parent: Int32) -> [Int32] {
        let wanted = String(parent)
        return pids().filter { statFields($0).map { $0.count > 1 && $0[1] == wanted } ?? false }
    }

    /// Whether a process is PID 1 of its own pid namespace (the last `NSpid` of `/proc/<pid>/status` is 1, and it
    /// has more than one: it is not the host's init).
    static func isNamespaceInit(_ pid: Int32) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") })
        else { return false }
        let ids = line.dropFirst("NSpid:".count).split(whereSeparator: { $0 == "\t" || $0 == " " })
        return ids.count > 1 && ids.last == "1"
    }

    /// Pids whose network and mount namespaces are exactly these.
    static func pids(inNetwork net: UInt64, mount mnt: UInt64) -> [Int32] {
        pids().filter { namespaceInode(pid: $0, "net") == net && namespaceInode(pid: $0, "mnt") == mnt }
    }
}

/// How a process ended.
public enum ExitStatus: Sendable, Hashable, Codable {
    /// Exited with this code.
    case exited(Int32)
    /// Killed by this signal.
    case signaled(Int32)
    /// Ended while not our child (adopted after a restart): its status cannot be known.
    case unknown

    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// Shell convention: the exit code, or 128 + signal, or 255 when unknown.
    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        case .unknown: 255
        }
    }
}

/// Starting processes with `posix_spawn` and collecting their exit status on a waiter thread.
enum Spawn {
    /// `fds` maps descriptors of this process to descriptor numbers in the child; every other descriptor is closed.
    static func start(
        executable: String, arguments: [String], environment: [String], fds: [(source: Int32, target: Int32)],
        newProcessGroup: Bool
    ) throws(NodeError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Through scratch numbers above every source and target first, so that no dup2 overwrites a descriptor
        // another mapping still has to read (a fixed scratch base would collide with sources of a busy server).
        let scratch = (fds.flatMap { [$0.source, $0.target] }.max() ?? 2) + 1
        for (index, mapping) in fds.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, mapping.source, scratch + Int32(index))
        }
        for (index, mapping) in fds.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, scratch + Int32(index), mapping.target)
        }
        guard GNULibC.addCloseFrom(&actions, (fds.map(\.target).max() ?? 2) + 1) else {
            throw NodeError(code: "SpawnFailed", message: "this C library cannot close inherited descriptors in a child")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw .posix("SpawnFailed", "starting \(executable)", errno: result) }
        return pid
    }

    /// Waits for a child on a dedicated thread and calls `done` with its status there.
    static func reap(_ pid: pid_t, done: @escaping @Sendable (ExitStatus) -> Void) {
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                guard errno == EINTR else {
                    done(.unknown)
                    return
                }
            }
            done(ExitStatus(waitStatus: status))
        }
    }

    /// Waits synchronously for a child.
    static func wait(_ pid: pid_t) -> ExitStatus {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return .unknown }
        }
        return ExitStatus(waitStatus: status)
    }
}

/// Descriptor helpers.
enum FD {
    /// Opens a file for appending (created 0600), close-on-exec.
    static func openLog(_ path: String) throws(NodeError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .posix("SandboxFailed", "opening \(path)", errno: errno) }
        return fd
    }

    /// A close-on-exec pipe.
    static func pipe() throws(NodeError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard Glibc.pipe(&ends) == 0 else { throw .posix("SandboxFailed", "pipe", errno: errno) }
        // Children get descriptors only through explicit mappings (posix_spawn closes the rest), so setting
        // close-on-exec right after creation is enough.
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        return (ends[0], ends[1])
    }

    /// Reads everything until EOF (bounded).
    static func readAll(_ fd: Int32, limit: Int = 1 << 20) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    /// Reads one line (without its newline), bounded; stops at EOF.
    static func readLine(_ fd: Int32, limit: Int = 256) -> [UInt8] {
        var out: [UInt8] = []
        var byte: UInt8 = 0
        while out.count < limit {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 || byte == UInt8(ascii: "\n") { break }
            out.append(byte)
        }
        return out
    }

    /// Writes all bytes (ignoring a closed reader).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}

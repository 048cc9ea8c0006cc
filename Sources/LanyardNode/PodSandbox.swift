import Foundation
import Synchronization

/// A pod's sandbox: a holder process (started with util-linux `unshare --net --mount --propagation private`)
/// that owns the pod's network and mount namespaces, like Kubernetes' pause container.
///
/// Inside, the holder brings `lo` up, adds the in-pod service addresses to it and bind-mounts the pod's own
/// hosts file over `/etc/hosts`, then prints `ready` and becomes `sleep infinity`. Everything that enters the pod
/// does so through namespace handles opened once and checked against the holder's pid and start time, so a
/// reused pid can never lead into another namespace; if the holder is gone, entering fails.
public final class PodSandbox: Sendable {
    /// The holder process.
    public let holder: ProcessStamp
    /// Inode of the pod's network namespace.
    public let networkNamespace: UInt64
    /// Inode of the pod's mount namespace.
    public let mountNamespace: UInt64

    private let handles: Mutex<(net: Int32, mnt: Int32)?>
    private let holderExited = Atomic<Bool>(false)

    private init(holder: ProcessStamp, net: Int32, mnt: Int32, networkNamespace: UInt64, mountNamespace: UInt64) {
        self.holder = holder
        self.networkNamespace = networkNamespace
        self.mountNamespace = mountNamespace
        self.handles = Mutex((net, mnt))
    }

    /// Root is needed for namespaces; this says so clearly when it is missing.
    public static func requireRoot() throws(NodeError) {
        guard geteuid() == 0 else {
            throw NodeError(
                code: "RootRequired",
                message: "pods need root (they run in their own network and mount namespaces); run `lanyard up` as root")
        }
    }

    /// Starts a holder whose `/etc/hosts` is `hostsFile` and whose `lo` carries `addresses` (IPv4, /32).
    /// The holder's stderr goes to `logFile`. Fails (and leaves nothing running) unless the setup completed.
    public static func create(hostsFile: String, addresses: [String], logFile: String) throws(NodeError) -> PodSandbox {
        try requireRoot()
        let unshare = try Tools.path("unshare")
        let log = try FD.openLog(logFile)
        defer { close(log) }
        let ready = try FD.pipe()
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        let script = """
            set -e
            hosts="$1"; shift
            ip link set lo up
            for address in "$@"; do ip address add "$address/32" dev lo; done
            mount --bind "$hosts" /etc/hosts
            echo ready
            exec sleep infinity >/dev/null
            """
        let pid: pid_t
        do {
            pid = try Spawn.start(
                executable: unshare,
                arguments: ["unshare", "--net", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "lanyard-pod", hostsFile]
                    + addresses,
                environment: ["PATH=\(Tools.searchPath)", "LC_ALL=C"],
                fds: [(null, 0), (ready.write, 1), (log, 2)], newProcessGroup: true)
        } catch {
            close(ready.read)
            close(ready.write)
            throw error
        }
        close(ready.write)
        let said = String(decoding: FD.readLine(ready.read), as: UTF8.self)
        close(ready.read)

        func fail(_ message: String) -> NodeError {
            kill(pid, SIGKILL)
            _ = Spawn.wait(pid)
            let detail = (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
            return NodeError(code: "SandboxFailed", message: detail.isEmpty ? message : "\(message): \(detail)")
        }
        guard said == "ready", let stamp = ProcessStamp.of(pid: pid) else { throw fail("the pod holder did not finish its setup") }
        let sandbox: PodSandbox
        do {
            sandbox = try attach(holder: stamp, expecting: nil)
        } catch {
            throw fail(error.message)
        }
        Spawn.reap(pid) { [sandbox] _ in sandbox.holderExited.store(true, ordering: .releasing) }
        return sandbox
    }

    /// Re-adopts a holder left by a previous server process, if it is still that process with those namespaces.
    public static func adopt(holder: ProcessStamp, networkNamespace: UInt64, mountNamespace: UInt64) throws(NodeError) -> PodSandbox {
        try requireRoot()
        return try attach(holder: holder, expecting: (networkNamespace, mountNamespace))
    }

    /// Opens the holder's namespace handles, then re-checks the holder, so the handles provably belong to it.
    private static func attach(holder: ProcessStamp, expecting: (net: UInt64, mnt: UInt64)?) throws(NodeError) -> PodSandbox {
        let net = open("/proc/\(holder.pid)/ns/net", O_RDONLY | O_CLOEXEC)
        let mnt = open("/proc/\(holder.pid)/ns/mnt", O_RDONLY | O_CLOEXEC)
        func inode(_ fd: Int32) -> UInt64? {
            var info = stat()
            return fd >= 0 && fstat(fd, &info) == 0 ? UInt64(info.st_ino) : nil
        }
        guard let netInode = inode(net), let mntInode = inode(mnt), holder.isRunning,
            expecting.map({ $0.net == netInode && $0.mnt == mntInode }) ?? true,
            netInode != ProcFS.namespaceInode(pid: getpid(), "net")
        else {
            if net >= 0 { close(net) }
            if mnt >= 0 { close(mnt) }
            throw NodeError(code: "PodGone", message: "the pod's holder process \(holder.pid) is gone or is not the pod's")
        }
        return PodSandbox(holder: holder, net: net, mnt: mnt, networkNamespace: netInode, mountNamespace: mntInode)
    }

    /// Whether the holder still runs and the sandbox has not been destroyed.
    public var isAlive: Bool {
        !holderExited.load(ordering: .acquiring) && handles.withLock { $0 != nil } && holder.isRunning
    }

    /// Starts a process inside the pod (`nsenter` into the pinned namespaces), in its own process group.
    /// `fds` maps this process's descriptors to the child's 0, 1 and 2.
    public func spawn(
        arguments: [String], environment: [String], workingDirectory: String?, stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(NodeError) -> pid_t {
        guard !arguments.isEmpty else { throw NodeError(code: "InvalidCommand", message: "no command to run") }
        let nsenter = try Tools.path("nsenter")
        return try withHandles { (net, mnt) throws(NodeError) -> pid_t in
            var argv = ["nsenter", "--net=/proc/self/fd/3", "--mount=/proc/self/fd/4"]
            if let workingDirectory { argv.append("--wd=\(workingDirectory)") }
            argv.append("--")
            return try Spawn.start(
                executable: nsenter, arguments: argv + arguments, environment: environment,
                fds: [(stdin, 0), (stdout, 1), (stderr, 2), (net, 3), (mnt, 4)], newProcessGroup: true)
        }
    }

    /// Creates a TCP socket inside the pod's network namespace (on a dedicated thread that enters it), binds it to
    /// `address:port` and listens. The socket stays in the pod's namespace whoever uses it later.
    public func openListener(address: String, port: UInt16, backlog: Int32 = 128) throws(NodeError) -> Int32 {
        try withHandles { (net, _) throws(NodeError) -> Int32 in
            try NamespaceThread.run(network: net) { () throws(NodeError) -> Int32 in
                try Sockets.listen(address: address, port: port, backlog: backlog)
            }
        }
    }

    /// Kills every process in the pod's namespaces (the holder, containers, exec'd commands and their
    /// children), then releases the namespace handles. Idempotent.
    public func destroy() {
        guard let taken = handles.withLock({ state -> (net: Int32, mnt: Int32)? in
            defer { state = nil }
            return state
        }) else { return }
        if holder.isRunning { kill(holder.pid, SIGKILL) }
        for _ in 0..<500 {
            let remaining = ProcFS.pids(inNetwork: networkNamespace, mount: mountNamespace)
            if remaining.isEmpty { break }
            for pid in remaining { kill(pid, SIGKILL) }
            usleep(2_000)
        }
        close(taken.net)
        close(taken.mnt)
    }

    /// The pids of every process currently inside the pod's namespaces.
    public var processes: [Int32] { ProcFS.pids(inNetwork: networkNamespace, mount: mountNamespace) }

    private func withHandles<T>(_ body: ((net: Int32, mnt: Int32)) throws(NodeError) -> T) throws(NodeError) -> T {
        try handles.withLock { (state) throws(NodeError) -> T in
            guard let state, !holderExited.load(ordering: .acquiring), holder.isRunning else {
                throw NodeError(code: "PodGone", message: "the pod's holder process \(holder.pid) is gone")
            }
            return try body(state)
        }
    }
}

/// Locating the util-linux and iproute2 tools.
enum Tools {
    static let searchPath = "/usr/sbin:/usr/bin:/sbin:/bin"

    static func path(_ name: String) throws(NodeError) -> String {
        for directory in searchPath.split(separator: ":") where access("\(directory)/\(name)", X_OK) == 0 {
            return "\(directory)/\(name)"
        }
        throw NodeError(code: "ToolMissing", message: "\(name) not found in \(searchPath) (install util-linux and iproute2)")
    }
}

/// Runs a closure on a fresh thread that first enters a network namespace; the thread ends afterwards, so no
/// other work ever runs in the pod's namespace by accident.
enum NamespaceThread {
    static func run<T: Sendable>(network fd: Int32, _ body: @escaping @Sendable () throws(NodeError) -> T) throws(NodeError) -> T {
        let result = Mutex<Result<T, NodeError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let outcome: Result<T, NodeError>
            if GNULibC.setns(fd, GNULibC.newNetworkNamespace) {
                do throws(NodeError) { outcome = .success(try body()) } catch { outcome = .failure(error) }
            } else {
                outcome = .failure(.posix("ListenerFailed", "entering the pod's network namespace", errno: errno))
            }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }
}

/// IPv4 TCP sockets.
enum Sockets {
    static func listen(address: String, port: UInt16, backlog: Int32) throws(NodeError) -> Int32 {
        var addr = try socketAddress(address, port)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .posix("ListenerFailed", "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            let error = errno
            close(fd)
            throw .posix("ListenerFailed", "listening on \(address):\(port)", errno: error)
        }
        return fd
    }

    static func connect(address: String, port: UInt16) throws(NodeError) -> Int32 {
        var addr = try socketAddress(address, port)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .posix("ConnectFailed", "socket", errno: errno) }
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            close(fd)
            throw .posix("ConnectFailed", "connecting to \(address):\(port)", errno: error)
        }
        return fd
    }

    /// The local address a socket is bound to, as `a.b.c.d:port`.
    static func localAddress(_ fd: Int32) -> String? {
        var addr = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &addr.sin_addr, &text, socklen_t(text.count))
        let host = String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host):\(UInt16(bigEndian: addr.sin_port))"
    }

    private static func socketAddress(_ address: String, _ port: UInt16) throws(NodeError) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            throw NodeError(code: "ListenerFailed", message: "not an IPv4 address: \(address)")
        }
        return addr
    }
}

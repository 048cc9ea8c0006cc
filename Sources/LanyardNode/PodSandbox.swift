import Foundation
import Synchronization

/// A pod's sandbox: a holder process that owns the pod's network, mount, IPC and pid namespaces, like Kubernetes'
/// pause container. It is started with util-linux `unshare --net --mount --propagation private --ipc --pid --fork
/// --mount-proc`, so the holder (unshare's forked child) is PID 1 of the pod's own pid namespace: a pod sees
/// only its own processes and cannot name another pod's holder or any host process, and when the holder dies
/// the kernel kills everything in the pod.
///
/// Inside, the holder brings `lo` up and adds the in-pod service addresses to it, then builds the pod's view of
/// the filesystem in its mount namespace: every host mount is re-bound read-only (per-mount flags: the host's
/// own mounts stay as they are), the data directory is covered by an empty read-only tmpfs (no credentials,
/// keys, databases or object bodies are reachable), `/tmp` and `/dev/shm` are private tmpfs, `/proc` is the pod's own with
/// `/proc/sys` read-only, and the pod's hosts file is bound over `/etc/hosts`. Then it prints `ready` and
/// becomes `sleep infinity` with SIGCHLD ignored, so orphans reparented to it are reaped by the kernel.
///
/// Containers and exec'd commands enter through namespace handles opened once and checked against the holder's
/// pid, start time and pid-namespace position, so a reused pid can never lead into another namespace; if the
/// holder is gone, entering fails. They run as `nobody` (uid/gid 65534, no supplementary groups) with no
/// capabilities (bounding, inheritable and ambient sets cleared) and `no_new_privs`: the choice of an
/// unprivileged uid over a capability-less root is deliberate, because root without capabilities still owns
/// root-owned device nodes, sysctls, sockets and 0600 files of the host, while `nobody` owns nothing.
public final class PodSandbox: Sendable {
    /// The uid and gid containers run as (`nobody`/`nogroup`).
    public static let containerUser: UInt32 = 65534

    /// The holder process (PID 1 of the pod's pid namespace).
    public let holder: ProcessStamp
    /// Inode of the pod's network namespace.
    public let networkNamespace: UInt64
    /// Inode of the pod's mount namespace.
    public let mountNamespace: UInt64
    /// Inode of the pod's pid namespace.
    public let pidNamespace: UInt64

    private struct Handles {
        var net: Int32
        var mnt: Int32
        var pid: Int32
        var ipc: Int32
    }

    private struct Watch {
        var exited = false
        var observers: [@Sendable () -> Void] = []
    }

    private let handles: Mutex<Handles?>
    private let watch = Mutex(Watch())

    private init(holder: ProcessStamp, handles: Handles, networkNamespace: UInt64, mountNamespace: UInt64, pidNamespace: UInt64) {
        self.holder = holder
        self.networkNamespace = networkNamespace
        self.mountNamespace = mountNamespace
        self.pidNamespace = pidNamespace
        self.handles = Mutex(handles)
    }

    /// Root is needed for namespaces; this says so clearly when it is missing.
    public static func requireRoot() throws(NodeError) {
        guard geteuid() == 0 else {
            throw NodeError(
                code: "RootRequired",
                message: "pods need root (they run in their own network, mount, IPC and pid namespaces); run `lanyard up` as root")
        }
    }

    /// The holder's setup, run by `/bin/sh` as PID 1 of the new namespaces. Every remount is `remount,bind`: it
    /// changes only this namespace's copy of a mount, never the host's filesystem. A mount point that cannot be
    /// made read-only fails the setup unless it does not exist (shadowed by a later mount on the host).
    private static let holderScript = """
        set -e
        hosts="$1"; hidden="$2"; shift 2
        ip link set lo up
        for address in "$@"; do ip address add "$address/32" dev lo; done
        awk '{ print $5 }' /proc/self/mountinfo | while IFS= read -r point; do
            path=$(printf '%b' "$point")
            case "$path" in /proc | /proc/*) continue ;; esac
            mount -o remount,bind,ro "$path" || test ! -e "$path"
        done
        mount --bind "$hosts" /etc/hosts
        mount -o remount,bind,ro /etc/hosts
        mount -t tmpfs -o ro,mode=0,size=4k,nosuid,nodev,noexec lanyard-hidden "$hidden"
        mount -t tmpfs -o mode=1777,nosuid,nodev lanyard-tmp /tmp
        if test -d /dev/shm; then mount -t tmpfs -o mode=1777,nosuid,nodev,noexec lanyard-shm /dev/shm; fi
        mount --bind /proc/sys /proc/sys
        mount -o remount,bind,ro /proc/sys
        echo ready
        exec env --ignore-signal=CHLD sleep infinity >/dev/null
        """

    /// Starts a holder whose `/etc/hosts` is `hostsFile`, whose `lo` carries `addresses` (IPv4, /32) and in which
    /// `hiddenDirectory` (the data directory) is an empty read-only directory. The holder's stderr goes to
    /// `logFile`. Fails (and leaves nothing running) unless the setup completed.
    public static func create(hostsFile: String, hiddenDirectory: String, addresses: [String], logFile: String) throws(NodeError)
        -> PodSandbox
    {
        try requireRoot()
        let unshare = try Tools.path("unshare")
        _ = try Tools.path("setpriv")
        guard let hidden = realpath(hiddenDirectory, nil).map({ pointer -> String in
            defer { free(pointer) }
            return String(cString: pointer)
        }), hidden != "/" else {
            throw NodeError(code: "SandboxFailed", message: "the directory to hide from pods, \(hiddenDirectory), cannot be resolved")
        }
        let log = try FD.openLog(logFile)
        defer { close(log) }
        let ready = try FD.pipe()
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        let launcher: pid_t
        do {
            launcher = try Spawn.start(
                executable: unshare,
                arguments: [
                    "unshare", "--net", "--mount", "--propagation", "private", "--ipc", "--pid", "--fork", "--mount-proc", "--",
                    "/bin/sh", "-c", holderScript, "lanyard-pod", hostsFile, hidden,
                ] + addresses,
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

        // The holder is unshare's only child; unshare itself stays outside the pod's pid namespace, waiting.
        let holderPid = ProcFS.children(of: launcher).first
        func fail(_ message: String) -> NodeError {
            if let holderPid { kill(holderPid, SIGKILL) }
            kill(launcher, SIGKILL)
            _ = Spawn.wait(launcher)
            let detail = (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
            return NodeError(code: "SandboxFailed", message: detail.isEmpty ? message : "\(message): \(detail)")
        }
        guard said == "ready", let holderPid, let stamp = ProcessStamp.of(pid: holderPid) else {
            throw fail("the pod holder did not finish its setup")
        }
        let sandbox: PodSandbox
        do {
            sandbox = try attach(holder: stamp, expecting: nil)
        } catch {
            throw fail(error.message)
        }
        // unshare exits once the holder has: either way the pod is over.
        Spawn.reap(launcher) { [sandbox] _ in sandbox.holderEnded() }
        return sandbox
    }

    /// Re-adopts a holder left by a previous server process, if it is still that process with those namespaces.
    public static func adopt(
        holder: ProcessStamp, networkNamespace: UInt64, mountNamespace: UInt64, pidNamespace: UInt64
    ) throws(NodeError) -> PodSandbox {
        try requireRoot()
        return try attach(holder: holder, expecting: (networkNamespace, mountNamespace, pidNamespace))
    }

    /// Pins the holder (pidfd) and opens its namespace handles, then checks the holder is still the same process,
    /// PID 1 of a pid namespace other than ours, so the handles provably belong to it. Watches the holder from then on.
    private static func attach(holder: ProcessStamp, expecting: (net: UInt64, mnt: UInt64, pid: UInt64)?) throws(NodeError) -> PodSandbox {
        let pidfd = GNULibC.pidfdOpen(holder.pid)
        let net = open("/proc/\(holder.pid)/ns/net", O_RDONLY | O_CLOEXEC)
        let mnt = open("/proc/\(holder.pid)/ns/mnt", O_RDONLY | O_CLOEXEC)
        let pid = open("/proc/\(holder.pid)/ns/pid", O_RDONLY | O_CLOEXEC)
        let ipc = open("/proc/\(holder.pid)/ns/ipc", O_RDONLY | O_CLOEXEC)
        func inode(_ fd: Int32) -> UInt64? {
            var info = stat()
            return fd >= 0 && fstat(fd, &info) == 0 ? UInt64(info.st_ino) : nil
        }
        guard pidfd >= 0, let netInode = inode(net), let mntInode = inode(mnt), let pidInode = inode(pid), inode(ipc) != nil, holder.isRunning,
            ProcFS.isNamespaceInit(holder.pid),
            expecting.map({ $0.net == netInode && $0.mnt == mntInode && $0.pid == pidInode }) ?? true,
            netInode != ProcFS.namespaceInode(pid: getpid(), "net"), pidInode != ProcFS.namespaceInode(pid: getpid(), "pid")
        else {
            for fd in [pidfd, net, mnt, pid, ipc] where fd >= 0 { close(fd) }
            throw NodeError(code: "PodGone", message: "the pod's holder process \(holder.pid) is gone or is not the pod's")
        }
        let sandbox = PodSandbox(
            holder: holder, handles: Handles(net: net, mnt: mnt, pid: pid, ipc: ipc), networkNamespace: netInode, mountNamespace: mntInode,
            pidNamespace: pidInode)
        Thread.detachNewThread { [sandbox] in
            var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            while poll(&entry, 1, -1) < 0 && errno == EINTR {}
            close(pidfd)
            sandbox.holderEnded()
        }
        return sandbox
    }

    /// Records that the holder is gone and tells the observers, once.
    private func holderEnded() {
        let observers = watch.withLock { state -> [@Sendable () -> Void] in
            guard !state.exited else { return [] }
            state.exited = true
            defer { state.observers = [] }
            return state.observers
        }
        observers.forEach { $0() }
    }

    /// Calls `observer` (on a background thread, once) when the holder ends, or right away if it already has.
    public func whenHolderEnds(_ observer: @escaping @Sendable () -> Void) {
        let ended = watch.withLock { state -> Bool in
            if !state.exited { state.observers.append(observer) }
            return state.exited
        }
        if ended { observer() }
    }

    private var holderHasEnded: Bool { watch.withLock { $0.exited } }

    /// Whether the holder still runs and the sandbox has not been destroyed.
    public var isAlive: Bool {
        !holderHasEnded && handles.withLock { $0 != nil } && holder.isRunning
    }

    /// Starts a process inside the pod (`nsenter` into the pinned namespaces, then `setpriv` down to `nobody` with no
    /// capabilities and `no_new_privs`), in its own process group. The returned pid is nsenter's, which stays
    /// outside the pod's pid namespace, waits for the command and exits with its status.
    public func spawn(
        arguments: [String], environment: [String], workingDirectory: String?, stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(NodeError) -> pid_t {
        guard !arguments.isEmpty else { throw NodeError(code: "InvalidCommand", message: "no command to run") }
        let nsenter = try Tools.path("nsenter")
        let setpriv = try Tools.path("setpriv")
        let user = String(Self.containerUser)
        return try withHandles { (handles) throws(NodeError) -> pid_t in
            var argv = ["nsenter", "--net=/proc/self/fd/3", "--mount=/proc/self/fd/4", "--pid=/proc/self/fd/5", "--ipc=/proc/self/fd/6"]
            if let workingDirectory { argv.append("--wd=\(workingDirectory)") }
            // setpriv keeps its capabilities effective up to its execve, so the command itself is looked up by a
            // second, unprivileged setpriv: a path that nobody cannot reach cannot be run either.
            argv += [
                "--", setpriv, "--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--inh-caps=-all", "--ambient-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--", setpriv, "--",
            ]
            return try Spawn.start(
                executable: nsenter, arguments: argv + arguments, environment: environment,
                fds: [(stdin, 0), (stdout, 1), (stderr, 2), (handles.net, 3), (handles.mnt, 4), (handles.pid, 5), (handles.ipc, 6)],
                newProcessGroup: true)
        }
    }

    /// Creates a TCP socket inside the pod's network namespace (on a dedicated thread that enters it), binds it to
    /// `address:port` and listens. The socket stays in the pod's namespace whoever uses it later.
    public func openListener(address: String, port: UInt16, backlog: Int32 = 128) throws(NodeError) -> Int32 {
        try withHandles { (handles) throws(NodeError) -> Int32 in
            try NamespaceThread.run(network: handles.net) { () throws(NodeError) -> Int32 in
                try Sockets.listen(address: address, port: port, backlog: backlog)
            }
        }
    }

    /// Kills every process in the pod's namespaces (the holder, whose death ends everything in its pid
    /// namespace, and the launcher and nsenter parents outside it), then releases the namespace handles. Idempotent.
    public func destroy() {
        guard let taken = handles.withLock({ state -> Handles? in
            defer { state = nil }
            return state
        }) else { return }
        if holder.isRunning { kill(holder.pid, SIGKILL) }
        // Bounded: the holder, as the pod's PID 1, ends only after the kernel has killed and reaped everything in
        // its pid namespace; its namespaces are released before that, so it is waited for by itself. The nsenter
        // and unshare parents outside the pid namespace are left to exit by themselves once their child has died
        // (for half a second): killed first, they would orphan that child onto the host's init, and the namespace
        // would wait for that init to reap it (seconds on hosts whose init reaps lazily).
        for attempt in 0..<2500 {
            let remaining = ProcFS.pids(inNetwork: networkNamespace, mount: mountNamespace)
            if remaining.isEmpty && !holder.isRunning { break }
            let doomed = attempt < 250 ? remaining.filter { ProcFS.namespaceInode(pid: $0, "pid") == pidNamespace } : remaining
            for pid in doomed { kill(pid, SIGKILL) }
            usleep(2_000)
        }
        close(taken.net)
        close(taken.mnt)
        close(taken.pid)
        close(taken.ipc)
    }

    /// The pids of every process currently inside the pod's namespaces.
    public var processes: [Int32] { ProcFS.pids(inNetwork: networkNamespace, mount: mountNamespace) }

    private func withHandles<T>(_ body: (Handles) throws(NodeError) -> T) throws(NodeError) -> T {
        try handles.withLock { (state) throws(NodeError) -> T in
            guard let state, !holderHasEnded, holder.isRunning else {
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

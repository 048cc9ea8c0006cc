import Foundation
import Synchronization
import Testing

@testable import LanyardNode

/// Helpers shared by the root-only sandbox tests.
enum SandboxFixture {
    static var isRoot: Bool { geteuid() == 0 }

    static func directory() -> String {
        let path = NSTemporaryDirectory() + "lanyard-node-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A sandbox whose hosts file lives in `dir` and which hides `hidden` (default: `dir`).
    static func sandbox(
        in dir: String, hiding hidden: String? = nil, hosts: String = "127.0.0.1 localhost\n100.100.100.201 oss-cn-hangzhou-internal.aliyuncs.com\n"
    ) throws -> PodSandbox {
        try hosts.write(toFile: dir + "/hosts", atomically: false, encoding: .utf8)
        return try PodSandbox.create(
            hostsFile: dir + "/hosts", hiddenDirectory: hidden ?? dir, addresses: ["100.100.100.200", "100.100.100.201", "100.100.100.202"],
            logFile: dir + "/holder.log")
    }

    /// A data-like directory outside /tmp (so only the hiding, not the pod's private /tmp, keeps it out of reach),
    /// holding a world-readable fake credentials file (so only the hiding, not file modes, keeps it unread).
    static func dataDirectory() throws -> String {
        let path = "/var/tmp/lanyard-node-data-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path + "/pods", withIntermediateDirectories: true)
        try "{\"AccessKeySecret\": \"root-secret\"}\n".write(toFile: path + "/root-credentials.json", atomically: false, encoding: .utf8)
        chmod(path + "/root-credentials.json", 0o644)
        return path
    }

    /// Waits (bounded, generously) for a condition that a background event makes true.
    static func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<6000 {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// Serves `count` HTTP requests on a listening socket, answering each with `body(requestLine)`.
    static func serve(_ listener: Int32, count: Int, body: @escaping @Sendable (String) -> String) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for _ in 0..<count {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { break }
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !request.contains(UInt8(ascii: "\n")) {
                    let n = read(client, &buffer, buffer.count)
                    if n <= 0 { break }
                    request += buffer[0..<n]
                }
                let line = String(decoding: request.prefix(while: { $0 != UInt8(ascii: "\r") }), as: UTF8.self)
                let text = body(line)
                let response = "HTTP/1.1 200 OK\r\nContent-Length: \(text.utf8.count)\r\nConnection: close\r\n\r\n\(text)"
                FD.writeAll(client, Array(response.utf8))
                close(client)
            }
            done.signal()
        }
        return done
    }

    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
}

@Suite(.serialized, .enabled(if: SandboxFixture.isRoot, "pod sandboxes need root"))
struct PodSandboxTests {
    @Test func holderOwnsItsOwnNamespacesAndHostsFile() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sandbox = try SandboxFixture.sandbox(in: dir)
        defer { sandbox.destroy() }
        #expect(sandbox.isAlive)
        #expect(sandbox.networkNamespace != ProcFS.namespaceInode(pid: getpid(), "net"))
        #expect(sandbox.mountNamespace != ProcFS.namespaceInode(pid: getpid(), "mnt"))

        let result = try sandbox.execute(
            arguments: ["/bin/sh", "-c", "cat /etc/hosts; ip -4 -o address show dev lo | awk '{print $4}'; pwd"],
            environment: SandboxFixture.environment, workingDirectory: "/tmp")
        #expect(result.status == .exited(0))
        let lines = String(decoding: result.output, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "127.0.0.1 localhost", "100.100.100.201 oss-cn-hangzhou-internal.aliyuncs.com", "127.0.0.1/8", "100.100.100.200/32",
                "100.100.100.201/32", "100.100.100.202/32", "/tmp",
            ])
        // The host's own /etc/hosts is untouched.
        let hostHosts = try String(contentsOfFile: "/etc/hosts", encoding: .utf8)
        #expect(!hostHosts.contains("oss-cn-hangzhou-internal"))
    }

    @Test func containerProcessWritesAFileAndExecPassesStdinAndExitCode() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sandbox = try SandboxFixture.sandbox(in: dir)
        defer { sandbox.destroy() }
        let log = try FD.openLog(dir + "/c.log")
        let null = open("/dev/null", O_RDONLY)
        let status = try sandbox.run(
            arguments: ["/bin/sh", "-c", "echo \"$GREETING\" > /tmp/written; echo to-log; echo err >&2"],
            environment: SandboxFixture.environment + ["GREETING=hello pod"], stdin: null, stdout: log, stderr: log)
        close(log)
        close(null)
        #expect(status == .exited(0))
        #expect(try String(contentsOfFile: dir + "/c.log", encoding: .utf8) == "to-log\nerr\n")
        // The file is in the pod's own /tmp: later commands in the pod see it, the host does not.
        let read = try sandbox.execute(arguments: ["cat", "/tmp/written"], environment: SandboxFixture.environment)
        #expect(read.output == Array("hello pod\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/written"))

        let exec = try sandbox.execute(
            arguments: ["/bin/sh", "-c", "tr a-z A-Z; echo oops >&2; exit 7"], environment: SandboxFixture.environment,
            input: Array("shout\n".utf8))
        #expect(exec.status == .exited(7))
        #expect(exec.status.code == 7)
        #expect(exec.output == Array("SHOUT\n".utf8))
        #expect(exec.errorOutput == Array("oops\n".utf8))

        let killed = try sandbox.execute(arguments: ["/bin/sh", "-c", "kill -9 $$"], environment: SandboxFixture.environment)
        #expect(killed.status == .signaled(9))
        #expect(killed.status.code == 137)
    }

    @Test func execKeepsBinaryOutputAndReportsTruncationAndTimeout() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sandbox = try SandboxFixture.sandbox(in: dir)
        defer { sandbox.destroy() }
        let binary = try sandbox.execute(arguments: ["printf", "\\377\\000\\200ok"], environment: SandboxFixture.environment)
        #expect(binary.output == [0xFF, 0x00, 0x80, 0x6F, 0x6B])
        #expect(!binary.outputTruncated && !binary.timedOut)

        let long = try sandbox.execute(
            arguments: ["/bin/sh", "-c", "head -c 5000 /dev/zero; head -c 10 /dev/zero >&2"], environment: SandboxFixture.environment,
            limit: 4096)
        #expect(long.status == .exited(0))
        #expect(long.output.count == 4096 && long.outputTruncated)
        #expect(long.errorOutput.count == 10 && !long.errorOutputTruncated)

        // The output so far comes back with the verdict; the deadline, not the command, ends the wait.
        let slow = try sandbox.execute(
            arguments: ["/bin/sh", "-c", "echo begun; exec sleep 600"], environment: SandboxFixture.environment, timeout: 1)
        #expect(slow.timedOut)
        #expect(slow.status == .signaled(9))
        #expect(slow.output == Array("begun\n".utf8))

        // Nobody waits any more (the client left): killed at once, long before its timeout.
        let started = Date()
        let stop = Date().addingTimeInterval(0.5)
        let abandoned = try sandbox.execute(
            arguments: ["/bin/sh", "-c", "echo begun; exec sleep 600"], environment: SandboxFixture.environment, timeout: 60,
            stopWhen: { Date() >= stop })
        #expect(abandoned.abandoned && !abandoned.timedOut)
        #expect(abandoned.status == .signaled(9))
        #expect(abandoned.output == Array("begun\n".utf8))
        #expect(Date().timeIntervalSince(started) < 5)
        // SIGKILL is sent to the group at once but acted on when each process next runs: on a loaded machine a
        // killed command may still be listed for a moment, so wait (boundedly) for both to be gone.
        func sleepersLeft() -> Int {
            sandbox.processes.filter { (try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8)) == "sleep\u{0}600\u{0}" }.count
        }
        let giveUp = Date().addingTimeInterval(10)
        while sleepersLeft() > 0 && Date() < giveUp { usleep(20_000) }
        #expect(sleepersLeft() == 0)
    }

    @Test func execFailsClosedWhenTheHolderIsGone() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sandbox = try SandboxFixture.sandbox(in: dir)
        let ended = DispatchSemaphore(value: 0)
        sandbox.whenHolderEnds { ended.signal() }
        kill(sandbox.holder.pid, SIGKILL)
        ended.wait()
        #expect(!sandbox.isAlive)
        #expect(throws: NodeError.self) {
            _ = try sandbox.execute(arguments: ["/bin/true"], environment: [])
        }
        #expect(throws: NodeError.self) { _ = try sandbox.openListener(address: "100.100.100.200", port: 80) }
        sandbox.destroy()
        #expect(sandbox.processes.isEmpty)
    }

    @Test func listenerLivesInThePodNamespaceAndServesThePod() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sandbox = try SandboxFixture.sandbox(in: dir)
        defer { sandbox.destroy() }
        let listener = try sandbox.openListener(address: "100.100.100.200", port: 80)
        defer { close(listener) }
        // The socket's own network namespace (SIOCGSKNS) is the pod's, not the host's.
        let namespaceFD = ioctl(listener, UInt(0x894C))
        #expect(namespaceFD >= 0)
        var info = stat()
        fstat(namespaceFD, &info)
        close(namespaceFD)
        #expect(UInt64(info.st_ino) == sandbox.networkNamespace)
        #expect(Sockets.localAddress(listener) == "100.100.100.200:80")
        // The same address cannot even be bound in the host's namespace: it exists only in the pod.
        #expect(throws: NodeError.self) { _ = try Sockets.listen(address: "100.100.100.200", port: 80, backlog: 1) }

        let served = SandboxFixture.serve(listener, count: 1) { "pod says: \($0)" }
        let curl = try sandbox.execute(
            arguments: ["curl", "-s", "--max-time", "10", "http://100.100.100.200/latest/meta-data/instance-id"],
            environment: SandboxFixture.environment)
        served.wait()
        #expect(curl.status == .exited(0))
        #expect(String(decoding: curl.output, as: UTF8.self) == "pod says: GET /latest/meta-data/instance-id HTTP/1.1")
    }

    @Test func forwarderCarriesPodTrafficToAHostLoopbackPort() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sandbox = try SandboxFixture.sandbox(in: dir)
        defer { sandbox.destroy() }
        let upstream = try Sockets.listen(address: "127.0.0.1", port: 0, backlog: 8)
        defer { close(upstream) }
        let port = UInt16(Sockets.localAddress(upstream)!.split(separator: ":").last!)!
        let served = SandboxFixture.serve(upstream, count: 2) { "host loopback got \($0)" }
        let forwarder = try TCPForwarder(listener: try sandbox.openListener(address: "100.100.100.201", port: 80), targetPort: port)
        defer { forwarder.stop() }
        for _ in 0..<2 {
            let curl = try sandbox.execute(
                arguments: ["curl", "-s", "--max-time", "10", "http://oss-cn-hangzhou-internal.aliyuncs.com/bucket?list"],
                environment: SandboxFixture.environment)
            #expect(curl.status == .exited(0))
            #expect(String(decoding: curl.output, as: UTF8.self) == "host loopback got GET /bucket?list HTTP/1.1")
        }
        served.wait()
    }

    @Test func destroyLeavesNoProcessInThePod() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sandbox = try SandboxFixture.sandbox(in: dir)
        let null = open("/dev/null", O_RDWR)
        // A container that starts a background grandchild which ignores SIGTERM.
        let pid = try sandbox.spawn(
            arguments: ["/bin/sh", "-c", "trap '' TERM; (trap '' TERM; sleep 1000) & sleep 1000"], environment: SandboxFixture.environment,
            workingDirectory: nil, stdin: null, stdout: null, stderr: null)
        close(null)
        let reaped = DispatchSemaphore(value: 0)
        Spawn.reap(pid) { _ in reaped.signal() }
        // unshare, holder, nsenter, sh, subshell, sleeps
        #expect(SandboxFixture.eventually { sandbox.processes.count >= 6 })
        let holder = sandbox.holder
        sandbox.destroy()
        reaped.wait()
        #expect(sandbox.processes.isEmpty)
        #expect(!holder.isRunning)
        #expect(!sandbox.isAlive)
    }

    @Test func aPodCannotReachTheDataDirectoryTheHostOrAnotherPod() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = try SandboxFixture.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let a = try SandboxFixture.sandbox(in: dir, hiding: data)
        defer { a.destroy() }
        let dirB = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dirB) }
        let b = try SandboxFixture.sandbox(in: dirB, hiding: data)
        defer { b.destroy() }
        #expect(a.pidNamespace != b.pidNamespace)
        #expect(a.pidNamespace != ProcFS.namespaceInode(pid: getpid(), "pid"))
        func inA(_ script: String) throws -> (code: Int32, out: String) {
            let result = try a.execute(arguments: ["/bin/sh", "-c", script], environment: SandboxFixture.environment)
            return (result.status.code, String(decoding: result.output, as: UTF8.self))
        }
        let hostProbe = "/var/tmp/lanyard-escape-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: hostProbe) }
        // The data directory is empty and read-only inside; the host still reads its file.
        #expect(try String(contentsOfFile: data + "/root-credentials.json", encoding: .utf8).contains("root-secret"))
        #expect(try inA("cat \(data)/root-credentials.json").code != 0)
        #expect(try inA("ls -A \(data)").out == "")
        #expect(try inA("touch \(data)/x").code != 0)
        // The host's filesystem is read-only; /tmp is the pod's own.
        #expect(try inA("touch \(hostProbe)").code != 0)
        #expect(!FileManager.default.fileExists(atPath: hostProbe))
        #expect(try inA("touch /etc/lanyard-escape").code != 0)
        #expect(try inA("echo x > /etc/hosts").code != 0)
        #expect(try inA("ls -A /tmp; touch /tmp/mine && echo ok") == (0, "ok\n"))
        #expect(try inA("echo 1 > /proc/sys/kernel/sysrq").code != 0)
        // Its own IPC namespace and /dev/shm: nothing shared with pod B or the host.
        #expect(try inA("readlink /proc/self/ns/ipc").out != "ipc:[\(try #require(ProcFS.namespaceInode(pid: getpid(), "ipc")))]\n")
        #expect(try inA("touch /dev/shm/mine && echo ok") == (0, "ok\n"))
        #expect(try b.execute(arguments: ["test", "-e", "/dev/shm/mine"], environment: SandboxFixture.environment).status == .exited(1))
        // No capabilities, no way to gain any, and not root.
        #expect(
            try inA("id -u; id -G; grep -E '^(Cap|NoNewPrivs)' /proc/self/status").out
                == "65534\n65534\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
                + "CapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n")
        #expect(try inA("unshare --net true").code != 0)
        // Even the command itself is looked up without privileges: a program in a directory only root can enter
        // does not run.
        let privateDirectory = "/var/tmp/lanyard-private-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: privateDirectory) }
        try FileManager.default.createDirectory(atPath: privateDirectory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: privateDirectory + "/true")
        #expect(try a.execute(arguments: [privateDirectory + "/true"], environment: SandboxFixture.environment).status == .exited(126))
        #expect(try a.execute(arguments: ["/bin/true"], environment: SandboxFixture.environment).status == .exited(0))
        #expect(try inA("ip address add 10.9.9.9/32 dev lo").code != 0)
        // Its own pid namespace: the holder is PID 1, and neither pod B's holder nor this test process is there.
        let visible = try inA("ls /proc | grep -E '^[0-9]+$'").out.split(separator: "\n").compactMap { Int32($0) }
        #expect(visible.contains(1))
        #expect(!visible.contains(b.holder.pid) && !visible.contains(getpid()))
        #expect(try inA("nsenter -t \(b.holder.pid) -n true").code != 0)
        #expect(try inA("nsenter -t 1 -n true").code != 0)
        #expect(try inA("nsenter --net=/proc/1/ns/net true").code != 0)
        // And the pod's own metadata address still answers.
        let listener = try a.openListener(address: "100.100.100.200", port: 80)
        defer { close(listener) }
        let served = SandboxFixture.serve(listener, count: 1) { _ in "metadata" }
        #expect(try inA("curl -s --max-time 10 http://100.100.100.200/latest/meta-data/") == (0, "metadata"))
        served.wait()
    }

    @Test func orphansInThePodAreReapedByTheHolder() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sandbox = try SandboxFixture.sandbox(in: dir)
        defer { sandbox.destroy() }
        // A grandchild that outlives its parent is reparented to the holder (PID 1), which must not keep zombies.
        let orphan = try sandbox.execute(arguments: ["/bin/sh", "-c", "(sleep 0.2; true) & echo $!"], environment: SandboxFixture.environment)
        let pid = String(decoding: orphan.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!pid.isEmpty)
        #expect(SandboxFixture.eventually { (try? sandbox.execute(arguments: ["test", "-e", "/proc/\(pid)"], environment: SandboxFixture.environment).status) == .exited(1) })
    }
}

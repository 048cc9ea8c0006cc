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

    static func sandbox(in dir: String, hosts: String = "127.0.0.1 localhost\n100.100.100.201 oss-cn-hangzhou-internal.aliyuncs.com\n")
        throws -> PodSandbox
    {
        try hosts.write(toFile: dir + "/hosts", atomically: false, encoding: .utf8)
        return try PodSandbox.create(
            hostsFile: dir + "/hosts", addresses: ["100.100.100.200", "100.100.100.201", "100.100.100.202"],
            logFile: dir + "/holder.log")
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
            arguments: ["/bin/sh", "-c", "echo \"$GREETING\" > \(dir)/written; echo to-log; echo err >&2"],
            environment: SandboxFixture.environment + ["GREETING=hello pod"], stdin: null, stdout: log, stderr: log)
        close(log)
        close(null)
        #expect(status == .exited(0))
        #expect(try String(contentsOfFile: dir + "/written", encoding: .utf8) == "hello pod\n")
        #expect(try String(contentsOfFile: dir + "/c.log", encoding: .utf8) == "to-log\nerr\n")

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

    @Test func execFailsClosedWhenTheHolderIsGone() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sandbox = try SandboxFixture.sandbox(in: dir)
        kill(sandbox.holder.pid, SIGKILL)
        // Wait for the holder to be reaped (an event, not a timing assertion).
        while sandbox.isAlive { usleep(1_000) }
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
        while sandbox.processes.count < 4 { usleep(1_000) }  // holder, sh, subshell, sleeps
        let holder = sandbox.holder
        sandbox.destroy()
        reaped.wait()
        #expect(sandbox.processes.isEmpty)
        #expect(!holder.isRunning)
        #expect(!sandbox.isAlive)
    }
}

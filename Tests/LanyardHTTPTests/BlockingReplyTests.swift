import Dispatch
import Foundation
import LanyardHTTP
import Synchronization
import Testing

/// `HTTPReply.blocking`: work that takes long runs off the server's workers, which go on serving.
@Suite struct BlockingReplyTests {
    /// `/block` answers "done" once `gate` is signalled; anything else answers "fast" at once.
    static func handler(gate: DispatchSemaphore, finished: DispatchSemaphore? = nil)
        -> @Sendable (HTTPRequestHead) -> HTTPBodyDisposition
    {
        { head in
            .collectThenReply(limit: 1 << 20) { request in
                guard request.head.rawPath == "/block" else {
                    return .now(.text(200, "fast"))
                }
                return .blocking { _ in
                    gate.wait()
                    finished?.signal()
                    return .text(200, "done")
                }
            }
        }
    }

    @Test(arguments: [1, 2])
    func otherConnectionsAreServedWhileWorkBlocks(threads: Int) throws {
        let gate = DispatchSemaphore(value: 0)
        let server = try startServer(threads: threads, Self.handler(gate: gate))
        defer { server.shutdown() }
        // More blocked requests than the server has workers.
        let blocked = try (0..<(threads + 1)).map { _ in try RawClient(port: server.port) }
        for client in blocked { try client.send("POST /block HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi") }
        for _ in 0..<5 {
            let other = try RawClient(port: server.port)
            try other.send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try other.readResponse().text == "fast")
        }
        for _ in blocked { gate.signal() }
        for client in blocked {
            #expect(try client.readResponse().text == "done")
            // The connection is kept alive after a blocking reply.
            try client.send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "fast")
        }
    }

    @Test func shutdownClosesWaitingConnectionsAndDropsTheLateReply() throws {
        let gate = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let server = try startServer(Self.handler(gate: gate, finished: finished))
        let client = try RawClient(port: server.port)
        try client.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
        // Wait until the work is running (the connection is suspended), then stop the server under it.
        let probe = try RawClient(port: server.port)
        try probe.send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try probe.readResponse().text == "fast")
        server.shutdown()
        #expect(throws: (any Error).self) { try client.readResponse() }
        gate.signal()
        #expect(finished.wait(timeout: .now() + 10) == .success)
    }

    @Test(arguments: [false, true])
    func theWorkSeesTheClientLeave(threadPerConnection: Bool) throws {
        let seen = Mutex<[Bool]>([])
        let noticed = DispatchSemaphore(value: 0)
        let server = try HTTPServer(
            configuration: .init(listen: .address(host: "127.0.0.1", port: 0), threadPerConnection: threadPerConnection),
            handler: ClosureHandler { _ in
                .collectThenReply(limit: 1024) { _ in
                    .blocking { presence in
                        seen.withLock { $0.append(presence.hasLeft) }
                        let deadline = Date().addingTimeInterval(10)
                        while !presence.hasLeft && Date() < deadline { usleep(10_000) }
                        seen.withLock { $0.append(presence.hasLeft) }
                        noticed.signal()
                        return .text(200, "nobody reads this")
                    }
                }
            })
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("GET /watch HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(200_000)
        shutdown(client.fd, Int32(SHUT_RDWR))  // the client goes away (FIN), as a killed process does
        #expect(noticed.wait(timeout: .now() + 5) == .success)
        #expect(seen.withLock { $0 } == [false, true])
    }

    @Test func aThreadPerConnectionServerRunsTheWorkOnTheConnectionsThread() throws {
        let gate = DispatchSemaphore(value: 0)
        gate.signal()
        let server = try HTTPServer(
            configuration: .init(listen: .address(host: "127.0.0.1", port: 0), threadPerConnection: true),
            handler: ClosureHandler(Self.handler(gate: gate)))
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "done")
    }
}

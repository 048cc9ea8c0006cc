import Foundation
import LanyardHTTP
import Synchronization
import Testing

/// A loopback listening socket on an ephemeral port.
func loopbackListener() throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { throw TestFailure("listener: \(String(cString: strerror(errno)))") }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

@Suite struct TaggedConnectionTests {
    static func taggedServer() throws -> HTTPServer {
        try HTTPServer(configuration: .init(listen: .acceptedConnections), handler: ClosureHandler(describe))
    }

    @Test func handedOverSocketCarriesItsTag() throws {
        let server = try Self.taggedServer()
        defer { server.shutdown() }
        #expect(server.port == 0)
        for tag in [42, 43, 44] {
            var pair: [Int32] = [-1, -1]
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
            try server.addConnection(socket: pair[0], tag: tag)
            let client = RawClient(fd: pair[1])
            for path in ["/latest/meta-data/ram/security-credentials/", "/again"] {
                try client.send("GET \(path) HTTP/1.1\r\nHost: 100.100.100.200\r\n\r\n")
                let lines = try client.readResponse().text.split(separator: "\n", omittingEmptySubsequences: false)
                #expect(lines[1] == path[...])
                #expect(lines[3] == String(tag)[...])
            }
        }
    }

    @Test func handingOverANonSocketOrAfterShutdownFails() throws {
        let server = try Self.taggedServer()
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer { close(ends[1]) }
        #expect { try server.addConnection(socket: ends[0], tag: 1) } throws: { error in
            (error as? HTTPServerError)?.code == "AddConnectionFailed"
        }
        server.shutdown()
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[1]) }
        #expect { try server.addConnection(socket: pair[0], tag: 1) } throws: { error in
            (error as? HTTPServerError)?.code == "ServerStopped"
        }
    }

    @Test func acceptorTagsConnectionsByListener() async throws {
        let server = try Self.taggedServer()
        defer { server.shutdown() }
        let acceptor = try Acceptor(server: server)
        defer { acceptor.shutdown() }
        let first = try loopbackListener()
        let second = try loopbackListener()
        try acceptor.addListener(socket: first.fd, tag: 1)
        try acceptor.addListener(socket: second.fd, tag: 2)

        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for round in 0..<10 {
                        let (port, tag) = (worker + round) % 2 == 0 ? (first.port, 1) : (second.port, 2)
                        let client = try RawClient(port: port)
                        for request in 0..<3 {   // keep-alive: every request on the connection has the tag
                            try client.send("GET /w\(worker)/r\(round)/\(request) HTTP/1.1\r\nHost: x\r\n\r\n")
                            let lines = try client.readResponse().text.split(separator: "\n")
                            if lines[3] != String(tag)[...] || lines[4] != "127.0.0.1" { wrong += 1 }
                        }
                    }
                    return wrong
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)

        #expect(acceptor.removeListener(socket: first.fd))
        #expect(!acceptor.removeListener(socket: first.fd))
        #expect(throws: TestFailure.self) { try RawClient(port: first.port) }
        let client = try RawClient(port: second.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text.split(separator: "\n")[3] == "2")
    }

    @Test func acceptorShutdownClosesListeners() throws {
        let server = try Self.taggedServer()
        defer { server.shutdown() }
        let acceptor = try Acceptor(server: server)
        let listener = try loopbackListener()
        try acceptor.addListener(socket: listener.fd, tag: 5)
        let client = try RawClient(port: listener.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text.split(separator: "\n")[3] == "5")
        acceptor.shutdown()
        acceptor.shutdown()
        #expect(throws: TestFailure.self) { try RawClient(port: listener.port) }
        let late = try loopbackListener()
        defer { close(late.fd) }
        #expect { try acceptor.addListener(socket: late.fd, tag: 1) } throws: { error in
            (error as? HTTPServerError)?.code == "AcceptorStopped"
        }
    }
}

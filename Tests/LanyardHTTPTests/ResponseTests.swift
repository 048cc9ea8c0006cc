import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LanyardHTTP
import Synchronization
import Testing

@Suite struct ResponseBodyTests {
    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "lanyard-http-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [(0, 1_000_000), (1000, 500_000), (999_999, 1), (0, 0)] as [(Int64, Int64)])
    func fileRangeIsByteExact(offset: Int64, length: Int64) throws {
        let content = randomBytes(1_000_000, seed: 7)
        let path = try Self.temporaryFile(content)
        defer { unlink(path) }
        let server = try startServer { _ in
            .respond(HTTPResponse(status: 200, body: .file(path: path, offset: offset, length: length)))
        }
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("GET /f HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.header("Content-Length") == String(length))
        #expect(response.body == Array(content[Int(offset)..<Int(offset + length)]))
        // HEAD of the same file reports its length and sends no body: the next response parses cleanly.
        try client.send("HEAD /f HTTP/1.1\r\nHost: x\r\n\r\nGET /f HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse(head: true).header("Content-Length") == String(length))
        #expect(try client.readResponse().body.count == Int(length))
    }

    @Test func missingFileBecomes500() throws {
        let server = try startServer { _ in
            .respond(HTTPResponse(status: 200, body: .file(path: "/nonexistent/lanyard", offset: 0, length: 3)))
        }
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 500)
    }

    @Test(arguments: [nil, Int64(3 * 100_003)])
    func streamResponse(length: Int64?) throws {
        let chunks = (0..<3).map { randomBytes(100_003, seed: UInt64($0)) }
        let server = try startServer { _ in
            let remaining = Mutex(chunks[...])
            return .respond(HTTPResponse(status: 200, body: .stream(length: length) {
                remaining.withLock { $0.popFirst() }
            }))
        }
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("GET /s HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        if let length {
            #expect(response.header("Content-Length") == String(length))
        } else {
            #expect(response.header("Transfer-Encoding")?.lowercased() == "chunked")
        }
        #expect(response.body == chunks.flatMap { $0 })
        try client.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().body.count == 300_009)
    }

    @Test func headWithEmptyBodyReportsDeclaredLength() throws {
        let server = try startServer { head in
            if head.method == "HEAD" {
                return .respond(HTTPResponse(status: 200, headers: HTTPHeaders([
                    ("Content-Length", "123456"), ("ETag", "\"abc\""), ("Content-Type", "application/octet-stream"),
                ])))
            }
            return .respond(.text(200, "ok"))
        }
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("HEAD /b/obj HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse(head: true)
        #expect(response.status == 200)
        #expect(response.headerValues("Content-Length") == ["123456"])
        #expect(response.header("ETag") == "\"abc\"")
        try client.send("GET /b/obj HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "ok")
    }

    @Test func handlerContentLengthNeverDuplicatesTheServersOwn() throws {
        let server = try startServer { _ in
            .respond(HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Length", "99")]), body: .bytes([1, 2, 3])))
        }
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.headerValues("Content-Length") == ["3"])
        #expect(response.body == [1, 2, 3])
    }

    @Test func statusAndHeadersAreSent() throws {
        let server = try startServer { _ in
            .respond(HTTPResponse(status: 404, headers: HTTPHeaders([("x-oss-request-id", "R1"), ("X-Multi", "1"),
                                                                     ("X-Multi", "2")]),
                                  body: .bytes(Array("<Error/>".utf8))))
        }
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 404)
        #expect(response.header("x-oss-request-id") == "R1")
        #expect(response.headerValues("X-Multi") == ["1", "2"])
        #expect(response.text == "<Error/>")
    }
}

@Suite struct ConnectionTests {
    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        let server = try startServer(describe)
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        var pipelined = ""
        for index in 0..<5 { pipelined += "GET /p\(index) HTTP/1.1\r\nHost: x\r\n\r\n" }
        try client.send(pipelined)
        for index in 0..<5 { #expect(try client.readResponse().text.contains("/p\(index)\n")) }
        for index in 0..<5 {
            try client.send("GET /s\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text.contains("/s\(index)\n"))
        }
    }

    @Test func concurrentRequestsThroughURLSession() async throws {
        let server = try startServer(threads: 4) { head in
            .respond(HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]),
                                  body: .bytes(Array("{\"path\":\"\(head.rawPath)\"}".utf8))))
        }
        defer { server.shutdown() }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let port = server.port
        let bodies = try await withThrowingTaskGroup(of: [String].self) { group in
            for task in 0..<16 {
                group.addTask {
                    var seen: [String] = []
                    for request in stride(from: task, to: 200, by: 16) {
                        let url = URL(string: "http://127.0.0.1:\(port)/r/\(request)")!
                        let (data, response) = try await session.data(from: url)
                        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw TestFailure("status") }
                        seen.append(String(decoding: data, as: UTF8.self))
                    }
                    return seen
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(bodies.count == 200)
        #expect(Set(bodies) == Set((0..<200).map { "{\"path\":\"/r/\($0)\"}" }))
    }

    @Test func bindingABusyPortFails() throws {
        let server = try startServer(describe)
        defer { server.shutdown() }
        #expect {
            try HTTPServer(configuration: .init(listen: .address(host: "127.0.0.1", port: server.port)),
                           handler: ClosureHandler(describe))
        } throws: { error in
            (error as? HTTPServerError)?.code == "BindFailed"
        }
    }

    @Test func shutdownStopsListeningAndIsIdempotent() throws {
        let server = try startServer(describe)
        let port = server.port
        let client = try RawClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        server.shutdown()
        server.shutdown()
        #expect(client.isClosedByPeer())
        #expect(throws: TestFailure.self) { try RawClient(port: port) }
    }

    @Test func listeningServerRefusesHandedOverSockets() throws {
        let server = try startServer(describe)
        defer { server.shutdown() }
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[1]) }
        #expect { try server.addConnection(socket: pair[0], tag: 1) } throws: { error in
            (error as? HTTPServerError)?.code == "NotAcceptingConnections"
        }
    }
}

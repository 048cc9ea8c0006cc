import Foundation
import LanyardHTTP
import Synchronization
import Testing

/// Describes a request head as lines: method, path, query, tag, remote address.
@Sendable func describe(_ head: HTTPRequestHead) -> HTTPBodyDisposition {
    let lines = [head.method, head.rawPath, head.rawQuery ?? "<nil>", head.connectionTag.map(String.init) ?? "<nil>",
                 head.remoteAddress]
    return .respond(.text(200, lines.joined(separator: "\n")))
}

@Suite struct RawTargetTests {
    @Test(arguments: [
        ("/b/a%2Fb+c", "/b/a%2Fb+c", "<nil>"),
        ("/b/k??objectMeta", "/b/k", "?objectMeta"),
        ("/b?acl=", "/b", "acl="),
        ("/b?acl", "/b", "acl"),
        ("/b/key%20x?uploads&x-oss-process=a%2Cb+c", "/b/key%20x", "uploads&x-oss-process=a%2Cb+c"),
        ("/b/%E4%B8%AD?prefix=%25", "/b/%E4%B8%AD", "prefix=%25"),
        ("/?", "/", ""),
    ])
    func targetIsPreservedExactly(target: String, path: String, query: String) throws {
        let server = try startServer(describe)
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            == ["GET", path, query, "<nil>", "127.0.0.1"])
    }
}

@Suite struct RequestHeadTests {
    @Test func headersArriveOrderedWithRepeatedFields() throws {
        let server = try startServer { head in
            let text = [
                head.headers.values("x-multi").joined(separator: ","),
                head.headers["X-OSS-DATE"] ?? "<nil>",
                head.headers.map(\.name).joined(separator: ","),
            ].joined(separator: "\n")
            return .respond(.text(200, text))
        }
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Multi: a\r\nx-oss-date: d1\r\nx-multi: b, c\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.text == "a,b, c\nd1\nHost,X-Multi,x-oss-date,x-multi")
    }

    @Test func remoteAddressOverIPv6() throws {
        let server = try HTTPServer(configuration: .init(listen: .address(host: "::1", port: 0), threads: 1),
                                    handler: ClosureHandler(describe))
        defer { server.shutdown() }
        let client = try RawClient(port: server.port, host: "::1")
        try client.send("GET /six HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text.split(separator: "\n").last == "::1")
    }

    @Test func everyResponseCarriesAnRFC1123Date() throws {
        let server = try startServer(describe)
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let date = try #require(try client.readResponse().header("Date"))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let parsed = try #require(formatter.date(from: date))
        #expect(abs(parsed.timeIntervalSinceNow) < 3600)
    }
}

@Suite struct BodyTests {
    static func collectEcho(limit: Int) -> @Sendable (HTTPRequestHead) -> HTTPBodyDisposition {
        { _ in .collect(limit: limit) { request in HTTPResponse(status: 200, body: .bytes(request.body)) } }
    }

    @Test func collectsBodyWithContentLength() throws {
        let server = try startServer(Self.collectEcho(limit: 1 << 20))
        defer { server.shutdown() }
        let body = randomBytes(100_000, seed: 1)
        let client = try RawClient(port: server.port)
        try client.send("PUT /o HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
        try client.send(body)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body == body)
    }

    @Test func collectsChunkedBody() throws {
        let server = try startServer(Self.collectEcho(limit: 1 << 20))
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("POST /o HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        #expect(try client.readResponse().text == "hello world")
    }

    @Test func declaredLengthOverLimitIs413BeforeContinue() throws {
        let server = try startServer(Self.collectEcho(limit: 1000))
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("PUT /o HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1001\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(!response.body.isEmpty)
    }

    @Test func chunkedBodyOverLimitIs413() throws {
        let server = try startServer(Self.collectEcho(limit: 1000))
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        let chunk = String(repeating: "z", count: 600)
        try client.send("PUT /o HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
        #expect(try client.readResponse().status == 413)
    }

    @Test func expectContinueThenBody() throws {
        let server = try startServer(Self.collectEcho(limit: 1000))
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("PUT /o HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send("abcde")
        #expect(try client.readResponse().text == "abcde")
    }

    @Test(arguments: [false, true])
    func streamsLargeUploadByteExact(chunked: Bool) throws {
        let sink = RecordingSink()
        let server = try startServer { _ in .stream(sink) }
        defer { server.shutdown() }
        let body = randomBytes(6 * 1024 * 1024 + 17, seed: chunked ? 2 : 3)
        let client = try RawClient(port: server.port)
        if chunked {
            try client.send("PUT /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            var offset = 0
            while offset < body.count {
                let end = min(body.count, offset + 300_001)
                try client.send(String(end - offset, radix: 16) + "\r\n")
                try client.send(Array(body[offset..<end]))
                try client.send("\r\n")
                offset = end
            }
            try client.send("0\r\n\r\n")
        } else {
            try client.send("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
            try client.send(body)
        }
        let response = try client.readResponse()
        #expect(response.status == 201)
        #expect(response.text == "received \(body.count)\n")
        #expect(sink.received.withLock { $0 == body })
    }

    @Test func sinkCanStopEarly() throws {
        let sink = RecordingSink(stopAfter: 1)
        let server = try startServer { _ in .stream(sink) }
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        try client.send("PUT /o HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789")
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(sink.finished.wait(timeout: .now()) == .timedOut)
    }

    @Test func sinkIsAbortedWhenClientDisconnects() throws {
        let sink = RecordingSink()
        let server = try startServer { _ in .stream(sink) }
        defer { server.shutdown() }
        do {
            let client = try RawClient(port: server.port)
            try client.send("PUT /o HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
            try client.send(randomBytes(5000, seed: 4))
            while sink.received.withLock({ $0.count }) < 5000 { usleep(1000) }
        }   // closes the socket mid-body
        #expect(sink.aborted.wait(timeout: .now() + 20) == .success)
        #expect(sink.finished.wait(timeout: .now()) == .timedOut)
    }

    @Test func sinkIsAbortedOnShutdown() throws {
        let sink = RecordingSink()
        let server = try startServer { _ in .stream(sink) }
        let client = try RawClient(port: server.port)
        try client.send("PUT /o HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        try client.send(randomBytes(5000, seed: 5))
        while sink.received.withLock({ $0.count }) < 5000 { usleep(1000) }
        server.shutdown()
        #expect(sink.aborted.wait(timeout: .now()) == .success)
    }

    @Test func respondingBeforeTheBodyNeverParsesTheBodyAsARequest() throws {
        let seen = Mutex<[String]>([])
        let server = try startServer { head in
            seen.withLock { $0.append(head.rawPath) }
            return .respond(.text(403, "denied\n"))
        }
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        try client.send("PUT /o HTTP/1.1\r\nHost: x\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n" + smuggled)
        #expect(try client.readResponse().status == 403)
        // The unread body is never parsed as a request: the server closes the connection instead.
        #expect(client.isClosedByPeer())
        #expect(seen.withLock { $0 } == ["/o"])
    }
}

@Suite struct ThreadPerConnectionTests {
    /// Eight connections whose handlers each block until all eight have started: only possible when every
    /// connection has a thread of its own (with a pool of two threads the first two would time out alone).
    @Test func blockedHandlersDoNotHoldUpOtherConnections() throws {
        let count = 8
        let started = Mutex(0)
        let gate = DispatchSemaphore(value: 0)
        let server = try HTTPServer(
            configuration: .init(listen: .address(host: "127.0.0.1", port: 0), threads: 2, threadPerConnection: true),
            handler: ClosureHandler { head in
                if started.withLock({ $0 += 1; return $0 }) == count {
                    for _ in 0..<count { gate.signal() }
                }
                let together = gate.wait(timeout: .now() + 5) == .success
                return .respond(.text(200, together ? "together" : "alone"))
            })
        defer { server.shutdown() }
        let clients = try (0..<count).map { _ in try RawClient(port: server.port) }
        for client in clients { try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n") }
        for client in clients { #expect(try client.readResponse().text == "together") }
    }
}

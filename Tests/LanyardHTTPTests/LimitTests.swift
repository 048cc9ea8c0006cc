import Foundation
import LanyardHTTP
import Testing

/// A handler that collects bodies up to 1000 bytes and shapes its own over-limit answer.
struct ShapedLimitHandler: HTTPHandler {
    func begin(_ head: HTTPRequestHead) -> HTTPBodyDisposition {
        .collect(limit: 1000) { request in HTTPResponse(status: 200, body: .bytes(request.body)) }
    }

    func limitExceeded(_ limit: HTTPLimit, head: HTTPRequestHead) -> HTTPResponse {
        guard case .body(let bytes) = limit else { return .text(500, "unexpected") }
        return HTTPResponse(
            status: 400, headers: HTTPHeaders([("Content-Type", "application/json")]),
            body: .bytes(Array(#"{"Code":"TooBig","Limit":\#(bytes),"Path":"\#(head.rawPath)"}"#.utf8)))
    }
}

@Suite struct LimitTests {
    @Test("the handler shapes the over-limit answer, for a declared and for a chunked body")
    func handlerShapesTheAnswer() throws {
        let server = try HTTPServer(
            configuration: .init(listen: .address(host: "127.0.0.1", port: 0), threads: 1), handler: ShapedLimitHandler())
        defer { server.shutdown() }
        let declared = try RawClient(port: server.port)
        try declared.send("PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
        let first = try declared.readResponse()
        #expect(first.status == 400 && first.text == #"{"Code":"TooBig","Limit":1000,"Path":"/a"}"#)
        let chunked = try RawClient(port: server.port)
        let chunk = String(repeating: "z", count: 600)
        try chunked.send("PUT /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
        let second = try chunked.readResponse()
        #expect(second.status == 400 && second.text == #"{"Code":"TooBig","Limit":1000,"Path":"/b"}"#)
    }

    @Test("a request line beyond the default memory but within a raised connectionMemoryLimit reaches the handler")
    func raisedMemoryLetsLongTargetsThrough() throws {
        let target = "/q?" + String(repeating: "a", count: 100 * 1024)
        for (memory, reaches) in [(32 * 1024, false), (256 * 1024, true)] {
            let server = try HTTPServer(
                configuration: .init(listen: .address(host: "127.0.0.1", port: 0), threads: 1,
                                     connectionMemoryLimit: memory),
                handler: ClosureHandler { head in
                    .respond(HTTPResponse(status: 200, body: .bytes(Array(String(head.rawQuery?.count ?? 0).utf8))))
                })
            defer { server.shutdown() }
            let client = try RawClient(port: server.port)
            try client.send("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect((response.status == 200) == reaches)
            if reaches { #expect(response.text == String(100 * 1024 + 0)) }
        }
    }

    @Test("a socket bound first is served; a taken port fails to bind before any server exists")
    func bindFirst() throws {
        let socket = try HTTPListeningSocket.bind(host: "127.0.0.1", port: 0)
        #expect(socket.port > 0)
        #expect(throws: HTTPServerError.self) { try HTTPListeningSocket.bind(host: "127.0.0.1", port: socket.port) }
        let server = try HTTPServer(
            configuration: .init(listen: .socket(socket), threads: 1),
            handler: ClosureHandler { _ in .respond(HTTPResponse(status: 204)) })
        defer { server.shutdown() }
        #expect(server.port == socket.port)
        let client = try RawClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 204)
        // A socket handed over once cannot start a second server.
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: .init(listen: .socket(socket)), handler: ClosureHandler { _ in .respond(.text(200, "")) })
        }
    }
}

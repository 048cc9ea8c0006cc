/// What the server knows about a request once its head has arrived.
public struct HTTPRequestHead: Sendable {
    /// Request method as sent, e.g. "GET".
    public let method: String
    /// Path exactly as received: still percent-encoded, without the query.
    public let rawPath: String
    /// Everything after the first '?' exactly as received; nil when the target has no '?'.
    public let rawQuery: String?
    /// Header fields in the order received.
    public let headers: HTTPHeaders
    /// Client IP address as text (IPv4 dotted quad, or IPv6).
    public let remoteAddress: String
    /// Tag given to `HTTPServer.addConnection(socket:tag:)` for this connection; nil for listener connections.
    public let connectionTag: Int?

    /// Creates a request head (the server builds these; tests and routers may too).
    public init(method: String, rawPath: String, rawQuery: String?, headers: HTTPHeaders, remoteAddress: String,
                connectionTag: Int? = nil) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.connectionTag = connectionTag
    }

    /// Creates a head from a raw request target ("/path?query"), splitting at the first '?'.
    public init(method: String, target: String, headers: HTTPHeaders, remoteAddress: String,
                connectionTag: Int? = nil) {
        let (path, query) = Self.split(target: target)
        self.init(method: method, rawPath: path, rawQuery: query, headers: headers, remoteAddress: remoteAddress,
                  connectionTag: connectionTag)
    }

    /// Splits a raw request target at its first '?' without decoding anything. An absolute-form target
    /// (`http://host/path?q`, which RFC 9112 §3.2.2 requires servers to accept) loses its scheme and
    /// authority; the Host header is left as the client sent it.
    static func split(target: String) -> (path: String, query: String?) {
        let target = Self.originForm(target)
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (String(target), nil) }
        let path = String(target[..<mark])
        let query = String(target[target.utf8.index(after: mark)...])
        return (path.isEmpty ? "/" : path, query)
    }

    private static func originForm(_ target: String) -> Substring {
        guard target.utf8.first != UInt8(ascii: "/") else { return target[...] }
        for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
            let authority = target.dropFirst(scheme.count)
            guard let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
            return authority[end...]
        }
        return target[...]
    }
}

/// A request whose body has been collected in memory.
public struct HTTPRequest: Sendable {
    /// The request head.
    public let head: HTTPRequestHead
    /// The whole body (empty when there was none).
    public let body: [UInt8]

    /// Creates a request from a head and its body.
    public init(head: HTTPRequestHead, body: [UInt8]) {
        self.head = head
        self.body = body
    }
}

/// A response to send: status, headers and body. The server adds Date and Content-Length.
public struct HTTPResponse: Sendable {
    /// Status code, e.g. 200.
    public var status: Int
    /// Header fields to send (Content-Length is computed by the server, except for HEAD with an empty body).
    public var headers: HTTPHeaders
    /// The body.
    public var body: HTTPResponseBody

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders = .init(), body: HTTPResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A short plain-text response (e.g. for errors produced by the server itself).
    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]),
                     body: .bytes(Array(text.utf8)))
    }
}

/// The body of a response.
public enum HTTPResponseBody: Sendable {
    /// No body (Content-Length: 0; for HEAD, a handler may set Content-Length itself).
    case empty
    /// Bytes held in memory.
    case bytes([UInt8])
    /// A byte range of a file, sent by the kernel (sendfile); the server opens and closes the file.
    case file(path: String, offset: Int64, length: Int64)
    /// Bytes produced on demand; `next` returns nil at the end. Unknown length is sent chunked.
    case stream(length: Int64?, next: @Sendable () throws -> [UInt8]?)
}

/// Decides, once the head has arrived, what happens to the request and its body.
public protocol HTTPHandler: Sendable {
    /// Called on a server worker thread as soon as the request head has been parsed.
    func begin(_ head: HTTPRequestHead) -> HTTPBodyDisposition

    /// The response when the server refuses a request for exceeding one of its limits, so that the handler can
    /// answer in its protocol's error shape. The default is a short plain-text 413.
    func limitExceeded(_ limit: HTTPLimit, head: HTTPRequestHead) -> HTTPResponse
}

/// A server limit a request exceeded.
public enum HTTPLimit: Sendable, Hashable {
    /// The body is larger than the `collect` limit (declared in Content-Length or found while reading).
    case body(limit: Int)
}

extension HTTPHandler {
    /// Plain text: `413 Request body too large`.
    public func limitExceeded(_ limit: HTTPLimit, head: HTTPRequestHead) -> HTTPResponse {
        .text(413, "Request body too large\n")
    }
}

/// What to do with a request body.
public enum HTTPBodyDisposition: Sendable {
    /// Reply now; any body is discarded (the connection is closed if the body was not read).
    case respond(HTTPResponse)
    /// Buffer the body up to `limit` bytes (413 when larger), then call `then`.
    case collect(limit: Int, then: @Sendable (HTTPRequest) -> HTTPResponse)
    /// Like `collect`, for handlers that only know once they see the body whether answering will block:
    /// `then` replies now or hands back the blocking work (see ``HTTPReply``).
    case collectThenReply(limit: Int, then: @Sendable (HTTPRequest) -> HTTPReply)
    /// Push body chunks to a sink as they arrive.
    case stream(any HTTPBodySink)
}

/// The answer to a collected request.
public enum HTTPReply: Sendable {
    /// The response, ready now.
    case now(HTTPResponse)
    /// Work that may block for long (run a command, wait for processes): a pooled server runs it on a thread
    /// of its own while the connection waits, so that its workers go on serving every other connection. The
    /// work can ask whether its client is still there, and stop early when nobody waits for the answer.
    case blocking(@Sendable (HTTPClientPresence) -> HTTPResponse)
}

/// Whether the client waiting for blocking work is still connected.
public struct HTTPClientPresence: Sendable {
    private let left: @Sendable () -> Bool

    /// A presence decided by `left` (tests, or callers without a connection).
    public init(left: @escaping @Sendable () -> Bool) { self.left = left }

    /// True once the client closed its end or the connection broke (or the server is stopping).
    public var hasLeft: Bool { left() }
}

/// Receives a streamed request body, chunk by chunk, on the connection's worker thread.
public protocol HTTPBodySink: AnyObject, Sendable {
    /// Consumes a chunk (valid only during the call). Returning a response stops the upload: the rest of the
    /// body is read and dropped, then that response is sent; neither `finish()` nor `abort()` follows.
    func write(_ chunk: UnsafeRawBufferPointer) -> HTTPResponse?
    /// The body is complete; returns the response to send.
    func finish() -> HTTPResponse
    /// The client went away (or the server shut down) before the body was complete.
    func abort()
}

/// A handler that collects every body up to a limit and answers with a closure.
public struct CollectingHandler: HTTPHandler {
    private let limit: Int
    private let respond: @Sendable (HTTPRequest) -> HTTPResponse

    /// Creates a handler that buffers bodies up to `limit` bytes and calls `respond` with the whole request.
    public init(limit: Int, _ respond: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        self.limit = limit
        self.respond = respond
    }

    /// Always collects.
    public func begin(_ head: HTTPRequestHead) -> HTTPBodyDisposition {
        .collect(limit: limit, then: respond)
    }
}

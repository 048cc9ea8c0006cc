import CMicroHTTPD
import Foundation
import Synchronization

/// State shared by the libmicrohttpd callbacks of one server (passed to them as `cls`).
final class ServerCore: Sendable {
    let handler: any HTTPHandler
    /// Whether blocking work (``HTTPReply/blocking(_:)``) runs on a thread of its own while its connection is
    /// suspended (pooled servers), or on the connection's own thread (thread-per-connection servers).
    let suspendsForBlockingWork: Bool
    /// Tags of sockets handed to `MHD_add_connection` whose connection has not started yet, by socket.
    private let pendingTags = Mutex<[Int32: Int]>([:])
    /// Replies being worked out while their connection is suspended, by identity; nil once the server stops.
    private let suspended = Mutex<[ObjectIdentifier: PendingReply]?>([:])
    /// Set once the server starts stopping: blocking work is told its client has left, so that it ends and answers.
    private let stopping = Atomic<Bool>(false)

    init(handler: any HTTPHandler, suspendsForBlockingWork: Bool) {
        self.handler = handler
        self.suspendsForBlockingWork = suspendsForBlockingWork
    }

    func expect(socket: Int32, tag: Int) {
        pendingTags.withLock { $0[socket] = tag }
    }

    func forget(socket: Int32) {
        _ = pendingTags.withLock { $0.removeValue(forKey: socket) }
    }

    /// Claims the tag of a starting connection: the entry is consumed, so a reused descriptor never inherits it.
    func takeTag(socket: Int32) -> Int? {
        pendingTags.withLock { tags in tags.isEmpty ? nil : tags.removeValue(forKey: socket) }
    }
}

/// A reply worked out on its own thread while libmicrohttpd keeps the connection suspended. Whichever comes
/// first, the work's end or the server's shutdown, resumes the connection, under the lock, exactly once: after
/// a shutdown took it over, the work's result is dropped and the connection is never touched again.
final class PendingReply: Sendable {
    enum State {
        case working
        case done(HTTPResponse)
        case abandoned
    }

    /// Only ever passed to `MHD_resume_connection`, which any thread may call, once, under `state`'s lock.
    nonisolated(unsafe) private let connection: OpaquePointer
    private let state = Mutex(State.working)

    init(connection: OpaquePointer) {
        self.connection = connection
    }

    /// Records the response and resumes the connection, unless the server abandoned it; true if it did.
    func complete(_ response: HTTPResponse) -> Bool {
        state.withLock { state in
            guard case .working = state else { return false }
            state = .done(response)
            MHD_resume_connection(connection)
            return true
        }
    }

    /// Gives up on the work (the server is stopping) and resumes the connection so that it can be closed.
    func abandon() {
        state.withLock { state in
            guard case .working = state else { return }
            state = .abandoned
            MHD_resume_connection(connection)
        }
    }

    /// Whether the server gave up on the work.
    var isAbandoned: Bool {
        state.withLock { state in
            if case .abandoned = state { return true }
            return false
        }
    }

    /// The response, once the work is done (nil when abandoned).
    var response: HTTPResponse? {
        state.withLock { state in
            if case .done(let response) = state { return response }
            return nil
        }
    }
}

extension ServerCore {
    /// Runs `work` on a thread of its own with the connection suspended; the connection's next call of the
    /// access handler (after the work resumed it) sends the response. False when the server is stopping (the
    /// work is not started).
    func suspend(
        _ request: RequestContext, connection: OpaquePointer,
        work: @escaping @Sendable (HTTPClientPresence) -> HTTPResponse
    ) -> Bool {
        let pending = PendingReply(connection: connection)
        // Once abandoned, the socket is libmicrohttpd's to close (and its number may be reused): never look again.
        let socket = lanyard_mhd_connection_fd(connection)
        let presence = HTTPClientPresence { [self] in pending.isAbandoned || isStopping || Sockets.peerClosed(socket) }
        let accepted = suspended.withLock { table in
            guard table != nil else { return false }
            table?[ObjectIdentifier(pending)] = pending
            MHD_suspend_connection(connection)
            return true
        }
        guard accepted else { return false }
        request.stage = .suspended(pending)
        Thread.detachNewThread { [self] in
            let response = work(presence)
            if pending.complete(response) {
                _ = suspended.withLock { $0?.removeValue(forKey: ObjectIdentifier(pending)) }
            }
        }
        return true
    }

    /// Whether the server is stopping (blocking work should end now).
    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Tells blocking work that the server is stopping and waits, at most `seconds`, for it to end and its
    /// replies to go out, so that a client gets an answer rather than a closed connection.
    func finishBlockingWork(within seconds: TimeInterval) {
        stopping.store(true, ordering: .relaxed)
        let deadline = Date().addingTimeInterval(seconds)
        var waited = false
        while Date() < deadline, suspended.withLock({ !($0?.isEmpty ?? true) }) {
            waited = true
            usleep(10_000)
        }
        if waited { usleep(100_000) }  // the workers send the replies of the connections just resumed
    }

    /// Stops suspending and resumes every suspended connection without its reply (libmicrohttpd cannot stop
    /// while any connection is suspended).
    func abandonSuspended() {
        let pending = suspended.withLock { table in
            defer { table = nil }
            return table.map { Array($0.values) } ?? []
        }
        for reply in pending { reply.abandon() }
    }
}

/// Per-connection state, stored as libmicrohttpd's socket context from start to close.
final class ConnectionContext {
    let tag: Int?
    private var cachedAddress: String?

    init(tag: Int?) {
        self.tag = tag
    }

    func remoteAddress(_ connection: OpaquePointer) -> String {
        if let cachedAddress { return cachedAddress }
        let text = lanyard_mhd_client_address(connection).map(Sockets.addressText) ?? ""
        cachedAddress = text
        return text
    }
}

/// Per-request state, created by the URI logger (so it holds the raw target) and freed on completion.
final class RequestContext {
    enum Stage {
        case awaitingHead
        case collecting(limit: Int, then: @Sendable (HTTPRequest) -> HTTPReply)
        /// The connection is suspended while the reply is worked out on another thread.
        case suspended(PendingReply)
        case streaming(any HTTPBodySink)
        /// The response is decided; the rest of the body is read and dropped before it is sent
        /// (libmicrohttpd 0.9.75 refuses to queue a response in the middle of a body).
        case draining(HTTPResponse)
        case responded
    }

    let target: String
    var head: HTTPRequestHead?
    var stage = Stage.awaitingHead
    var body: [UInt8] = []

    init(target: String) {
        self.target = target
    }
}

extension ServerCore {
    /// One call of the access handler: the head on the first call, then body chunks, then the end of the body.
    func serve(_ request: RequestContext, connection: OpaquePointer, method: UnsafePointer<CChar>?,
               data: UnsafePointer<CChar>?, size: UnsafeMutablePointer<Int>) -> MHD_Result {
        switch request.stage {
        case .awaitingHead:
            let head = makeHead(request, connection: connection, method: method)
            request.head = head
            switch handler.begin(head) {
            case .respond(let response):
                // libmicrohttpd closes a connection whose response was queued before the end of the request;
                // so a bodiless request is answered on the next call (keep-alive survives), while a request
                // with a body is answered at once (its body is never read; the connection then closes).
                guard Self.hasBody(head) else {
                    request.stage = .draining(response)
                    return .YES
                }
                request.stage = .responded
                return Self.queue(response, on: connection, method: head.method)
            case .collect(let limit, let then):
                return startCollecting(request, head: head, limit: limit, connection: connection) { .now(then($0)) }
            case .collectThenReply(let limit, let then):
                return startCollecting(request, head: head, limit: limit, connection: connection, then: then)
            case .stream(let sink):
                request.stage = .streaming(sink)
                return .YES
            }
        case .collecting(let limit, let then):
            let count = size.pointee
            guard count == 0 else {
                size.pointee = 0
                if request.body.count + count > limit {
                    request.body = []
                    request.stage = .draining(handler.limitExceeded(.body(limit: limit), head: request.head!))
                } else {
                    request.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
                }
                return .YES
            }
            request.stage = .responded
            let complete = HTTPRequest(head: request.head!, body: request.body)
            request.body = []
            switch then(complete) {
            case .now(let response):
                return Self.queue(response, on: connection, method: complete.head.method)
            case .blocking(let work):
                guard suspendsForBlockingWork else {
                    let socket = lanyard_mhd_connection_fd(connection)
                    let presence = HTTPClientPresence { [self] in isStopping || Sockets.peerClosed(socket) }
                    return Self.queue(work(presence), on: connection, method: complete.head.method)
                }
                guard suspend(request, connection: connection, work: work) else {
                    return Self.queue(.text(503, "The server is shutting down\n"), on: connection,
                                      method: complete.head.method)
                }
                return .YES
            }
        case .suspended(let pending):
            size.pointee = 0
            request.stage = .responded
            // Abandoned at shutdown: close the connection without an answer.
            guard let response = pending.response else { return .NO }
            return Self.queue(response, on: connection, method: request.head!.method)
        case .streaming(let sink):
            let count = size.pointee
            guard count == 0 else {
                size.pointee = 0
                if let early = sink.write(UnsafeRawBufferPointer(start: data, count: count)) {
                    request.stage = .draining(early)
                }
                return .YES
            }
            request.stage = .responded
            return Self.queue(sink.finish(), on: connection, method: request.head!.method)
        case .draining(let response):
            guard size.pointee == 0 else {
                size.pointee = 0
                return .YES
            }
            request.stage = .responded
            return Self.queue(response, on: connection, method: request.head!.method)
        case .responded:
            size.pointee = 0
            return .YES
        }
    }

    /// Refuses a body declared larger than `limit`, or prepares to collect it.
    private func startCollecting(
        _ request: RequestContext, head: HTTPRequestHead, limit: Int, connection: OpaquePointer,
        then: @escaping @Sendable (HTTPRequest) -> HTTPReply
    ) -> MHD_Result {
        let declared = head.headers["Content-Length"].flatMap { Int($0) }
        if let declared, declared > limit {
            request.stage = .responded
            return Self.queue(handler.limitExceeded(.body(limit: limit), head: head), on: connection, method: head.method)
        }
        if let declared, declared > 0 { request.body.reserveCapacity(declared) }
        request.stage = .collecting(limit: limit, then: then)
        return .YES
    }

    /// Whether the request announces a body (a positive Content-Length, or any Transfer-Encoding).
    static func hasBody(_ head: HTTPRequestHead) -> Bool {
        if head.headers.contains("Transfer-Encoding") { return true }
        guard let length = head.headers["Content-Length"] else { return false }
        return length != "0"
    }

    private func makeHead(_ request: RequestContext, connection: OpaquePointer,
                          method: UnsafePointer<CChar>?) -> HTTPRequestHead {
        var fields: [HTTPHeaders.Field] = []
        fields.reserveCapacity(12)
        withUnsafeMutablePointer(to: &fields) { pointer in
            _ = MHD_get_connection_values_n(connection, .HEADER_KIND, mhdCollectHeader, pointer)
        }
        let context = lanyard_mhd_socket_context(connection).map {
            Unmanaged<ConnectionContext>.fromOpaque($0).takeUnretainedValue()
        }
        return HTTPRequestHead(
            method: method.map { String(cString: $0) } ?? "GET", target: request.target,
            headers: HTTPHeaders(fields: fields), remoteAddress: context?.remoteAddress(connection) ?? "",
            connectionTag: context?.tag)
    }

    /// Converts and queues a response; a file that cannot be opened becomes a 500.
    static func queue(_ response: HTTPResponse, on connection: OpaquePointer, method: String) -> MHD_Result {
        var status = response.status
        var made = ResponseFactory.make(response, isHead: method == "HEAD")
        if made == nil {
            status = 500
            made = ResponseFactory.make(.text(500, "Response body unavailable\n"), isHead: false)
        }
        guard let made else { return .NO }
        let result = MHD_queue_response(connection, UInt32(clamping: status), made)
        MHD_destroy_response(made)
        return result
    }
}

// MARK: libmicrohttpd callbacks (global functions: C function pointers cannot capture context)

func mhdAccessHandler(
    _ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?, _ data: UnsafePointer<CChar>?,
    _ size: UnsafeMutablePointer<Int>?, _ requestSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let size, let requestSlot else { return .NO }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    let request: RequestContext
    if let existing = requestSlot.pointee {
        request = Unmanaged<RequestContext>.fromOpaque(existing).takeUnretainedValue()
    } else {
        request = RequestContext(target: url.map { String(cString: $0) } ?? "/")
        requestSlot.pointee = Unmanaged.passRetained(request).toOpaque()
    }
    return core.serve(request, connection: connection, method: method, data: data, size: size)
}

func mhdRequestCompleted(
    _ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
    _ requestSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ reason: MHD_RequestTerminationCode
) {
    guard let requestSlot, let raw = requestSlot.pointee else { return }
    requestSlot.pointee = nil
    let request = Unmanaged<RequestContext>.fromOpaque(raw).takeRetainedValue()
    if case .streaming(let sink) = request.stage { sink.abort() }
}

func mhdConnectionNotify(
    _ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
    _ socketSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ event: MHD_ConnectionNotificationCode
) {
    guard let cls, let connection, let socketSlot else { return }
    if event == .CONNECTION_NOTIFY_STARTED {
        let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
        let tag = core.takeTag(socket: lanyard_mhd_connection_fd(connection))
        socketSlot.pointee = Unmanaged.passRetained(ConnectionContext(tag: tag)).toOpaque()
    } else if let raw = socketSlot.pointee {
        socketSlot.pointee = nil
        Unmanaged<ConnectionContext>.fromOpaque(raw).release()
    }
}

/// Runs before libmicrohttpd splits and decodes the target: keeps it byte for byte.
func mhdURILogger(
    _ cls: UnsafeMutableRawPointer?, _ uri: UnsafePointer<CChar>?, _ connection: OpaquePointer?
) -> UnsafeMutableRawPointer? {
    Unmanaged.passRetained(RequestContext(target: uri.map { String(cString: $0) } ?? "")).toOpaque()
}

/// Leaves URLs and arguments undecoded (nothing uses libmicrohttpd's decoded copies).
func mhdUnescaper(_ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
                  _ text: UnsafeMutablePointer<CChar>?) -> Int {
    text.map { strlen($0) } ?? 0
}

func mhdCollectHeader(
    _ cls: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?, _ keySize: Int,
    _ value: UnsafePointer<CChar>?, _ valueSize: Int
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let fields = cls.assumingMemoryBound(to: [HTTPHeaders.Field].self)
    let name = key.withMemoryRebound(to: UInt8.self, capacity: keySize) {
        String(decoding: UnsafeBufferPointer(start: $0, count: keySize), as: UTF8.self)
    }
    let text = value.map { pointer in
        pointer.withMemoryRebound(to: UInt8.self, capacity: valueSize) {
            String(decoding: UnsafeBufferPointer(start: $0, count: valueSize), as: UTF8.self)
        }
    } ?? ""
    fields.pointee.append((name: name, value: text))
    return .YES
}

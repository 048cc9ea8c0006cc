import CMicroHTTPD
import Foundation
import Synchronization

/// State shared by the libmicrohttpd callbacks of one server (passed to them as `cls`).
final class ServerCore: Sendable {
    let handler: any HTTPHandler
    /// Tags of sockets handed to `MHD_add_connection` whose connection has not started yet, by socket.
    private let pendingTags = Mutex<[Int32: Int]>([:])

    init(handler: any HTTPHandler) {
        self.handler = handler
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
        case collecting(limit: Int, then: @Sendable (HTTPRequest) -> HTTPResponse)
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
                let declared = head.headers["Content-Length"].flatMap { Int($0) }
                if let declared, declared > limit {
                    request.stage = .responded
                    return Self.queue(handler.limitExceeded(.body(limit: limit), head: head), on: connection,
                                      method: head.method)
                }
                if let declared, declared > 0 { request.body.reserveCapacity(declared) }
                request.stage = .collecting(limit: limit, then: then)
                return .YES
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
            return Self.queue(then(complete), on: connection, method: complete.head.method)
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

import CMicroHTTPD
import Foundation
import Synchronization

/// An error starting or feeding the server; `code` names the failure ("BindFailed", "AddConnectionFailed", ...).
public struct HTTPServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Machine-readable failure code.
    public let code: String
    /// Human-readable detail (includes errno text where relevant).
    public let message: String

    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// "code: message".
    public var description: String { "\(code): \(message)" }

    static func posix(_ code: String, _ what: String, errno number: Int32 = errno) -> HTTPServerError {
        HTTPServerError(code: code, message: "\(what): \(String(cString: strerror(number)))")
    }
}

/// How an `HTTPServer` listens and how many resources it may use.
public struct HTTPServerConfiguration: Sendable {
    /// Where connections come from.
    public enum Listen: Sendable {
        /// Listen on a numeric or resolvable host and port; port 0 picks an ephemeral port (see `HTTPServer.port`).
        case address(host: String, port: Int)
        /// Serve on a socket bound beforehand with ``HTTPListeningSocket/bind(host:port:)`` (the server owns it).
        case socket(HTTPListeningSocket)
        /// No listening socket: connections arrive through `HTTPServer.addConnection(socket:tag:)`.
        case acceptedConnections
    }

    /// Where connections come from.
    public var listen: Listen
    /// Worker threads (libmicrohttpd's thread pool; ignored for `.acceptedConnections`, which uses one, and
    /// with `threadPerConnection`).
    public var threads: Int
    /// One thread per connection instead of the pool, for handlers that block (on fsync, say): a connection
    /// waiting for the disk then never holds up the others, and blocked requests overlap their waits.
    public var threadPerConnection: Bool
    /// Maximum number of simultaneous connections.
    public var connectionLimit: Int
    /// Idle seconds after which a connection is closed (0 = never).
    public var timeoutSeconds: Int
    /// Per-connection memory for the request head and I/O buffers. A request line or header block that does
    /// not fit gets libmicrohttpd's own 414/431 HTML page (no handler hook exists for it in 0.9.75), so a
    /// server whose clients must always see their protocol's error shape sets this above its handler's own
    /// limits (see ``HTTPHandler/limitExceeded(_:head:)``).
    public var connectionMemoryLimit: Int

    /// Creates a configuration; threads default to the number of processors.
    public init(listen: Listen, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                threadPerConnection: Bool = false, connectionLimit: Int = 1024, timeoutSeconds: Int = 60,
                connectionMemoryLimit: Int = 32 * 1024) {
        self.listen = listen
        self.threads = threads
        self.threadPerConnection = threadPerConnection
        self.connectionLimit = connectionLimit
        self.timeoutSeconds = timeoutSeconds
        self.connectionMemoryLimit = connectionMemoryLimit
    }
}

/// A TCP socket bound and listening before its server exists, so a program can claim its ports before it
/// touches any state (and fail early when a port is taken). Handed to one server through
/// ``HTTPServerConfiguration/Listen/socket(_:)``; closed on `close()` or deinit when never handed over.
public final class HTTPListeningSocket: Sendable {
    private let descriptor: Mutex<Int32>
    /// The bound TCP port (the ephemeral one when bound to port 0).
    public let port: Int

    private init(fd: Int32, port: Int) {
        descriptor = Mutex(fd)
        self.port = port
    }

    /// Binds and listens on `host:port` (port 0 picks an ephemeral port); `BindFailed` when it cannot.
    public static func bind(host: String, port: Int) throws(HTTPServerError) -> HTTPListeningSocket {
        let (fd, bound) = try Sockets.listen(host: host, port: port)
        return HTTPListeningSocket(fd: fd, port: bound)
    }

    /// Hands the descriptor over (once); nil when already taken or closed.
    func take() -> Int32? {
        descriptor.withLock { fd in
            defer { fd = -1 }
            return fd >= 0 ? fd : nil
        }
    }

    /// Closes the socket unless a server has taken it.
    public func close() {
        if let fd = take() { Glibc.close(fd) }
    }

    deinit { close() }
}

/// An HTTP/1.1 server on libmicrohttpd: an internal epoll thread pool calls the handler synchronously.
public final class HTTPServer: Sendable {
    private let core: ServerCore
    private let daemon: Mutex<OpaquePointer?>
    private let hasListener: Bool
    /// The bound TCP port (0 for `.acceptedConnections`).
    public let port: Int

    /// Binds (if configured to) and starts serving with `handler`.
    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) throws(HTTPServerError) {
        let core = ServerCore(handler: handler, suspendsForBlockingWork: !configuration.threadPerConnection)
        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_ITC.rawValue | MHD_USE_TURBO.rawValue
        // A pooled server suspends a connection whose reply blocks (HTTPReply.blocking) and resumes it later.
        if !configuration.threadPerConnection { flags |= MHD_ALLOW_SUSPEND_RESUME.rawValue }
        // libmicrohttpd runs a thread per connection with poll only (epoll is for its pool).
        flags |= configuration.threadPerConnection
            ? MHD_USE_THREAD_PER_CONNECTION.rawValue | MHD_USE_POLL.rawValue : MHD_USE_EPOLL.rawValue
        var listenFD: Int32 = -1
        var boundPort = 0
        switch configuration.listen {
        case .address(let host, let port):
            (listenFD, boundPort) = try Sockets.listen(host: host, port: port)
        case .socket(let socket):
            guard let fd = socket.take() else {
                throw HTTPServerError(code: "BindFailed", message: "the listening socket was already used or closed")
            }
            (listenFD, boundPort) = (fd, socket.port)
        case .acceptedConnections:
            flags |= MHD_USE_NO_LISTEN_SOCKET.rawValue
        }
        let context = Unmanaged.passRetained(core)
        let started = lanyard_mhd_start(
            flags, listenFD, UInt32(clamping: configuration.threadPerConnection ? 1 : max(1, configuration.threads)),
            UInt32(clamping: max(1, configuration.connectionLimit)),
            UInt32(clamping: max(0, configuration.timeoutSeconds)), max(4096, configuration.connectionMemoryLimit),
            mhdAccessHandler, mhdRequestCompleted, mhdConnectionNotify, mhdURILogger, mhdUnescaper,
            context.toOpaque())
        guard let started else {
            context.release()
            if listenFD >= 0 { close(listenFD) }
            throw HTTPServerError(code: "StartFailed", message: "libmicrohttpd could not start the daemon")
        }
        self.core = core
        self.daemon = Mutex(started)
        self.hasListener = listenFD >= 0
        self.port = boundPort
    }

    deinit {
        shutdown()
    }

    /// Hands an accepted, connected socket to the server (which then owns it); every request on it carries
    /// `connectionTag == tag`. Only for `.acceptedConnections` servers. On error the socket is closed.
    public func addConnection(socket: Int32, tag: Int) throws(HTTPServerError) {
        guard !hasListener else {
            close(socket)
            throw HTTPServerError(code: "NotAcceptingConnections",
                                  message: "addConnection needs a server configured with .acceptedConnections")
        }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(socket, $0, &length) }
        }
        guard named == 0 else {
            let error = HTTPServerError.posix("AddConnectionFailed", "getpeername", errno: errno)
            close(socket)
            throw error
        }
        let flags = fcntl(socket, F_GETFL)
        if flags >= 0, flags & O_NONBLOCK == 0 { _ = fcntl(socket, F_SETFL, flags | O_NONBLOCK) }
        let failure: HTTPServerError? = daemon.withLock { daemon in
            guard let daemon else {
                close(socket)
                return HTTPServerError(code: "ServerStopped", message: "the server has been shut down")
            }
            core.expect(socket: socket, tag: tag)
            let added = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { MHD_add_connection(daemon, socket, $0, length) }
            }
            guard added == .YES else {
                let number = errno
                core.forget(socket: socket)   // libmicrohttpd closed the socket already
                return .posix("AddConnectionFailed", "MHD_add_connection", errno: number)
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// Stops accepting, tells blocking work its client has left and gives it up to 5 s to answer, then closes
    /// every connection (streaming sinks see `abort()`) and joins the worker threads. Idempotent.
    public func shutdown() {
        let stopping = daemon.withLock { daemon -> OpaquePointer? in
            defer { daemon = nil }
            return daemon
        }
        guard let stopping else { return }
        if hasListener {
            let listener = MHD_quiesce_daemon(stopping)
            if listener >= 0 { close(listener) }
        }
        core.finishBlockingWork(within: 5)
        core.abandonSuspended()
        MHD_stop_daemon(stopping)
        Unmanaged.passUnretained(core).release()
    }
}

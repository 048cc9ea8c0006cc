import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A listening TCP socket on 127.0.0.1 with a port the kernel picks: the start of every test server here.
public enum LoopbackListener {
    /// Binds and listens; returns the socket and its port.
    public static func open(backlog: Int32) throws -> (fd: Int32, port: Int) {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 over plain POSIX sockets, one thread per connection,
/// `Connection: close` on every response. For tests only: it never binds anything but loopback.
public final class TestHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        public var target: String  // path and query as sent
        public var headers: [String: String]  // lower-cased names
        public var body: Data

        public var path: String { String(target.prefix { $0 != "?" }) }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: Data

        public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        public static func text(_ status: Int, _ text: String) -> Response {
            Response(status: status, headers: [("Content-Type", "text/plain")], body: Data(text.utf8))
        }
        public static func json(_ status: Int, _ text: String) -> Response {
            Response(status: status, headers: [("Content-Type", "application/json")], body: Data(text.utf8))
        }
    }

    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (Request) -> Response
    private let finished = DispatchSemaphore(value: 0)

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    public init(handler: @escaping @Sendable (Request) -> Response) throws {
        self.handler = handler
        (listener, port) = try LoopbackListener.open(backlog: 512)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops accepting and waits for the accept loop to end.
    public func shutdown() {
        #if canImport(Glibc)
            _ = Glibc.shutdown(listener, Int32(SHUT_RDWR))
        #else
            _ = Darwin.shutdown(listener, SHUT_RDWR)
        #endif
        finished.wait()
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
        finished.signal()
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16384)
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return }
            buffer += chunk[0..<n]
            headEnd = buffer.firstRange(of: separator)?.lowerBound
        }
        guard let headEnd else { return }
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(buffer[(headEnd + 4)...])
        let expected = Int(headers["content-length"] ?? "0") ?? 0
        while body.count < expected {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return }
            body += chunk[0..<n]
        }
        let request = Request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: Data(body))
        let response = handler(request)
        var text = "HTTP/1.1 \(response.status) \(response.status == 200 ? "OK" : "Status")\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(text.utf8)
        if request.method != "HEAD" { bytes += response.body }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }
}

/// A lock-protected value for test bookkeeping.
public final class Box<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    public init(_ value: Value) { self.value = value }

    public func with<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    public var current: Value { with { $0 } }
}

/// A clock the test moves by hand.
public final class ManualClock: Sendable {
    private let time: Box<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) { time = Box(start) }

    public var now: Date { time.current }

    public func advance(_ seconds: TimeInterval) { time.with { $0 += seconds } }
}

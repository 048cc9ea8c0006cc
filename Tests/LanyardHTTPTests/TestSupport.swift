import Foundation
import LanyardHTTP
import Synchronization

/// A handler built from a closure.
struct ClosureHandler: HTTPHandler {
    let body: @Sendable (HTTPRequestHead) -> HTTPBodyDisposition
    init(_ body: @escaping @Sendable (HTTPRequestHead) -> HTTPBodyDisposition) { self.body = body }
    func begin(_ head: HTTPRequestHead) -> HTTPBodyDisposition { body(head) }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A response as seen on the wire.
struct WireResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
    func headerValues(_ name: String) -> [String] {
        headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }
}

/// A blocking client socket that writes exact bytes and parses responses (10 s receive timeout).
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    convenience init(port: Int, host: String = "127.0.0.1") throws {
        self.init(fd: try Self.connected(port: port, host: host))
    }

    /// A connected socket; closed here on failure (the instance owns it only once `init(fd:)` ran).
    private static func connected(port: Int, host: String) throws -> Int32 {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket") }
        let connected: Int32
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        guard connected == 0 else {
            let number = errno
            Glibc.close(fd)
            throw TestFailure("connect: \(String(cString: strerror(number)))")
        }
        return fd
    }

    /// Wraps an already-connected socket.
    init(fd: Int32) {
        self.fd = fd
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n < 0 { throw TestFailure("recv: \(String(cString: strerror(errno)))") }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readLine() throws -> String {
        while true {
            if let end = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<end])
                buffer.removeFirst(end + 1)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard try fill() else { throw TestFailure("connection closed mid-line") }
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw TestFailure("connection closed mid-body") }
        }
        let out = Array(buffer[..<count])
        buffer.removeFirst(count)
        return out
    }

    /// Reads the next response (1xx included); `head` = response to a HEAD request (no body).
    func readResponse(head: Bool = false) throws -> WireResponse {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw TestFailure("bad status line: \(statusLine)")
        }
        var headers: [(String, String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw TestFailure("bad header: \(line)") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = WireResponse(status: status, headers: headers, body: [])
        if head || status < 200 || status == 204 || status == 304 { return response }
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw TestFailure("bad chunk size: \(sizeLine)")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    break
                }
                response.body += try readExactly(size)
                _ = try readLine()
            }
        } else if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            response.body = try readExactly(length)
        } else {
            while try fill() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// True once the server has closed the connection (reads return end of stream, or reset).
    func isClosedByPeer() -> Bool {
        do {
            while try fill() {}
            return true
        } catch {
            return errno == ECONNRESET
        }
    }

    var bufferedByteCount: Int { buffer.count }
}

/// A sink recording what it receives.
final class RecordingSink: HTTPBodySink {
    let received = Mutex<[UInt8]>([])
    let aborted = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    let stopAfter: Int?

    init(stopAfter: Int? = nil) { self.stopAfter = stopAfter }

    func write(_ chunk: UnsafeRawBufferPointer) -> HTTPResponse? {
        let total = received.withLock { $0.append(contentsOf: chunk); return $0.count }
        if let stopAfter, total >= stopAfter { return .text(400, "stopped at \(total)\n") }
        return nil
    }

    func finish() -> HTTPResponse {
        finished.signal()
        let count = received.withLock { $0.count }
        return .text(201, "received \(count)\n")
    }

    func abort() { aborted.signal() }
}

func startServer(threads: Int = 2, _ handler: @escaping @Sendable (HTTPRequestHead) -> HTTPBodyDisposition)
    throws -> HTTPServer
{
    try HTTPServer(configuration: .init(listen: .address(host: "127.0.0.1", port: 0), threads: threads),
                   handler: ClosureHandler(handler))
}

func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

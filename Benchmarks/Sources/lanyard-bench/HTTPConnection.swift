import Foundation

/// Why a request could not be completed on a connection.
struct ConnectionError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }

    static func posix(_ what: String) -> ConnectionError {
        ConnectionError(message: "\(what): \(String(cString: strerror(errno)))")
    }
}

/// One response as the load generator sees it: status, body size, and the body when asked for.
struct ResponseSummary {
    var status: Int
    var bodyBytes: Int
    var keepAlive: Bool
    var body: [UInt8]
}

/// A blocking HTTP/1.1 client connection over TCP to a numeric IPv4 address, kept alive across requests.
/// It parses just enough of a response (status, Content-Length, chunked bodies, `Connection: close`) to
/// measure servers; bodies are discarded unless the caller asks for them.
final class HTTPConnection {
    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    private var start = 0
    private var end = 0

    /// Connects to `host:port` (`host` is a dotted IPv4 address).
    init(host: String, port: Int) throws(ConnectionError) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw ConnectionError(message: "\(host): not an IPv4 address")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .posix("socket") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = ConnectionError.posix("connect \(host):\(port)")
            close(fd)
            throw error
        }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends a request: `head` (request line and headers, ending in an empty line) then `body`.
    func send(head: [UInt8], body: [UInt8]) throws(ConnectionError) {
        try write(head)
        if !body.isEmpty { try write(body) }
    }

    /// Reads one response; keeps the body only when `keepBody` is set.
    func readResponse(keepBody: Bool) throws(ConnectionError) -> ResponseSummary {
        let headEnd = try fill(until: { self.findHeadEnd() })
        let head = buffer[start..<headEnd]
        start = headEnd + 4
        var summary = try Self.parseHead(head)
        var body: [UInt8] = []
        if summary.bodyBytes >= 0 {
            try consume(summary.bodyBytes, keep: keepBody, into: &body)
        } else {
            summary.bodyBytes = try consumeChunked(keep: keepBody, into: &body)
        }
        summary.body = body
        return summary
    }

    /// Parses the status line and the headers that matter; `bodyBytes` -1 means chunked.
    private static func parseHead(_ head: ArraySlice<UInt8>) throws(ConnectionError) -> ResponseSummary {
        let text = String(decoding: head, as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw ConnectionError(message: "malformed status line: \(lines.first ?? "")")
        }
        var keepAlive = statusParts[0] == "HTTP/1.1"
        var length = 0
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length": length = Int(value) ?? 0
            case "transfer-encoding" where value.lowercased().contains("chunked"): length = -1
            case "connection": keepAlive = value.lowercased() != "close"
            default: break
            }
        }
        return ResponseSummary(status: status, bodyBytes: length, keepAlive: keepAlive, body: [])
    }

    private func findHeadEnd() -> Int? {
        guard end - start >= 4 else { return nil }
        for i in start...(end - 4)
        where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    private func findLineEnd() -> Int? {
        guard end - start >= 2 else { return nil }
        for i in start...(end - 2) where buffer[i] == 13 && buffer[i + 1] == 10 { return i }
        return nil
    }

    /// Reads until `found` returns an index into the buffer.
    private func fill(until found: () -> Int?) throws(ConnectionError) -> Int {
        while true {
            if let index = found() { return index }
            if start > 0 {
                buffer.withUnsafeMutableBufferPointer { pointer in
                    _ = memmove(pointer.baseAddress!, pointer.baseAddress! + start, end - start)
                }
                end -= start
                start = 0
            }
            guard end < buffer.count else { throw ConnectionError(message: "response head too large") }
            try readMore()
        }
    }

    private func readMore() throws(ConnectionError) {
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            recv(fd, pointer.baseAddress! + end, pointer.count - end, 0)
        }
        if count < 0 { throw .posix("recv") }
        if count == 0 { throw ConnectionError(message: "connection closed by server") }
        end += count
    }

    /// Consumes `count` body bytes, appending them to `body` when `keep` is set.
    private func consume(_ count: Int, keep: Bool, into body: inout [UInt8]) throws(ConnectionError) {
        var remaining = count
        while remaining > 0 {
            if start == end {
                start = 0
                end = 0
                try readMore()
            }
            let take = min(remaining, end - start)
            if keep { body.append(contentsOf: buffer[start..<(start + take)]) }
            start += take
            remaining -= take
        }
    }

    /// Consumes a chunked body (no trailers); returns its decoded size.
    private func consumeChunked(keep: Bool, into body: inout [UInt8]) throws(ConnectionError) -> Int {
        var total = 0
        while true {
            let lineEnd = try fill(until: { self.findLineEnd() })
            let sizeText = String(decoding: buffer[start..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            start = lineEnd + 2
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw ConnectionError(message: "malformed chunk size")
            }
            if size > 0 { try consume(size, keep: keep, into: &body) }
            let crlf = try fill(until: { self.findLineEnd() })
            start = crlf + 2
            if size == 0 { return total }
            total += size
        }
    }

    private func write(_ bytes: [UInt8]) throws(ConnectionError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { pointer in
                Glibc.send(fd, pointer.baseAddress! + offset, pointer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                throw .posix("send")
            }
            offset += sent
        }
    }
}

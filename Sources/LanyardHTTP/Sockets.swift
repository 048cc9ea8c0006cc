import Foundation

/// POSIX socket helpers: listening sockets and address text.
enum Sockets {
    /// Looks at a connected socket without reading from it: true when its peer shut down writing, or it hung
    /// up or failed. A negative descriptor is never closed.
    static func peerClosed(_ socket: Int32) -> Bool {
        guard socket >= 0 else { return false }
        var probe = pollfd(fd: socket, events: pollReadHangUp, revents: 0)
        guard poll(&probe, 1, 0) > 0 else { return false }
        return probe.revents & (pollReadHangUp | Int16(POLLHUP) | Int16(POLLERR)) != 0
    }

    /// Linux's POLLRDHUP (a _GNU_SOURCE macro that Swift's Glibc module leaves out).
    private static let pollReadHangUp: Int16 = 0x2000

    /// Creates a non-blocking listening TCP socket on `host:port`; returns it and the bound port.
    static func listen(host: String, port: Int) throws(HTTPServerError) -> (fd: Int32, port: Int) {
        guard (0...65535).contains(port) else {
            throw HTTPServerError(code: "BindFailed", message: "\(host):\(port): port out of range")
        }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &list)
        guard resolved == 0, let info = list else {
            throw HTTPServerError(code: "BindFailed",
                                  message: "\(host):\(port): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue),
                        0)
        guard fd >= 0 else { throw .posix("BindFailed", "\(host):\(port): socket") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, Glibc.listen(fd, 1024) == 0 else {
            let error = HTTPServerError.posix("BindFailed", "\(host):\(port)")
            close(fd)
            throw error
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let boundPort = withUnsafePointer(to: &bound) { pointer -> Int in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketPort($0) }
        }
        return (fd, boundPort)
    }

    /// The port of an IPv4 or IPv6 socket address (0 otherwise).
    static func socketPort(_ address: UnsafePointer<sockaddr>) -> Int {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin6_port))
            }
        default:
            return 0
        }
    }

    /// The IP address of a socket address as text; IPv4-mapped IPv6 addresses are shown as IPv4.
    static func addressText(_ address: UnsafePointer<sockaddr>) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            var ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            guard inet_ntop(AF_INET, &ip, &text, socklen_t(text.count)) != nil else { return "" }
        case AF_INET6:
            var ip = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            let mapped = withUnsafeBytes(of: &ip) { bytes in
                bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
            }
            if mapped {
                var v4 = withUnsafeBytes(of: &ip) { bytes in
                    in_addr(s_addr: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
                }
                guard inet_ntop(AF_INET, &v4, &text, socklen_t(text.count)) != nil else { return "" }
            } else {
                guard inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count)) != nil else { return "" }
            }
        default:
            return ""
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

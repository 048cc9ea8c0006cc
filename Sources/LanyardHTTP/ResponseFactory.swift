import CMicroHTTPD
import Foundation

/// Turns `HTTPResponse` values into libmicrohttpd responses.
enum ResponseFactory {
    /// Builds the MHD response (caller destroys it after queueing); nil if a file body cannot be opened.
    static func make(_ response: HTTPResponse, isHead: Bool) -> OpaquePointer? {
        guard let made = makeBody(response, isHead: isHead) else { return nil }
        for field in response.headers where !HTTPHeaders.namesMatch(field.name, "Content-Length") {
            _ = MHD_add_response_header(made, field.name, field.value)
        }
        return made
    }

    private static func makeBody(_ response: HTTPResponse, isHead: Bool) -> OpaquePointer? {
        switch response.body {
        case .empty:
            // A HEAD answer carries the length the GET would have: a sized reader that is never read.
            if isHead, let declared = response.headers["Content-Length"].flatMap({ UInt64($0) }) {
                return MHD_create_response_from_callback(declared, 4096, unreadableBody, nil, nil)
            }
            return MHD_create_response_from_buffer(0, nil, .RESPMEM_PERSISTENT)
        case .bytes(let bytes):
            return bytes.withUnsafeBytes { buffer in
                MHD_create_response_from_buffer(buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                                                buffer.isEmpty ? .RESPMEM_PERSISTENT : .RESPMEM_MUST_COPY)
            }
        case .file(let path, let offset, let length):
            guard offset >= 0, length >= 0 else { return nil }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            guard let made = MHD_create_response_from_fd_at_offset64(UInt64(length), fd, UInt64(offset)) else {
                close(fd)
                return nil
            }
            return made   // owns fd now
        case .stream(let length, let next):
            let producer = Unmanaged.passRetained(StreamProducer(next: next))
            let size = length.map { UInt64(max(0, $0)) } ?? UInt64.max
            guard let made = MHD_create_response_from_callback(size, 64 * 1024, readStream, producer.toOpaque(),
                                                               releaseStream) else {
                producer.release()
                return nil
            }
            return made
        }
    }
}

/// Pulls chunks from a stream body and copies them into libmicrohttpd's buffer (one connection thread at a time).
final class StreamProducer {
    private let next: @Sendable () throws -> [UInt8]?
    private var chunk: [UInt8] = []
    private var offset = 0

    init(next: @escaping @Sendable () throws -> [UInt8]?) {
        self.next = next
    }

    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        while offset == chunk.count {
            do {
                guard let more = try next() else { return endOfStream }
                chunk = more
                offset = 0
            } catch {
                return endWithError
            }
        }
        let count = min(max, chunk.count - offset)
        chunk.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

private let endOfStream = -1     // MHD_CONTENT_READER_END_OF_STREAM
private let endWithError = -2    // MHD_CONTENT_READER_END_WITH_ERROR

private func readStream(_ cls: UnsafeMutableRawPointer?, _ position: UInt64, _ buffer: UnsafeMutablePointer<CChar>?,
                        _ max: Int) -> Int {
    guard let cls, let buffer else { return endWithError }
    return Unmanaged<StreamProducer>.fromOpaque(cls).takeUnretainedValue().read(into: buffer, max: max)
}

private func releaseStream(_ cls: UnsafeMutableRawPointer?) {
    guard let cls else { return }
    Unmanaged<StreamProducer>.fromOpaque(cls).release()
}

private func unreadableBody(_ cls: UnsafeMutableRawPointer?, _ position: UInt64,
                            _ buffer: UnsafeMutablePointer<CChar>?, _ max: Int) -> Int {
    endWithError
}

import AlibabaCloudCredentials
import AlibabaCloudTestSupport
import Foundation
import Testing

@testable import AlibabaCloudOSS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An OSS on loopback that starts multipart uploads and then misbehaves on the parts: it dies while reading a
/// part's body (resetting every connection and closing its listener, like a SIGKILLed server), or takes the
/// parts and never answers.
final class BrokenOSS: @unchecked Sendable {
    enum Behaviour: Sendable {
        /// The first part upload kills the server part-way through its body.
        case dieMidPart
        /// Part uploads are read whole and never answered.
        case neverAnswerParts
    }

    let port: Int
    let behaviour: Behaviour
    /// "METHOD target" of every request whose head arrived.
    let requests = Box<[String]>([])
    /// Part requests whose body started arriving.
    let partsStarted = Box(0)
    private let listener: Int32
    private let connections = Box<Set<Int32>>([])
    private let dead = Box(false)
    private let acceptEnded = DispatchSemaphore(value: 0)

    var endpoint: String { "http://127.0.0.1:\(port)" }

    init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        (listener, port) = try LoopbackListener.open(backlog: 64)
        Thread { [self] in acceptLoop() }.start()
    }

    /// Resets every open connection and stops listening, so new connections are refused.
    func die() {
        let first = dead.with { dead in
            defer { dead = true }
            return !dead
        }
        guard first else { return }
        #if canImport(Glibc)
            _ = Glibc.shutdown(listener, Int32(SHUT_RDWR))
        #else
            _ = Darwin.shutdown(listener, SHUT_RDWR)
        #endif
        acceptEnded.wait()
        close(listener)
        for fd in connections.with({ open in defer { open = [] }; return open }) {
            var reset = linger(l_onoff: 1, l_linger: 0)  // close with RST, as the kernel does for a killed process
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
            #if canImport(Glibc)
                _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
            #else
                _ = Darwin.shutdown(fd, SHUT_RDWR)
            #endif
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            connections.with { _ = $0.insert(client) }
            Thread { [self] in serve(client) }.start()
        }
        acceptEnded.signal()
    }

    private func serve(_ fd: Int32) {
        defer {
            connections.with { _ = $0.remove(fd) }
            close(fd)
        }
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        while headEnd == nil {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return }
            buffer += chunk[0..<n]
            headEnd = buffer.firstRange(of: [13, 10, 13, 10])?.lowerBound
        }
        guard let headEnd else { return }
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        let requestLine = head.prefix { $0 != "\r" }.split(separator: " ")
        guard requestLine.count >= 2 else { return }
        let method = String(requestLine[0])
        let target = String(requestLine[1])
        requests.with { $0.append("\(method) \(target)") }
        let length =
            head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        var received = buffer.count - headEnd - 4
        if method == "PUT" && target.contains("partNumber=") {
            partsStarted.with { $0 += 1 }
            if behaviour == .dieMidPart {
                die()
                return
            }
        }
        while received < length {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return }
            received += n
        }
        switch method {
        case "POST" where target.contains("uploads"):
            answer(
                fd, 200,
                "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>U1</UploadId></InitiateMultipartUploadResult>"
            )
        case "DELETE":
            answer(fd, 204, "")
        case "PUT":
            // neverAnswerParts: hold the connection until the client gives up or the test ends.
            while read(fd, &chunk, chunk.count) > 0 {}
        default:
            answer(fd, 400, "<Error><Code>NotImplemented</Code></Error>")
        }
    }

    private func answer(_ fd: Int32, _ status: Int, _ body: String) {
        let text =
            "HTTP/1.1 \(status) Status\r\nContent-Type: application/xml\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n\(body)"
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

/// What a bounded wait ended with.
enum Ending: Sendable {
    case threw(any Error)
    case returned
    case stillRunning
}

/// Runs `body` for at most `seconds` and reports how it ended. A body still running then is cancelled but not
/// waited for, so a lost completion fails the test instead of hanging it.
func ending(within seconds: Int, _ body: @escaping @Sendable () async throws -> Void) async -> Ending {
    let first = Box<CheckedContinuation<Ending, Never>?>(nil)
    let finish: @Sendable (Ending) -> Void = { ending in
        first.with { waiting in
            waiting?.resume(returning: ending)
            waiting = nil
        }
    }
    return await withCheckedContinuation { continuation in
        first.with { $0 = continuation }
        let work = Task {
            do {
                try await body()
                finish(.returned)
            } catch {
                finish(.threw(error))
            }
        }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            finish(.stillRunning)
            work.cancel()
        }
    }
}

@Suite("OSS transport failures end with an error, never a hang or a crash")
struct TransportFailureTests {
    static func client(_ server: BrokenOSS) throws -> OSSClient {
        try OSSClient(
            region: "cn-hangzhou", endpoint: server.endpoint,
            credentialsProvider: StaticAccessKeyCredentialsProvider(accessKeyId: "ak", accessKeySecret: "sk"))
    }

    /// The server dying mid-part used to race the task group's cancellation of the other parts against their
    /// own failures, crashing in FoundationNetworking's task registry or hanging; repeated to give the race room.
    @Test func serverDyingMidMultipartFailsWithRequestFailed() async throws {
        let file = try temporaryFile(pattern(2 * 1024 * 1024))
        defer { try? FileManager.default.removeItem(at: file) }
        for _ in 0..<15 {
            let server = try BrokenOSS(.dieMidPart)
            defer { server.die() }
            let oss = try Self.client(server)
            let end = await ending(within: 30) {
                _ = try await oss.uploadFile(
                    bucket: "bkt", key: "k", file: file, partSize: OSSClient.minimumPartSize, concurrency: 4)
            }
            guard case .threw(let error) = end else {
                Issue.record("uploadFile ended with \(end) instead of an error")
                return
            }
            #expect((error as? OSSError)?.code == OSSError.requestFailed, "\(error)")
        }
    }

    /// Cancelling an upload whose parts the server never answers returns at once and still aborts the upload.
    @Test func cancelledMultipartUploadIsAborted() async throws {
        let file = try temporaryFile(pattern(1024 * 1024))
        defer { try? FileManager.default.removeItem(at: file) }
        let server = try BrokenOSS(.neverAnswerParts)
        defer { server.die() }
        let oss = try Self.client(server)
        let upload = Task {
            _ = try await oss.uploadFile(
                bucket: "bkt", key: "k", file: file, partSize: OSSClient.minimumPartSize, concurrency: 2)
        }
        // Cancel once the parts are in flight.
        let started = Date()
        while server.partsStarted.current < 2 && Date().timeIntervalSince(started) < 30 {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(server.partsStarted.current >= 2)
        upload.cancel()
        let end = await ending(within: 30) { try await upload.value }
        guard case .threw(let error) = end else {
            Issue.record("cancelled uploadFile ended with \(end)")
            return
        }
        #expect(error is CancellationError, "\(error)")
        #expect(server.requests.current.contains("DELETE /bkt/k?uploadId=U1"), "\(server.requests.current)")
    }
}

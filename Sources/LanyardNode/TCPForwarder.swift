import Foundation
import Synchronization

/// A small TCP proxy: accepts on a listening socket (typically created inside a pod's namespace) and connects
/// each client to `127.0.0.1:<port>` from the host side, copying bytes both ways. Plain threads and `poll`;
/// at most `connectionLimit` connections at once (extra clients are closed at once).
public final class TCPForwarder: Sendable {
    private let listener: Int32
    private let targetPort: UInt16
    private let connectionLimit: Int
    private let wake: (read: Int32, write: Int32)
    private let state = Mutex<(active: Set<Int32>, connections: Int, stopped: Bool)>(([], 0, false))
    private let finished = DispatchSemaphore(value: 0)

    /// Takes ownership of the listening socket and starts accepting.
    public init(listener: Int32, targetPort: UInt16, connectionLimit: Int = 256) throws(NodeError) {
        self.listener = listener
        self.targetPort = targetPort
        self.connectionLimit = connectionLimit
        self.wake = try FD.pipe()
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Stops accepting, closes the listener and every open connection, and waits for the accept thread.
    public func stop() {
        // Shut connections down under the lock: a relay removes its sockets under it before closing them, so
        // every descriptor seen here is still open and still the relay's.
        let first = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.stopped = true
            for fd in state.active { shutdown(fd, Int32(SHUT_RDWR)) }
            return true
        }
        guard first else { return }
        FD.writeAll(wake.write, [1])
        finished.wait()
        close(listener)
        close(wake.read)
        close(wake.write)
    }

    private func acceptLoop() {
        defer { finished.signal() }
        var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        while true {
            if poll(&fds, 2, -1) < 0 && errno != EINTR { return }
            if fds[1].revents != 0 || state.withLock({ $0.stopped }) { return }
            guard fds[0].revents != 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let admitted = state.withLock { state -> Bool in
                guard !state.stopped, state.connections < connectionLimit else { return false }
                state.connections += 1
                state.active.insert(client)
                return true
            }
            guard admitted else {
                close(client)
                continue
            }
            Thread.detachNewThread { [self] in relay(client) }
        }
    }

    private func relay(_ client: Int32) {
        var upstream: Int32 = -1
        defer {
            state.withLock {
                $0.connections -= 1
                $0.active.remove(client)
                if upstream >= 0 { $0.active.remove(upstream) }
            }
            close(client)
            if upstream >= 0 { close(upstream) }
        }
        guard let connected = try? Sockets.connect(address: "127.0.0.1", port: targetPort) else { return }
        upstream = connected
        let open = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.active.insert(connected)
            return true
        }
        guard open else { return }
        Self.splice(client, connected)
    }

    /// Copies both directions until both have ended; an end on one side half-closes the other.
    static func splice(_ a: Int32, _ b: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var readable = [true, true]  // a→b, b→a
        let ends = [(a, b), (b, a)]
        while readable[0] || readable[1] {
            var fds = [
                pollfd(fd: readable[0] ? a : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: readable[1] ? b : -1, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            for direction in 0..<2 where readable[direction] && fds[direction].revents != 0 {
                let (from, to) = ends[direction]
                let n = read(from, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    readable[direction] = false
                    shutdown(to, Int32(SHUT_WR))
                    continue
                }
                var offset = 0
                while offset < n {
                    let written = buffer[offset..<n].withUnsafeBytes { send(to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }
}

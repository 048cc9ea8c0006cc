import Foundation
import Synchronization

/// Accepts connections on a set of listening sockets on one dedicated thread and hands each accepted socket
/// to an `.acceptedConnections` server, tagged with its listener's tag (e.g. one listener per pod namespace).
public final class Acceptor: Sendable {
    private struct Listener {
        let fd: Int32
        let tag: Int
    }

    private struct State {
        var listeners: [Int: Listener] = [:]   // by registration id, never reused
        var nextID = 0
        var stopped = false
        var thread: pthread_t?
        /// Callers of `removeListener` waiting until the thread no longer polls the removed socket.
        var waiters: [DispatchSemaphore] = []
    }

    private let server: HTTPServer
    private let wake: (read: Int32, write: Int32)
    private let state = Mutex(State())

    /// Starts the accept thread for `server` (which must be configured with `.acceptedConnections`).
    /// The thread keeps the acceptor alive until `shutdown()`.
    public init(server: HTTPServer) throws(HTTPServerError) {
        self.server = server
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .posix("AcceptorFailed", "pipe") }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wake = (ends[0], ends[1])
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self)
        let created = pthread_create(&thread, nil, { raw in
            Unmanaged<Acceptor>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context.toOpaque())
        guard created == 0 else {
            context.release()   // deinit closes the wake pipe
            throw .posix("AcceptorFailed", "pthread_create", errno: created)
        }
        state.withLock { $0.thread = thread }
    }

    /// Adds a bound, listening socket (the acceptor owns it from now on and closes it on removal).
    /// Every connection accepted on it carries `tag`.
    public func addListener(socket: Int32, tag: Int) throws(HTTPServerError) {
        let flags = fcntl(socket, F_GETFL)
        guard flags >= 0, fcntl(socket, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw .posix("AcceptorFailed", "fcntl on listener \(socket)")
        }
        let added = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.listeners[state.nextID] = Listener(fd: socket, tag: tag)
            state.nextID += 1
            return true
        }
        guard added else { throw HTTPServerError(code: "AcceptorStopped", message: "the acceptor has been shut down") }
        poke()
    }

    /// Stops accepting on `socket` and closes it; returns false if it was not a listener of this acceptor.
    /// On return the port no longer accepts connections (the accept thread has let go of the socket).
    @discardableResult
    public func removeListener(socket: Int32) -> Bool {
        let waiter = DispatchSemaphore(value: 0)
        let removed = state.withLock { state -> Bool in
            guard let id = state.listeners.first(where: { $0.value.fd == socket })?.key else { return false }
            state.listeners[id] = nil
            close(socket)
            state.waiters.append(waiter)
            return true
        }
        guard removed else { return false }
        poke()
        waiter.wait()
        return true
    }

    /// Stops the thread, closes every listener (accepted connections stay with the server). Idempotent.
    public func shutdown() {
        let thread = state.withLock { state -> pthread_t? in
            guard !state.stopped else { return nil }
            state.stopped = true
            for listener in state.listeners.values { close(listener.fd) }
            state.listeners = [:]
            return state.thread
        }
        guard let thread else { return }
        poke()
        pthread_join(thread, nil)
        close(wake.read)
        close(wake.write)
    }

    deinit {
        // The thread holds a reference until it exits, so reaching here means it is gone (or never started).
        let open = state.withLock { !$0.stopped }
        if open {
            close(wake.read)
            close(wake.write)
        }
    }

    private func poke() {
        var one: UInt8 = 1
        _ = write(wake.write, &one, 1)
    }

    private func run() {
        var fds: [pollfd] = []
        var ids: [Int] = []
        while true {
            fds.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            let stopped = state.withLock { state -> Bool in
                for (id, listener) in state.listeners {
                    fds.append(pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0))
                    ids.append(id)
                }
                for waiter in state.waiters { waiter.signal() }
                state.waiters = []
                return state.stopped
            }
            if stopped { return }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 { continue }   // EINTR
            if fds[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while read(wake.read, &drain, drain.count) > 0 {}
            }
            for index in 1..<fds.count where fds[index].revents != 0 {
                acceptAll(id: ids[index - 1], fd: fds[index].fd)
            }
        }
    }

    /// Drains the accept queue of one listener, unless it was removed (its descriptor may be reused) meanwhile.
    private func acceptAll(id: Int, fd: Int32) {
        state.withLock { state in
            guard let listener = state.listeners[id], listener.fd == fd else { return }
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                    return
                }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                try? server.addConnection(socket: client, tag: listener.tag)
            }
        }
    }
}

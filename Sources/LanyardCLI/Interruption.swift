import Foundation
import Synchronization

/// Turns SIGINT and SIGTERM into cancellation for commands that leave state behind when killed outright.
enum Interruption {
    private final class Signals: Sendable {
        let seen = Mutex(0)
    }

    /// Runs `body`; the first SIGINT or SIGTERM cancels it (so its cleanup, such as the SDK aborting a multipart
    /// upload in flight, gets to run) and the command then fails with `Interrupted` (exit 130). A second signal
    /// exits at once.
    static func cancellingOnSignal<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let work = Task { try await body() }
        let signals = Signals()
        let numbers = [SIGINT, SIGTERM]
        let sources = numbers.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let count = signals.seen.withLock { seen in
                    seen += 1
                    return seen
                }
                if count > 1 { exit(128 + number) }
                FileHandle.standardError.write(Data("\nlanyard: interrupted, cleaning up (again to quit at once)\n".utf8))
                work.cancel()
            }
            source.resume()
            return source
        }
        defer {
            for (source, number) in zip(sources, numbers) {
                source.cancel()
                signal(number, SIG_DFL)
            }
        }
        do {
            return try await work.value
        } catch where work.isCancelled {
            throw CLIError(code: "Interrupted", message: "Interrupted: stopped by a signal", exitStatus: 130)
        }
    }
}

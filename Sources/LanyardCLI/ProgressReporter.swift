import Foundation
import Synchronization

/// Draws a ``TransferProgress`` line on stderr while a transfer runs.
///
/// The bar appears only when stderr is a terminal (so logs and pipes never receive carriage returns) and
/// only once the transfer has run for a second; it is redrawn five times a second and ends with a newline.
final class ProgressReporter: Sendable {
    private struct State {
        var totalBytes: Int64?
        var totalFiles: Int
        var doneBytes: Int64 = 0
        var doneFiles = 0
        var drawn = false
        var finished = false
    }

    private let state: Mutex<State>
    private let ticker = Mutex<Task<Void, Never>?>(nil)
    private let started = ContinuousClock.now
    private let enabled: Bool

    /// Creates a reporter; `enabled` defaults to whether stderr is a terminal.
    init(totalBytes: Int64?, totalFiles: Int, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        state = Mutex(State(totalBytes: totalBytes, totalFiles: totalFiles))
        self.enabled = enabled
        guard enabled else { return }
        ticker.withLock {
            $0 = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    self?.draw(final: false)
                }
            }
        }
    }

    /// Counts `bytes` more moved.
    func add(bytes: Int64) { state.withLock { $0.doneBytes += bytes } }

    /// Sets the byte total once it is known (a single download learns it from its HEAD).
    func setTotalIfUnknown(_ bytes: Int64) { state.withLock { $0.totalBytes = $0.totalBytes ?? bytes } }

    /// Counts one more file finished.
    func fileDone() { state.withLock { $0.doneFiles += 1 } }

    /// A per-file callback that turns "bytes of this file so far" into increments of the total.
    func tracker() -> @Sendable (Int64) -> Void {
        let last = Mutex<Int64>(0)
        return { [self] soFar in
            let delta = last.withLock { previous in
                defer { previous = max(previous, soFar) }
                return max(0, soFar - previous)
            }
            add(bytes: delta)
        }
    }

    /// Stops redrawing; if the bar was shown, draws it once more complete and ends the line.
    func finish() {
        ticker.withLock {
            $0?.cancel()
            $0 = nil
        }
        draw(final: true)
    }

    private func draw(final: Bool) {
        guard enabled else { return }
        let elapsed = Self.seconds(started.duration(to: .now))
        let text: String? = state.withLock { state in
            guard !state.finished else { return nil }
            if final {
                state.finished = true
                guard state.drawn else { return nil }
            } else {
                guard elapsed >= 1 else { return nil }
                state.drawn = true
            }
            let snapshot = TransferProgress(
                totalBytes: state.totalBytes, doneBytes: state.doneBytes, totalFiles: state.totalFiles,
                doneFiles: state.doneFiles, elapsed: elapsed)
            return "\r" + snapshot.line + "\u{1B}[K" + (final ? "\n" : "")
        }
        if let text { FileHandle.standardError.write(Data(text.utf8)) }
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

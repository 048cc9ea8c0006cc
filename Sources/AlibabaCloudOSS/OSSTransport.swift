import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Runs URLSession tasks for ``OSSClient`` without the async conveniences of FoundationNetworking.
///
/// On Linux, `URLSession.data(for:)`/`upload(for:from:)` cancel their task when the Swift task is cancelled,
/// and `URLSessionTask.cancel()` racing with the task's own failure (a part upload cancelled by its task group
/// just as the server dies) either crashes in FoundationNetworking's task registry or loses the completion,
/// leaving the caller suspended forever. Here every task reports through a completion handler that resumes the
/// caller at most once, and cancellation resumes the caller at once with `CancellationError` without touching
/// the URLSession task: it runs on to its own end (the server answers, the connection fails, or the session's
/// idle timeout fires) and its outcome is dropped.
enum OSSTransport {
    /// Where a task's single outcome goes: the first of completion and cancellation wins.
    final class Outcome<Value: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Value, any Error>?
            var result: Result<Value, any Error>?
        }
        private let state = Mutex(State())

        /// Registers the waiting caller; false when an outcome (a cancellation) already arrived and was delivered.
        func wait(_ continuation: CheckedContinuation<Value, any Error>) -> Bool {
            let early: Result<Value, any Error>? = state.withLock { state in
                if let result = state.result { return result }
                state.continuation = continuation
                return nil
            }
            guard let early else { return true }
            continuation.resume(with: early)
            return false
        }

        /// Delivers `result` unless an outcome was delivered before; returns whether this one was.
        @discardableResult
        func finish(_ result: Result<Value, any Error>) -> Bool {
            let waiting: CheckedContinuation<Value, any Error>?? = state.withLock { state in
                guard state.result == nil else { return .none }
                state.result = result
                defer { state.continuation = nil }
                return .some(state.continuation)
            }
            guard case .some(let continuation) = waiting else { return false }
            continuation?.resume(with: result)
            return true
        }
    }

    /// Starts the task `make` builds (handing it the completion callback, which returns whether its outcome was
    /// delivered) and waits for its outcome or for cancellation, whichever comes first. The task is never
    /// cancelled (see ``OSSTransport``).
    static func run<Value: Sendable>(
        _ make: (@escaping @Sendable (Result<Value, any Error>) -> Bool) -> URLSessionTask
    ) async throws -> Value {
        let outcome = Outcome<Value>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard outcome.wait(continuation) else { return }
                make { outcome.finish($0) }.resume()
            }
        } onCancel: {
            outcome.finish(.failure(CancellationError()))
        }
    }

    /// Sends `request` with `body` and returns the response body and the response.
    static func send(_ session: URLSession, _ request: URLRequest, body: OSSClient.Body) async throws
        -> (Data, URLResponse)
    {
        try await run { done in
            let handler: @Sendable (Data?, URLResponse?, (any Error)?) -> Void = { data, response, error in
                if let response, error == nil {
                    _ = done(.success((data ?? Data(), response)))
                } else {
                    _ = done(.failure(error ?? URLError(.badServerResponse)))
                }
            }
            return switch body {
            case .none: session.dataTask(with: request, completionHandler: handler)
            case .data(let payload): session.uploadTask(with: request, from: payload, completionHandler: handler)
            case .file(let file): session.uploadTask(with: request, fromFile: file, completionHandler: handler)
            }
        }
    }

    /// Sends `request` and streams the response body to a new temporary file, which the caller owns.
    static func download(_ session: URLSession, _ request: URLRequest) async throws -> (URL, URLResponse) {
        try await run { done in
            session.downloadTask(with: request) { location, response, error in
                guard let location, let response, error == nil else {
                    _ = done(.failure(error ?? URLError(.badServerResponse)))
                    return
                }
                // URLSession deletes `location` when this handler returns.
                let kept = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "oss-download-\(UUID().uuidString)")
                do {
                    try FileManager.default.moveItem(at: location, to: kept)
                } catch {
                    _ = done(.failure(error))
                    return
                }
                if !done(.success((kept, response))) { try? FileManager.default.removeItem(at: kept) }
            }
        }
    }
}

/// Why a node operation failed: a code and a message (never a secret).
public struct NodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// E.g. `RootRequired`, `SandboxFailed`, `PodNotFound`, `PodGone`, `ListenerFailed`, `SpawnFailed`.
    public let code: String
    /// Human-readable explanation.
    public let message: String

    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    static func posix(_ code: String, _ what: String, errno value: Int32) -> NodeError {
        NodeError(code: code, message: "\(what): \(String(cString: strerror(value)))")
    }
}

import Foundation

/// A signing or signature-parsing failure, carrying the protocol's own error code
/// (e.g. `IncompleteSignature` for POP, `InvalidArgument` / `AccessDenied` for OSS).
public struct SigningError: Error, Sendable, Hashable {
    /// The protocol error code a server should answer with.
    public let code: String
    /// Human-readable detail.
    public let message: String

    /// Creates an error with a protocol code and a message.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

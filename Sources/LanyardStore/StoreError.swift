/// An error from the store: either a rule of the identity model (a name taken, a limit reached, an entity
/// still in use) or a failure of the storage engine.
///
/// Rule violations carry the RAM error code they correspond to (`EntityAlreadyExists.User`,
/// `LimitExceeded.User.AccessKey`, `DeleteConflict.Role.Policy`, ...), so the API layer can answer with the
/// code the protocol defines; engine failures use the code `StorageFailure`.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error code.
    public let code: String
    /// Human-readable detail.
    public let message: String

    /// Creates an error with a code and a message.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// The storage engine failed (I/O, corruption, a busy database beyond the timeout).
    public static func storage(_ message: String) -> StoreError {
        StoreError(code: "StorageFailure", message: message)
    }

    /// Whether this is an engine failure rather than a rule of the identity model.
    public var isStorageFailure: Bool { code == "StorageFailure" }
}

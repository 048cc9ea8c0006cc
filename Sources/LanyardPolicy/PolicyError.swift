/// Why a policy document was refused.
///
/// `code` is the RAM error code (`MalformedPolicyDocument` for every problem with a document); `message` says
/// what is wrong and where, e.g. `Statement[1]: Unknown condition operator: Foo`.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The RAM error code.
    public let code: String
    /// Human-readable detail: what is wrong and where.
    public let message: String

    /// Creates an error with an explicit code.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// The one code this module produces.
    static func malformed(_ message: String) -> PolicyError {
        PolicyError(code: "MalformedPolicyDocument", message: message)
    }
}

/// A failure the CLI reports as one line on stderr, with a non-zero exit status.
public struct CLIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A short machine-readable code: the server's error code for API failures, else one of the static cases.
    public let code: String
    /// What went wrong, for a person.
    public let message: String
    /// Process exit status.
    public let exitStatus: Int32

    public init(code: String, message: String, exitStatus: Int32 = 1) {
        self.code = code
        self.message = message
        self.exitStatus = exitStatus
    }

    public var description: String { message }

    /// Wrong words on the command line (exit status 2).
    public static func usage(_ message: String) -> CLIError {
        CLIError(code: "Usage", message: message, exitStatus: 2)
    }

    /// No usable credentials, endpoint or configuration.
    public static func configuration(_ message: String) -> CLIError {
        CLIError(code: "Configuration", message: message)
    }
}

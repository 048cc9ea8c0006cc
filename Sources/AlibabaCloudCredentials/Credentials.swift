import AlibabaCloudSigning
import Foundation

/// A set of Alibaba Cloud credentials: a long-term AccessKey pair, or an STS triple with an expiry.
public struct Credentials: Sendable, Hashable, CustomStringConvertible {
    /// The AccessKey ID (`STS.`-prefixed for STS credentials).
    public var accessKeyId: String
    /// The AccessKey secret.
    public var accessKeySecret: String
    /// The STS security token; nil for a long-term AccessKey.
    public var securityToken: String?
    /// When these credentials stop working; nil when they do not expire.
    public var expiration: Date?
    /// The name of the provider that produced them, e.g. `"ecs_ram_role"`.
    public var providerName: String

    /// Creates credentials from their parts.
    public init(
        accessKeyId: String, accessKeySecret: String, securityToken: String? = nil, expiration: Date? = nil,
        providerName: String
    ) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
        self.expiration = expiration
        self.providerName = providerName
    }

    /// A log-safe description: the key ID and provider, never the secret or token.
    public var description: String {
        "Credentials(accessKeyId: \(accessKeyId), provider: \(providerName)"
            + (expiration.map { ", expiration: \(SigningTime.iso8601($0))" } ?? "") + ")"
    }
}

/// Something that supplies credentials; asked before every signed request.
///
/// Implementations must be cheap to call repeatedly: providers of expiring credentials cache through
/// ``RefreshingCredentialsProvider``.
public protocol CredentialsProvider: Sendable {
    /// Returns credentials that are valid now.
    func credentials() async throws -> Credentials
}

/// An error from a credentials provider.
public struct CredentialsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A machine-readable code: the remote service's own code where it sent one (e.g. STS's
    /// `"EntityNotExist.Role"`), otherwise one of the constants below.
    public let code: String
    /// What went wrong, for people.
    public let message: String
    /// The HTTP status when the error came from an HTTP response.
    public let status: Int?

    /// Creates an error.
    public init(code: String, message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// The provider is not configured here (missing variables, file or profile).
    public static let notConfigured = "CredentialsNotConfigured"
    /// The configuration exists but is malformed.
    public static let invalidConfiguration = "InvalidCredentialsConfiguration"
    /// The metadata service is disabled by `ALIBABA_CLOUD_ECS_METADATA_DISABLED`.
    public static let metadataDisabled = "MetadataDisabled"
    /// The metadata role was not found (HTTP 404).
    public static let roleNotFound = "RoleNotFound"
    /// A remote endpoint answered with an unexpected status or could not be reached.
    public static let requestFailed = "CredentialsRequestFailed"
    /// A remote endpoint answered with a document that is not valid credentials.
    public static let invalidResponse = "InvalidCredentialsResponse"
    /// The credentials obtained had already expired.
    public static let expired = "CredentialsExpired"
    /// Every provider of a chain failed.
    public static let chainExhausted = "NoCredentialsFound"
}

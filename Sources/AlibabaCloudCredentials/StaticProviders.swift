import AlibabaCloudSigning
import Foundation

/// A fixed long-term AccessKey pair.
public struct StaticAccessKeyCredentialsProvider: CredentialsProvider {
    private let value: Credentials

    /// Creates a provider that always returns this AccessKey.
    public init(accessKeyId: String, accessKeySecret: String) {
        value = Credentials(accessKeyId: accessKeyId, accessKeySecret: accessKeySecret, providerName: "static_ak")
    }

    /// Returns the AccessKey.
    public func credentials() async throws -> Credentials { value }
}

/// Fixed STS credentials (AccessKey, secret and security token), optionally with their expiry. Once that
/// expiry has passed, ``credentials()`` fails with ``CredentialsError/expired`` rather than handing out a token
/// every server would refuse.
public struct StaticSTSCredentialsProvider: CredentialsProvider {
    private let value: Credentials
    private let clock: CredentialsClock

    /// Creates a provider that returns these STS credentials until `expiration`.
    public init(
        accessKeyId: String, accessKeySecret: String, securityToken: String, expiration: Date? = nil,
        clock: CredentialsClock = .system
    ) {
        value = Credentials(
            accessKeyId: accessKeyId, accessKeySecret: accessKeySecret, securityToken: securityToken,
            expiration: expiration, providerName: "static_sts")
        self.clock = clock
    }

    /// Returns the STS credentials, or throws ``CredentialsError/expired`` once they have expired.
    public func credentials() async throws -> Credentials {
        if let expiration = value.expiration, clock.now() >= expiration {
            throw CredentialsError(
                code: CredentialsError.expired,
                message: "the static STS credentials expired at \(SigningTime.iso8601(expiration)); get new ones")
        }
        return value
    }
}

/// Credentials from `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and, for STS,
/// `ALIBABA_CLOUD_SECURITY_TOKEN`, read on every call.
public struct EnvironmentCredentialsProvider: CredentialsProvider {
    private let environment: @Sendable () -> [String: String]

    /// Reads the process environment.
    public init() { environment = { ProcessInfo.processInfo.environment } }

    /// Reads the given variables instead of the process environment (tests, embedding).
    public init(environment: [String: String]) { self.environment = { environment } }

    /// Returns the credentials the variables name; fails with ``CredentialsError/notConfigured`` when absent.
    public func credentials() async throws -> Credentials {
        let env = environment()
        guard let id = env[EnvironmentVariable.accessKeyId], !id.isEmpty else {
            throw CredentialsError(
                code: CredentialsError.notConfigured,
                message: "\(EnvironmentVariable.accessKeyId) is not set")
        }
        guard let secret = env[EnvironmentVariable.accessKeySecret], !secret.isEmpty else {
            throw CredentialsError(
                code: CredentialsError.notConfigured,
                message: "\(EnvironmentVariable.accessKeySecret) is not set")
        }
        if let token = env[EnvironmentVariable.securityToken], !token.isEmpty {
            return Credentials(accessKeyId: id, accessKeySecret: secret, securityToken: token, providerName: "env")
        }
        return Credentials(accessKeyId: id, accessKeySecret: secret, providerName: "env")
    }
}

/// The environment variables the providers read, as in the official libraries.
public enum EnvironmentVariable {
    /// AccessKey ID for the environment provider.
    public static let accessKeyId = "ALIBABA_CLOUD_ACCESS_KEY_ID"
    /// AccessKey secret for the environment provider.
    public static let accessKeySecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
    /// STS token for the environment provider.
    public static let securityToken = "ALIBABA_CLOUD_SECURITY_TOKEN"
    /// Instance RAM role name for the metadata provider.
    public static let ecsMetadata = "ALIBABA_CLOUD_ECS_METADATA"
    /// `true` removes the metadata provider from the default chain and makes it refuse to run.
    public static let ecsMetadataDisabled = "ALIBABA_CLOUD_ECS_METADATA_DISABLED"
    /// `true` makes a failed hardened-mode token request fatal instead of falling back to normal mode.
    public static let imdsV1Disabled = "ALIBABA_CLOUD_IMDSV1_DISABLED"
    /// URL of a credentials endpoint answering with the metadata JSON shape.
    public static let credentialsURI = "ALIBABA_CLOUD_CREDENTIALS_URI"
    /// Profile name for both profile files.
    public static let profile = "ALIBABA_CLOUD_PROFILE"
    /// Path of the CLI configuration (`~/.aliyun/config.json` by default).
    public static let configFile = "ALIBABA_CLOUD_CONFIG_FILE"
    /// `true` skips the CLI profile step of the default chain.
    public static let cliProfileDisabled = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED"
    /// Path of the INI credentials file (`~/.alibabacloud/credentials.ini` by default).
    public static let credentialsFile = "ALIBABA_CLOUD_CREDENTIALS_FILE"
    /// Region of the STS endpoint used for AssumeRole.
    public static let stsRegion = "ALIBABA_CLOUD_STS_REGION"
    /// `true` selects the VPC STS endpoint (`sts-vpc.<region>.aliyuncs.com`).
    public static let vpcEndpointEnabled = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"

    static func isTrue(_ value: String?) -> Bool { value?.lowercased() == "true" }
}

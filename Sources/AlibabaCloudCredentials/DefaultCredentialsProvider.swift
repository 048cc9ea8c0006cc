import Foundation

/// The default provider chain, in the official libraries' order:
///
/// 1. environment (`ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `_SECURITY_TOKEN`);
/// 2. the CLI profile `~/.aliyun/config.json`, unless `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`;
/// 3. the INI profile `~/.alibabacloud/credentials.ini`;
/// 4. the ECS/ECI RAM role from the metadata service, unless `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`;
/// 5. `ALIBABA_CLOUD_CREDENTIALS_URI`, when set.
///
/// The provider that answered last is asked first next time; only when it fails is the chain walked again
/// from the top (a failure is never remembered).
public final class DefaultCredentialsProvider: CredentialsProvider {
    private let providers: [(name: String, provider: any CredentialsProvider)]
    private let lastWorking = Locked<Int?>(nil)

    /// Creates the chain.
    /// - Parameters:
    ///   - environment: the variables to read (defaults to the process environment).
    ///   - metadataURL: the metadata service (point tests at a loopback server).
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        metadataURL: URL = ECSRAMRoleCredentialsProvider.defaultMetadataURL, refreshPolicy: RefreshPolicy = .default,
        clock: CredentialsClock = .system
    ) {
        var list: [(name: String, provider: any CredentialsProvider)] = [
            ("environment", EnvironmentCredentialsProvider(environment: environment))
        ]
        if !EnvironmentVariable.isTrue(environment[EnvironmentVariable.cliProfileDisabled]) {
            list.append(
                ("cli_profile",
                 CLIProfileCredentialsProvider(
                    environment: environment, metadataURL: metadataURL, refreshPolicy: refreshPolicy, clock: clock)))
        }
        list.append(
            ("ini_profile",
             INIProfileCredentialsProvider(
                environment: environment, metadataURL: metadataURL, refreshPolicy: refreshPolicy, clock: clock)))
        if let ecs = try? ECSRAMRoleCredentialsProvider(
            metadataURL: metadataURL, refreshPolicy: refreshPolicy, clock: clock, environment: environment)
        {
            list.append(("ecs_ram_role", ecs))
        }
        if environment[EnvironmentVariable.credentialsURI].map({ !$0.isEmpty }) == true,
            let uri = try? CredentialsURIProvider(refreshPolicy: refreshPolicy, clock: clock, environment: environment)
        {
            list.append(("credentials_uri", uri))
        }
        providers = list
    }

    /// The names of the steps in this chain, in order (for diagnostics).
    public var providerNames: [String] { providers.map(\.name) }

    /// Returns the credentials of the first provider that has some.
    public func credentials() async throws -> Credentials {
        let preferred = lastWorking.withLock { $0 }
        if let preferred, let credentials = try? await providers[preferred].provider.credentials() {
            return credentials
        }
        var failures: [String] = []
        for (index, step) in providers.enumerated() where index != preferred {
            do {
                let credentials = try await step.provider.credentials()
                lastWorking.withLock { $0 = index }
                return credentials
            } catch {
                failures.append("\(step.name): \(error)")
            }
        }
        if let preferred { failures.append("\(providers[preferred].name): failed again") }
        throw CredentialsError(
            code: CredentialsError.chainExhausted,
            message: "no provider in the default chain has credentials: " + failures.joined(separator: "; "))
    }
}

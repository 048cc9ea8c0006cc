import Foundation

/// Settings handed down to the providers a profile or chain builds.
struct ProviderContext: Sendable {
    var environment: [String: String]
    var metadataURL: URL
    var refreshPolicy: RefreshPolicy
    var clock: CredentialsClock

    var homeDirectory: String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        return NSHomeDirectory()
    }

    func readFile(_ path: String, what: String) throws(CredentialsError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialsError(code: CredentialsError.notConfigured, message: "\(what) \(path) does not exist")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Builds its real provider once, on first use, and keeps it (so that provider's cache lives on).
final class LazyProvider: CredentialsProvider {
    private let build: @Sendable () throws -> any CredentialsProvider
    private let built = Locked<(any CredentialsProvider)?>(nil)

    init(_ build: @escaping @Sendable () throws -> any CredentialsProvider) { self.build = build }

    func credentials() async throws -> Credentials {
        let provider = try built.withLock { slot in
            if let existing = slot { return existing }
            let made = try build()
            slot = made
            return made
        }
        return try await provider.credentials()
    }
}

/// Credentials from a profile of the Alibaba Cloud CLI configuration, `~/.aliyun/config.json`
/// (or `ALIBABA_CLOUD_CONFIG_FILE`).
///
/// The profile is the one named, else `ALIBABA_CLOUD_PROFILE`, else the file's `current`. Supported modes:
/// `AK`, `StsToken`, `RamRoleArn`, `ChainableRamRoleArn` (via `source_profile`), `EcsRamRole`
/// (`ram_role_name`) and `CredentialsURI` (`credentials_uri`). The file is read on first use.
public final class CLIProfileCredentialsProvider: CredentialsProvider {
    private let lazy: LazyProvider

    /// Creates the provider.
    /// - Parameters:
    ///   - profileName: the profile; nil picks `ALIBABA_CLOUD_PROFILE`, then the file's `current`.
    ///   - path: the file; nil picks `ALIBABA_CLOUD_CONFIG_FILE`, then `~/.aliyun/config.json`.
    ///   - metadataURL: the metadata service for `EcsRamRole` profiles.
    public init(
        profileName: String? = nil, path: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        metadataURL: URL = ECSRAMRoleCredentialsProvider.defaultMetadataURL, refreshPolicy: RefreshPolicy = .default,
        clock: CredentialsClock = .system
    ) {
        let context = ProviderContext(
            environment: environment, metadataURL: metadataURL, refreshPolicy: refreshPolicy, clock: clock)
        lazy = LazyProvider {
            let file =
                path ?? environment[EnvironmentVariable.configFile]
                ?? context.homeDirectory + "/.aliyun/config.json"
            let text = try context.readFile(file, what: "CLI configuration")
            let config = try CLIConfiguration(json: Data(text.utf8), file: file)
            let name = profileName ?? environment[EnvironmentVariable.profile].flatMap { $0.isEmpty ? nil : $0 }
            return try config.provider(profile: name ?? config.current ?? "default", context: context, depth: 0)
        }
    }

    /// Returns the credentials of the profile.
    public func credentials() async throws -> Credentials { try await lazy.credentials() }
}

/// The parsed `config.json` of the Alibaba Cloud CLI.
struct CLIConfiguration {
    let current: String?
    let profiles: [String: [String: Any]]
    let file: String

    init(json: Data, file: String) throws(CredentialsError) {
        guard let root = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any],
            let list = root["profiles"] as? [[String: Any]]
        else {
            throw CredentialsError(
                code: CredentialsError.invalidConfiguration, message: "\(file): expected {\"profiles\": [...]}")
        }
        current = root["current"] as? String
        var byName: [String: [String: Any]] = [:]
        for profile in list { if let name = profile["name"] as? String { byName[name] = profile } }
        profiles = byName
        self.file = file
    }

    func provider(profile name: String, context: ProviderContext, depth: Int) throws(CredentialsError)
        -> any CredentialsProvider
    {
        guard let profile = profiles[name] else {
            throw CredentialsError(code: CredentialsError.notConfigured, message: "\(file): no profile \"\(name)\"")
        }
        func field(_ key: String) throws(CredentialsError) -> String {
            guard let value = profile[key] as? String, !value.isEmpty else {
                throw CredentialsError(
                    code: CredentialsError.invalidConfiguration, message: "\(file): profile \"\(name)\" needs \(key)")
            }
            return value
        }
        func optional(_ key: String) -> String? { (profile[key] as? String).flatMap { $0.isEmpty ? nil : $0 } }
        func roleProvider(source: any CredentialsProvider) throws(CredentialsError) -> any CredentialsProvider {
            let seconds = (profile["expired_seconds"] as? Int).flatMap { $0 > 0 ? $0 : nil } ?? 3600
            return RAMRoleARNCredentialsProvider(
                source: source, roleArn: try field("ram_role_arn"), roleSessionName: optional("ram_session_name"),
                durationSeconds: seconds, policy: optional("policy"), externalId: optional("external_id"),
                stsRegion: optional("sts_region"), refreshPolicy: context.refreshPolicy, clock: context.clock,
                environment: context.environment)
        }
        let mode = (profile["mode"] as? String) ?? "AK"
        switch mode {
        case "AK":
            return StaticAccessKeyCredentialsProvider(
                accessKeyId: try field("access_key_id"), accessKeySecret: try field("access_key_secret"))
        case "StsToken":
            return StaticSTSCredentialsProvider(
                accessKeyId: try field("access_key_id"), accessKeySecret: try field("access_key_secret"),
                securityToken: try field("sts_token"))
        case "RamRoleArn":
            return try roleProvider(
                source: StaticAccessKeyCredentialsProvider(
                    accessKeyId: try field("access_key_id"), accessKeySecret: try field("access_key_secret")))
        case "ChainableRamRoleArn":
            let sourceName = try field("source_profile")
            guard depth < 8, sourceName != name else {
                throw CredentialsError(
                    code: CredentialsError.invalidConfiguration, message: "\(file): source_profile loop at \"\(name)\"")
            }
            return try roleProvider(source: try provider(profile: sourceName, context: context, depth: depth + 1))
        case "EcsRamRole":
            return try ECSRAMRoleCredentialsProvider(
                roleName: optional("ram_role_name"), metadataURL: context.metadataURL,
                refreshPolicy: context.refreshPolicy, clock: context.clock, environment: context.environment)
        case "CredentialsURI":
            guard let url = URL(string: try field("credentials_uri")) else {
                throw CredentialsError(
                    code: CredentialsError.invalidConfiguration, message: "\(file): credentials_uri is not a URL")
            }
            return try CredentialsURIProvider(
                uri: url, refreshPolicy: context.refreshPolicy, clock: context.clock, environment: context.environment)
        default:
            throw CredentialsError(
                code: CredentialsError.invalidConfiguration,
                message: "\(file): profile \"\(name)\" has unsupported mode \(mode)")
        }
    }
}

/// Credentials from a section of the INI credentials file, `~/.alibabacloud/credentials.ini`
/// (or `ALIBABA_CLOUD_CREDENTIALS_FILE`).
///
/// The section is the one named, else `ALIBABA_CLOUD_PROFILE`, else `default`. Its `type` is `access_key`
/// (`access_key_id`, `access_key_secret`), `sts` (plus `security_token`), `ecs_ram_role` (`role_name`) or
/// `ram_role_arn` (`access_key_id`, `access_key_secret`, `role_arn`, optional `role_session_name`,
/// `policy`). The file is read on first use.
public final class INIProfileCredentialsProvider: CredentialsProvider {
    private let lazy: LazyProvider

    /// Creates the provider.
    /// - Parameters:
    ///   - profileName: the section; nil picks `ALIBABA_CLOUD_PROFILE`, then `default`.
    ///   - path: the file; nil picks `ALIBABA_CLOUD_CREDENTIALS_FILE`, then `~/.alibabacloud/credentials.ini`.
    ///   - metadataURL: the metadata service for `ecs_ram_role` sections.
    public init(
        profileName: String? = nil, path: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        metadataURL: URL = ECSRAMRoleCredentialsProvider.defaultMetadataURL, refreshPolicy: RefreshPolicy = .default,
        clock: CredentialsClock = .system
    ) {
        let context = ProviderContext(
            environment: environment, metadataURL: metadataURL, refreshPolicy: refreshPolicy, clock: clock)
        lazy = LazyProvider {
            let file =
                path ?? environment[EnvironmentVariable.credentialsFile].flatMap { $0.isEmpty ? nil : $0 }
                ?? context.homeDirectory + "/.alibabacloud/credentials.ini"
            let sections = INIFile.parse(try context.readFile(file, what: "credentials file"))
            let name =
                profileName ?? environment[EnvironmentVariable.profile].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
            guard let section = sections[name] else {
                throw CredentialsError(code: CredentialsError.notConfigured, message: "\(file): no section [\(name)]")
            }
            return try Self.provider(section: section, name: name, file: file, context: context)
        }
    }

    /// Returns the credentials of the section.
    public func credentials() async throws -> Credentials { try await lazy.credentials() }

    static func provider(section: [String: String], name: String, file: String, context: ProviderContext)
        throws(CredentialsError) -> any CredentialsProvider
    {
        func field(_ key: String) throws(CredentialsError) -> String {
            guard let value = section[key], !value.isEmpty else {
                throw CredentialsError(
                    code: CredentialsError.invalidConfiguration, message: "\(file): [\(name)] needs \(key)")
            }
            return value
        }
        let type = section["type"] ?? "access_key"
        switch type {
        case "access_key":
            return StaticAccessKeyCredentialsProvider(
                accessKeyId: try field("access_key_id"), accessKeySecret: try field("access_key_secret"))
        case "sts":
            return StaticSTSCredentialsProvider(
                accessKeyId: try field("access_key_id"), accessKeySecret: try field("access_key_secret"),
                securityToken: try field("security_token"))
        case "ecs_ram_role":
            return try ECSRAMRoleCredentialsProvider(
                roleName: section["role_name"].flatMap { $0.isEmpty ? nil : $0 }, metadataURL: context.metadataURL,
                refreshPolicy: context.refreshPolicy, clock: context.clock, environment: context.environment)
        case "ram_role_arn":
            return RAMRoleARNCredentialsProvider(
                source: StaticAccessKeyCredentialsProvider(
                    accessKeyId: try field("access_key_id"), accessKeySecret: try field("access_key_secret")),
                roleArn: try field("role_arn"), roleSessionName: section["role_session_name"],
                policy: section["policy"], refreshPolicy: context.refreshPolicy, clock: context.clock,
                environment: context.environment)
        default:
            throw CredentialsError(
                code: CredentialsError.invalidConfiguration, message: "\(file): [\(name)] has unsupported type \(type)")
        }
    }
}

/// A minimal INI reader: `[section]` headers, `key = value` lines, `#` and `;` comment lines.
enum INIFile {
    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            sections[section, default: [:]][key] = value
        }
        return sections
    }
}

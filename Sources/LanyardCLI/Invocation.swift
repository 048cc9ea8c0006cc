import Foundation

/// Credentials the CLI signs with, and where they came from (for error messages).
public struct CLICredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var accessKeySecret: String
    public var securityToken: String?
    /// `profile "dev"`, `environment`, `local root key (<path>)`.
    public var source: String

    public init(accessKeyId: String, accessKeySecret: String, securityToken: String?, source: String) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
        self.source = source
    }
}

/// Everything a client command needs to reach a Lanyard server: endpoints, region and credentials,
/// resolved from the global options, the environment, the profile file and the local data directory.
public struct Invocation: Sendable {
    public var apiEndpoint: String
    public var ossEndpoint: String
    public var region: String
    public var credentials: CLICredentials

    /// Resolution order for credentials: `--profile NAME`; the `ALIBABA_CLOUD_ACCESS_KEY_ID` /
    /// `ALIBABA_CLOUD_ACCESS_KEY_SECRET` / `ALIBABA_CLOUD_SECURITY_TOKEN` variables; the current profile;
    /// the root key a local `lanyard up` wrote to `<data>/root-credentials.json` (`--data`, `LANYARD_DATA`,
    /// default `./.lanyard`). Endpoints: `--endpoint`/`--oss-endpoint`, then `LANYARD_ENDPOINT` /
    /// `LANYARD_OSS_ENDPOINT`, then the profile, then the local defaults.
    public static func resolve(_ arguments: inout Arguments, environment: [String: String]) throws(CLIError)
        -> Invocation
    {
        let profileName = arguments.take("profile")
        let endpointOption = arguments.take("endpoint")
        let ossEndpointOption = arguments.take("oss-endpoint")
        let regionOption = arguments.take("region")
        let dataOption = arguments.take("data")
        let file = try ProfileFile.load(from: ProfileFile.location(environment: environment))

        var profile: Profile?
        let credentials: CLICredentials
        if let profileName {
            guard let named = file.profile(named: profileName) else {
                throw .configuration(
                    "no profile \"\(profileName)\" in \(ProfileFile.location(environment: environment).path); create it with `lanyard configure --profile \(profileName)`"
                )
            }
            profile = named
            credentials = CLICredentials(named, source: "profile \"\(profileName)\"")
        } else if ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"]
            .contains(where: { environment[$0] != nil })
        {
            // Any of the three set means these credentials were meant: an incomplete set (a CI secret that did not
            // resolve, a token without its key) is an error, as in Alibaba's credentials chain. Falling through to a
            // profile or the root key would run the command as someone else.
            let id = environment["ALIBABA_CLOUD_ACCESS_KEY_ID"] ?? "", secret = environment["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] ?? ""
            guard !id.isEmpty, !secret.isEmpty else {
                let missing = [("ALIBABA_CLOUD_ACCESS_KEY_ID", id), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)]
                    .filter { $0.1.isEmpty }.map { "\($0.0) is \(environment[$0.0] == nil ? "unset" : "empty")" }
                throw .configuration(
                    "\(missing.joined(separator: ", ")): set both, or unset both to use a profile or the local root key")
            }
            let token = environment["ALIBABA_CLOUD_SECURITY_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            credentials = CLICredentials(
                accessKeyId: id, accessKeySecret: secret, securityToken: token, source: "environment")
        } else if let current = file.currentProfile {
            profile = current
            credentials = CLICredentials(current, source: "profile \"\(current.name)\"")
        } else {
            let data = dataOption ?? environment["LANYARD_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? ".lanyard"
            credentials = try RootCredentials.load(dataDirectory: data)
        }
        return Invocation(
            apiEndpoint: endpointOption ?? environment["LANYARD_ENDPOINT"] ?? profile?.endpoint ?? "127.0.0.1:8100",
            ossEndpoint: ossEndpointOption ?? environment["LANYARD_OSS_ENDPOINT"] ?? profile?.ossEndpoint
                ?? "127.0.0.1:8200",
            region: regionOption ?? environment["ALIBABA_CLOUD_REGION_ID"] ?? profile?.regionId ?? "cn-hangzhou",
            credentials: credentials)
    }
}

extension CLICredentials {
    init(_ profile: Profile, source: String) {
        self.init(
            accessKeyId: profile.accessKeyId, accessKeySecret: profile.accessKeySecret,
            securityToken: profile.stsToken, source: source)
    }
}

/// The root AccessKey file that `lanyard up` writes on first start.
public struct RootCredentials: Codable, Sendable {
    public var AccountId: String
    public var AccessKeyId: String
    public var AccessKeySecret: String

    /// Loads `<dataDirectory>/root-credentials.json` as CLI credentials.
    public static func load(dataDirectory: String) throws(CLIError) -> CLICredentials {
        let path = URL(fileURLWithPath: dataDirectory).appendingPathComponent("root-credentials.json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration(
                "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, run `lanyard configure`, or start `lanyard up` here (no \(path))"
            )
        }
        guard let root = try? JSONDecoder().decode(RootCredentials.self, from: data) else {
            throw .configuration("\(path) is not a root credentials file")
        }
        return CLICredentials(
            accessKeyId: root.AccessKeyId, accessKeySecret: root.AccessKeySecret, securityToken: nil,
            source: "local root key (\(path))")
    }
}

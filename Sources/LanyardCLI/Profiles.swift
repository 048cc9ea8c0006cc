import Foundation

/// One named set of credentials and endpoints in the CLI's configuration file.
///
/// The file uses the aliyun CLI's `config.json` layout (`current` plus a `profiles` array with `mode`,
/// `access_key_id`, `access_key_secret`, `sts_token`, `region_id`), with two extra fields, `endpoint` and
/// `oss_endpoint`, for where Lanyard listens. It lives at `~/.lanyard/config.json` (or `$LANYARD_CONFIG_FILE`)
/// so that configuring Lanyard never rewrites the real aliyun CLI's profiles.
public struct Profile: Codable, Sendable, Equatable {
    public var name: String
    /// `AK` or `StsToken`.
    public var mode: String
    public var accessKeyId: String
    public var accessKeySecret: String
    public var stsToken: String?
    public var regionId: String?
    public var endpoint: String?
    public var ossEndpoint: String?

    enum CodingKeys: String, CodingKey {
        case name, mode
        case accessKeyId = "access_key_id"
        case accessKeySecret = "access_key_secret"
        case stsToken = "sts_token"
        case regionId = "region_id"
        case endpoint
        case ossEndpoint = "oss_endpoint"
    }

    public init(
        name: String, accessKeyId: String, accessKeySecret: String, stsToken: String? = nil, regionId: String? = nil,
        endpoint: String? = nil, ossEndpoint: String? = nil
    ) {
        self.name = name
        self.mode = stsToken == nil ? "AK" : "StsToken"
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.stsToken = stsToken
        self.regionId = regionId
        self.endpoint = endpoint
        self.ossEndpoint = ossEndpoint
    }
}

/// The CLI's configuration file: profiles and which one is current.
public struct ProfileFile: Codable, Sendable, Equatable {
    /// The current profile's name; empty when none is (commands then use the environment or the local root key).
    public var current: String
    public var profiles: [Profile]

    public init(current: String = "default", profiles: [Profile] = []) {
        self.current = current
        self.profiles = profiles
    }

    /// Where the file lives for this environment.
    public static func location(environment: [String: String]) -> URL {
        if let path = environment["LANYARD_CONFIG_FILE"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".lanyard/config.json")
    }

    /// Reads the file; a missing file is an empty configuration.
    public static func load(from url: URL) throws(CLIError) -> ProfileFile {
        guard let data = FileManager.default.contents(atPath: url.path) else { return ProfileFile() }
        do {
            return try JSONDecoder().decode(ProfileFile.self, from: data)
        } catch {
            throw .configuration("cannot read \(url.path): not a valid profile file (\(Self.explain(error)))")
        }
    }

    /// What is wrong with the file, in a line: the JSON path and the problem, without the decoder's debug text.
    static func explain(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty: return "not JSON"
        case .dataCorrupted(let context): return "invalid value\(at(context.codingPath))"
        case .keyNotFound(let key, let context): return "\"\(key.stringValue)\" is missing\(at(context.codingPath))"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "expected \(type)\(at(context.codingPath))"
        @unknown default: return "\(error)"
        }
    }

    /// Writes the file atomically with mode 0600, since it holds secrets.
    public func save(to url: URL) throws(CLIError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try encoder.encode(self).write(to: url, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        } catch {
            throw .configuration("cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    /// The profile called `name`.
    public func profile(named name: String) -> Profile? { profiles.first { $0.name == name } }

    /// Adds `profile`, or replaces the one with the same name, and makes it current.
    public mutating func upsert(_ profile: Profile) {
        profiles.removeAll { $0.name == profile.name }
        profiles.append(profile)
        current = profile.name
    }

    /// Removes the profile called `name`; when it was current, none is current any more. Returns whether it existed.
    public mutating func remove(named name: String) -> Bool {
        guard profile(named: name) != nil else { return false }
        profiles.removeAll { $0.name == name }
        if current == name { current = "" }
        return true
    }

    /// The current profile, if `current` names one.
    public var currentProfile: Profile? { profile(named: current) }
}

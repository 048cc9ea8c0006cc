import Foundation

/// STS credentials of the RAM role attached to this ECS instance or ECI pod, read from the metadata service
/// (`http://100.100.100.200` by default) and cached through ``RefreshingCredentialsProvider``.
///
/// Every fetch first asks for a hardened-mode token (`PUT /latest/api/token`, TTL 21600 s) and sends it as
/// `X-aliyun-ecs-metadata-token`. If the token request, or a request made with the token, fails, the fetch
/// falls back to normal mode, unless normal mode is disabled (`ALIBABA_CLOUD_IMDSV1_DISABLED=true` or
/// `disableIMDSv1`), in which case it fails. Without a role name (argument or `ALIBABA_CLOUD_ECS_METADATA`)
/// the role is discovered from `/latest/meta-data/ram/security-credentials/` and remembered until the
/// metadata service stops knowing it.
public final class ECSRAMRoleCredentialsProvider: CredentialsProvider {
    /// The metadata service address used when none is given.
    public static let defaultMetadataURL = URL(string: "http://100.100.100.200")!

    private let cache: RefreshingCredentialsProvider
    private let fetcher: ECSMetadataFetcher

    /// Creates the provider.
    /// - Parameters:
    ///   - roleName: the instance role; nil reads `ALIBABA_CLOUD_ECS_METADATA`, then discovers it.
    ///   - disableIMDSv1: refuse normal (token-less) mode; nil reads `ALIBABA_CLOUD_IMDSV1_DISABLED`.
    ///   - metadataURL: the metadata service base URL (point tests at a loopback server).
    ///   - timeout: per metadata request.
    ///   - environment: the variables to read (defaults to the process environment).
    /// - Throws: ``CredentialsError/metadataDisabled`` when `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`.
    public init(
        roleName: String? = nil, disableIMDSv1: Bool? = nil, metadataURL: URL = defaultMetadataURL,
        timeout: TimeInterval = 2, refreshPolicy: RefreshPolicy = .default, clock: CredentialsClock = .system,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(CredentialsError) {
        if EnvironmentVariable.isTrue(environment[EnvironmentVariable.ecsMetadataDisabled]) {
            throw CredentialsError(
                code: CredentialsError.metadataDisabled,
                message: "IMDS credentials are disabled by \(EnvironmentVariable.ecsMetadataDisabled)")
        }
        let role = roleName ?? environment[EnvironmentVariable.ecsMetadata].flatMap { $0.isEmpty ? nil : $0 }
        fetcher = ECSMetadataFetcher(
            roleName: role,
            disableIMDSv1: disableIMDSv1 ?? EnvironmentVariable.isTrue(environment[EnvironmentVariable.imdsV1Disabled]),
            baseURL: metadataURL, http: HTTPFetch(timeout: timeout))
        cache = RefreshingCredentialsProvider(wrapping: fetcher, policy: refreshPolicy, clock: clock)
    }

    /// Returns cached credentials, refreshing them per the refresh policy.
    public func credentials() async throws -> Credentials { try await cache.credentials() }

    /// Fetches from the metadata service now, bypassing the cache.
    public func fetchCredentials() async throws -> Credentials { try await fetcher.credentials() }
}

/// One uncached metadata fetch: token, role discovery, credentials document.
struct ECSMetadataFetcher: CredentialsProvider {
    static let tokenTTLSeconds = 21600
    static let credentialsPath = "/latest/meta-data/ram/security-credentials/"

    let roleName: String?
    let disableIMDSv1: Bool
    let baseURL: URL
    let http: HTTPFetch
    private let discoveredRole = Locked<String?>(nil)

    init(roleName: String?, disableIMDSv1: Bool, baseURL: URL, http: HTTPFetch) {
        self.roleName = roleName
        self.disableIMDSv1 = disableIMDSv1
        self.baseURL = baseURL
        self.http = http
    }

    func credentials() async throws -> Credentials {
        let token = try await hardenedModeToken()
        let role: String
        let discovered: Bool
        if let roleName {
            role = roleName
            discovered = false
        } else if let known = discoveredRole.withLock({ $0 }) {
            role = known
            discovered = true
        } else {
            let listing = String(decoding: try await get(Self.credentialsPath, token: token), as: UTF8.self)
            guard let first = listing.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }),
                !first.isEmpty
            else {
                throw CredentialsError(
                    code: CredentialsError.roleNotFound, message: "no RAM role is attached to this instance")
            }
            role = first
            discovered = true
            discoveredRole.withLock { $0 = first }
        }
        let body: Data
        do {
            body = try await get(Self.credentialsPath + Self.pathSegment(role), token: token)
        } catch {
            // The role was detached or replaced: discover it again next time.
            if discovered, error.code == CredentialsError.roleNotFound { discoveredRole.withLock { $0 = nil } }
            throw error
        }
        return try CredentialsDocument.parse(body, providerName: "ecs_ram_role", source: "metadata role \(role)")
    }

    /// The hardened-mode token, or nil when normal mode is allowed and the token request failed.
    private func hardenedModeToken() async throws(CredentialsError) -> String? {
        let failure: CredentialsError
        do {
            let response = try await http.send(
                "PUT", url("/latest/api/token"),
                headers: [("X-aliyun-ecs-metadata-token-ttl-seconds", String(Self.tokenTTLSeconds))])
            if response.status == 200, !response.body.isEmpty {
                return String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            failure = CredentialsError(
                code: CredentialsError.requestFailed, message: "metadata token request answered \(response.status)",
                status: response.status)
        } catch {
            failure = error
        }
        if disableIMDSv1 {
            throw CredentialsError(
                code: failure.code,
                message: "hardened-mode token unavailable and normal mode is disabled: \(failure.message)",
                status: failure.status)
        }
        return nil
    }

    /// GET a metadata path, with the token if there is one; a failure with a token retries in normal mode
    /// when that is allowed.
    private func get(_ path: String, token: String?) async throws(CredentialsError) -> Data {
        do {
            return try await getOnce(path, token: token)
        } catch {
            guard token != nil, !disableIMDSv1, error.code != CredentialsError.roleNotFound else { throw error }
            return try await getOnce(path, token: nil)
        }
    }

    private func getOnce(_ path: String, token: String?) async throws(CredentialsError) -> Data {
        let headers = token.map { [("X-aliyun-ecs-metadata-token", $0)] } ?? []
        let response = try await http.send("GET", url(path), headers: headers)
        switch response.status {
        case 200: return response.body
        case 404:
            throw CredentialsError(
                code: CredentialsError.roleNotFound, message: "the metadata service has no \(path)", status: 404)
        default:
            throw CredentialsError(
                code: CredentialsError.requestFailed, message: "metadata GET \(path) answered \(response.status)",
                status: response.status)
        }
    }

    private func url(_ path: String) -> URL {
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + path)!
    }

    static func pathSegment(_ role: String) -> String {
        role.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? role
    }
}

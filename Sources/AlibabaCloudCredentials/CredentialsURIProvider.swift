import Foundation

/// STS credentials from a URL (`ALIBABA_CLOUD_CREDENTIALS_URI`) that answers a GET with the metadata
/// service's JSON shape (`Code`, `AccessKeyId`, `AccessKeySecret`, `SecurityToken`, `Expiration`);
/// cached through ``RefreshingCredentialsProvider``.
public final class CredentialsURIProvider: CredentialsProvider {
    private let cache: RefreshingCredentialsProvider
    private let fetcher: URIFetcher

    /// Creates the provider.
    /// - Parameters:
    ///   - uri: the credentials URL; nil reads `ALIBABA_CLOUD_CREDENTIALS_URI`.
    ///   - environment: the variables to read (defaults to the process environment).
    /// - Throws: ``CredentialsError/notConfigured`` when no URI is given or set, or it is not a URL.
    public init(
        uri: URL? = nil, timeout: TimeInterval = 5, refreshPolicy: RefreshPolicy = .default,
        clock: CredentialsClock = .system, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(CredentialsError) {
        guard let url = uri ?? environment[EnvironmentVariable.credentialsURI].flatMap(URL.init(string:)),
            url.scheme != nil
        else {
            throw CredentialsError(
                code: CredentialsError.notConfigured, message: "\(EnvironmentVariable.credentialsURI) is not set")
        }
        fetcher = URIFetcher(url: url, http: HTTPFetch(timeout: timeout))
        cache = RefreshingCredentialsProvider(wrapping: fetcher, policy: refreshPolicy, clock: clock)
    }

    /// Returns cached credentials, refreshing them per the refresh policy.
    public func credentials() async throws -> Credentials { try await cache.credentials() }

    /// Fetches from the URI now, bypassing the cache.
    public func fetchCredentials() async throws -> Credentials { try await fetcher.credentials() }
}

struct URIFetcher: CredentialsProvider {
    let url: URL
    let http: HTTPFetch

    func credentials() async throws -> Credentials {
        let response = try await http.send("GET", url)
        guard response.status == 200 else {
            throw CredentialsError(
                code: CredentialsError.requestFailed,
                message: "credentials URI \(url.absoluteString) answered \(response.status)", status: response.status)
        }
        return try CredentialsDocument.parse(response.body, providerName: "credentials_uri", source: url.absoluteString)
    }
}

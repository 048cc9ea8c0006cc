import AlibabaCloudSigning
import Foundation

/// STS credentials of a RAM role, obtained with `AssumeRole` (RPC signature V1) using the credentials of
/// another provider, and cached through ``RefreshingCredentialsProvider``.
public final class RAMRoleARNCredentialsProvider: CredentialsProvider {
    private let cache: RefreshingCredentialsProvider
    private let fetcher: AssumeRoleFetcher

    /// Creates the provider.
    /// - Parameters:
    ///   - source: whose credentials sign the AssumeRole call.
    ///   - roleArn: `acs:ram::<account>:role/<name>`.
    ///   - roleSessionName: defaults to `credentials-swift-<unix time>`.
    ///   - durationSeconds: session lifetime (900 to the role's maximum).
    ///   - policy: an optional session policy (JSON) that narrows the role's permissions.
    ///   - externalId: the trust policy's `sts:ExternalId`, if it asks for one.
    ///   - stsEndpoint: the STS endpoint (`http` is fine for a local server); nil derives
    ///     `https://sts[-vpc].<region>.aliyuncs.com` from `stsRegion` or `ALIBABA_CLOUD_STS_REGION`
    ///     (and `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`), else `https://sts.aliyuncs.com`.
    public init(
        source: any CredentialsProvider, roleArn: String, roleSessionName: String? = nil, durationSeconds: Int = 3600,
        policy: String? = nil, externalId: String? = nil, stsEndpoint: URL? = nil, stsRegion: String? = nil,
        timeout: TimeInterval = 10, refreshPolicy: RefreshPolicy = .default, clock: CredentialsClock = .system,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        let endpoint =
            stsEndpoint
            ?? Self.endpoint(
                region: stsRegion ?? environment[EnvironmentVariable.stsRegion],
                vpc: EnvironmentVariable.isTrue(environment[EnvironmentVariable.vpcEndpointEnabled]))
        fetcher = AssumeRoleFetcher(
            source: source, roleArn: roleArn,
            sessionName: roleSessionName ?? "credentials-swift-\(Int(clock.now().timeIntervalSince1970))",
            durationSeconds: durationSeconds, policy: policy, externalId: externalId, endpoint: endpoint,
            clock: clock, http: HTTPFetch(timeout: timeout))
        cache = RefreshingCredentialsProvider(wrapping: fetcher, policy: refreshPolicy, clock: clock)
    }

    /// Returns cached credentials, refreshing them per the refresh policy.
    public func credentials() async throws -> Credentials { try await cache.credentials() }

    /// Calls AssumeRole now, bypassing the cache.
    public func fetchCredentials() async throws -> Credentials { try await fetcher.credentials() }

    /// The public STS endpoint for a region (`sts.aliyuncs.com` without one).
    static func endpoint(region: String?, vpc: Bool) -> URL {
        guard let region, !region.isEmpty else { return URL(string: "https://sts.aliyuncs.com")! }
        return URL(string: "https://sts\(vpc ? "-vpc" : "").\(region).aliyuncs.com")!
    }
}

/// One AssumeRole call.
struct AssumeRoleFetcher: CredentialsProvider {
    let source: any CredentialsProvider
    let roleArn: String
    let sessionName: String
    let durationSeconds: Int
    let policy: String?
    let externalId: String?
    let endpoint: URL
    let clock: CredentialsClock
    let http: HTTPFetch

    /// The unsigned AssumeRole parameters.
    var parameters: [(name: String, value: String)] {
        var list: [(name: String, value: String)] = [
            ("Action", "AssumeRole"), ("Format", "JSON"), ("Version", "2015-04-01"), ("RoleArn", roleArn),
            ("RoleSessionName", sessionName), ("DurationSeconds", String(durationSeconds)),
        ]
        if let policy { list.append(("Policy", policy)) }
        if let externalId { list.append(("ExternalId", externalId)) }
        return list
    }

    /// The signed form body for `signer`'s credentials.
    func body(signedWith signer: Credentials, date: Date, nonce: String) -> String {
        RPCSignatureV1.sign(
            method: "POST", parameters: parameters, accessKeyId: signer.accessKeyId, secret: signer.accessKeySecret,
            securityToken: signer.securityToken, date: date, nonce: nonce
        )
        .map { PercentEncoding.rfc3986($0.name) + "=" + PercentEncoding.rfc3986($0.value) }
        .joined(separator: "&")
    }

    func credentials() async throws -> Credentials {
        let signer = try await source.credentials()
        let body = body(signedWith: signer, date: clock.now(), nonce: UUID().uuidString)
        let response = try await http.send(
            "POST", endpoint, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Data(body.utf8))
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        guard response.status == 200 else {
            let code = object?["Code"] as? String ?? CredentialsError.requestFailed
            let message = object?["Message"] as? String ?? "STS answered \(response.status)"
            let requestId = object?["RequestId"] as? String
            throw CredentialsError(
                code: code, message: message + (requestId.map { " (RequestId \($0))" } ?? ""), status: response.status)
        }
        guard let fields = object?["Credentials"] as? [String: Any], let id = fields["AccessKeyId"] as? String,
            let secret = fields["AccessKeySecret"] as? String, let token = fields["SecurityToken"] as? String,
            let expiration = (fields["Expiration"] as? String).flatMap(SigningTime.parseISO8601)
        else {
            throw CredentialsError(
                code: CredentialsError.invalidResponse, message: "AssumeRole response lacks Credentials")
        }
        return Credentials(
            accessKeyId: id, accessKeySecret: secret, securityToken: token, expiration: expiration,
            providerName: "ram_role_arn/\(signer.providerName)")
    }
}

import AlibabaCloudSigning
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A small HTTP response: status, headers (lower-cased names) and body.
struct FetchedResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data
}

/// One HTTP exchange over URLSession with a per-request timeout; for the credential endpoints only.
struct HTTPFetch: Sendable {
    let session: URLSession
    let timeout: TimeInterval

    init(timeout: TimeInterval) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 4
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        // Metadata and credential endpoints are link-local or explicit: never send them through a proxy.
        configuration.connectionProxyDictionary = [:]
        session = URLSession(configuration: configuration)
        self.timeout = timeout
    }

    func send(
        _ method: String, _ url: URL, headers: [(String, String)] = [], body: Data? = nil
    ) async throws(CredentialsError) -> FetchedResponse {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = body }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw CredentialsError(
                code: CredentialsError.requestFailed, message: "\(method) \(url.absoluteString) failed: \(error)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw CredentialsError(code: CredentialsError.requestFailed, message: "\(url.absoluteString): not HTTP")
        }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return FetchedResponse(status: http.statusCode, headers: fields, body: data)
    }
}

/// Parses the credentials document shared by the metadata service and credentials URIs:
/// `{"Code":"Success","AccessKeyId","AccessKeySecret","SecurityToken","Expiration"}`.
enum CredentialsDocument {
    static func parse(_ body: Data, providerName: String, source: String) throws(CredentialsError) -> Credentials {
        guard let object = try? JSONSerialization.jsonObject(with: body), let fields = object as? [String: Any] else {
            throw CredentialsError(code: CredentialsError.invalidResponse, message: "\(source): not a JSON object")
        }
        guard let code = fields["Code"] as? String, code == "Success" else {
            throw CredentialsError(
                code: CredentialsError.invalidResponse,
                message: "\(source): Code is \(fields["Code"].map { "\($0)" } ?? "missing"), not Success")
        }
        guard let id = fields["AccessKeyId"] as? String, let secret = fields["AccessKeySecret"] as? String,
            let token = fields["SecurityToken"] as? String
        else {
            throw CredentialsError(
                code: CredentialsError.invalidResponse,
                message: "\(source): AccessKeyId, AccessKeySecret and SecurityToken are required")
        }
        guard let text = fields["Expiration"] as? String, let expiration = SigningTime.parseISO8601(text) else {
            throw CredentialsError(
                code: CredentialsError.invalidResponse, message: "\(source): Expiration missing or malformed")
        }
        return Credentials(
            accessKeyId: id, accessKeySecret: secret, securityToken: token, expiration: expiration,
            providerName: providerName)
    }
}

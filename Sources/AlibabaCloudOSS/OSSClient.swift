import AlibabaCloudCredentials
import AlibabaCloudSigning
import Foundation
import LanyardCrypto

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A client for OSS (Alibaba Cloud Object Storage Service) or any OSS-compatible server such as Lanyard's.
///
/// The client asks its ``CredentialsProvider`` for credentials before every request, so rotated STS
/// credentials are picked up without rebuilding it. Requests are signed with OSS signature V4 by default
/// (V1 on request). Uploads from files and downloads to files stream through URLSession and never hold the
/// object in memory.
public final class OSSClient: Sendable {
    /// The OSS signature scheme.
    public enum SignatureVersion: Sendable, Hashable {
        /// `OSS ak:signature` (HMAC-SHA1).
        case v1
        /// `OSS4-HMAC-SHA256` (needs the region).
        case v4
    }

    /// Where the bucket goes in the URL.
    public enum AddressingStyle: Sendable, Hashable {
        /// `bucket.endpoint/key`.
        case virtualHosted
        /// `endpoint/bucket/key`.
        case path
        /// Path style for IP-address and `localhost` endpoints, virtual-hosted otherwise.
        case automatic
    }

    /// The region, e.g. `cn-hangzhou` (an `oss-` prefix is accepted and dropped).
    public let region: String
    /// The service endpoint, e.g. `https://oss-cn-hangzhou.aliyuncs.com`.
    public let endpoint: URL
    /// The signature scheme in use.
    public let signatureVersion: SignatureVersion
    /// Whether requests use path style (resolved from the configured addressing style).
    public let usesPathStyle: Bool

    let credentialsProvider: any CredentialsProvider
    let session: URLSession
    let now: @Sendable () -> Date

    /// Creates a client.
    /// - Parameters:
    ///   - region: the bucket region, e.g. `cn-hangzhou`.
    ///   - endpoint: the OSS endpoint; nil means `https://oss-<region>.aliyuncs.com`. An endpoint without a
    ///     scheme gets `https://`.
    ///   - credentialsProvider: asked before every request.
    ///   - signatureVersion: `.v4` (default) or `.v1`.
    ///   - addressingStyle: `.automatic` (default), `.path` or `.virtualHosted`.
    ///   - session: the URLSession to use; nil creates one with ``defaultRequestTimeout``.
    ///   - now: the clock used for signing (tests).
    public init(
        region: String, endpoint: String? = nil, credentialsProvider: any CredentialsProvider,
        signatureVersion: SignatureVersion = .v4, addressingStyle: AddressingStyle = .automatic,
        session: URLSession? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) throws(OSSError) {
        let regionId = region.hasPrefix("oss-") ? String(region.dropFirst(4)) : region
        var text = endpoint ?? "https://oss-\(regionId).aliyuncs.com"
        if !text.contains("://") { text = "https://" + text }
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let host = url.host, !host.isEmpty, url.path.isEmpty else {
            throw OSSError(code: OSSError.invalidArgument, message: "invalid endpoint \(text)", status: 0)
        }
        self.region = regionId
        self.endpoint = url
        self.signatureVersion = signatureVersion
        switch addressingStyle {
        case .path: usesPathStyle = true
        case .virtualHosted: usesPathStyle = false
        case .automatic: usesPathStyle = Self.isAddressOrLocalhost(host)
        }
        self.credentialsProvider = credentialsProvider
        self.session = session ?? URLSession(configuration: Self.defaultConfiguration())
        self.now = now
    }

    /// The `timeoutIntervalForRequest` of the session the client creates: how many seconds URLSession waits
    /// on a request before failing it.
    public static let defaultRequestTimeout: TimeInterval = 60

    static func defaultConfiguration() -> URLSessionConfiguration {
        let configuration = URLSessionConfiguration.default
        configuration.timeoutIntervalForRequest = defaultRequestTimeout
        return configuration
    }

    static func isAddressOrLocalhost(_ host: String) -> Bool {
        if host == "localhost" || host.hasPrefix("[") || host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    // MARK: - Request construction (pure)

    /// One OSS request before signing.
    struct Request: Sendable {
        var method: String
        var bucket: String?
        var key: String?
        var query: [(name: String, value: String?)] = []
        var headers: [(name: String, value: String)] = []
        /// The request's timeout in seconds (URLRequest.timeoutInterval); nil means the session's.
        var timeout: TimeInterval?
    }

    /// The URL of `request` (without signing parameters).
    func url(for request: Request, extraQuery: [(name: String, value: String?)] = []) -> URL {
        // "scheme://" and "host[:port]" as configured, so IPv6 literals keep their brackets.
        let scheme = (endpoint.scheme ?? "https") + "://"
        let authority = endpoint.absoluteString.dropFirst(scheme.count)
        var text = scheme
        var path = "/"
        if let bucket = request.bucket {
            if usesPathStyle {
                path += bucket + "/"
            } else {
                text += bucket + "."
            }
            if let key = request.key { path += Self.pathEncoded(key) }
        }
        text += authority + path
        let query = request.query + extraQuery
        if !query.isEmpty { text += "?" + PercentEncoding.formatQuery(query) }
        guard let url = URL(string: text) else { preconditionFailure("percent-encoded URL did not parse: \(text)") }
        return url
    }

    /// `key` percent-encoded for the URL path, with `.` and `..` segments as `%2E` and `%2E%2E`: URL loaders
    /// remove literal dot segments, which would send (and sign) another key than the one asked for.
    static func pathEncoded(_ key: String) -> String {
        PercentEncoding.rfc3986(key, keepingSlash: true)
            .split(separator: "/", omittingEmptySubsequences: false)
            .map { $0 == "." ? "%2E" : $0 == ".." ? "%2E%2E" : $0 }
            .joined(separator: "/")
    }

    func parts(_ request: Request) -> OSSRequestParts {
        OSSRequestParts(
            method: request.method, bucket: request.bucket, key: request.key, query: request.query,
            headers: request.headers)
    }

    /// The signed URLRequest for `request` with `credentials` at `date`.
    func signedURLRequest(_ request: Request, credentials: Credentials, date: Date) -> URLRequest {
        let added: [(name: String, value: String)] =
            switch signatureVersion {
            case .v1:
                OSSSignatureV1.sign(
                    parts(request), accessKeyId: credentials.accessKeyId, secret: credentials.accessKeySecret,
                    securityToken: credentials.securityToken, date: date)
            case .v4:
                OSSSignatureV4.sign(
                    parts(request), accessKeyId: credentials.accessKeyId, secret: credentials.accessKeySecret,
                    securityToken: credentials.securityToken, region: region, date: date)
            }
        var urlRequest = URLRequest(url: url(for: request))
        urlRequest.httpMethod = request.method
        if let timeout = request.timeout { urlRequest.timeoutInterval = timeout }
        for (name, value) in request.headers + added { urlRequest.setValue(value, forHTTPHeaderField: name) }
        return urlRequest
    }

    /// A presigned URL for `request`, valid for `expiresIn` seconds from `date`.
    func presignedURL(_ request: Request, credentials: Credentials, date: Date, expiresIn: Int) -> URL {
        let added: [(name: String, value: String)] =
            switch signatureVersion {
            case .v1:
                OSSSignatureV1.presign(
                    parts(request), accessKeyId: credentials.accessKeyId, secret: credentials.accessKeySecret,
                    securityToken: credentials.securityToken, expires: date.addingTimeInterval(TimeInterval(expiresIn)))
            case .v4:
                OSSSignatureV4.presign(
                    parts(request), accessKeyId: credentials.accessKeyId, secret: credentials.accessKeySecret,
                    securityToken: credentials.securityToken, region: region, date: date, expiresIn: expiresIn)
            }
        return url(for: request, extraQuery: added.map { ($0.name, $0.value) })
    }

    // MARK: - Sending

    /// The body of a request.
    enum Body {
        case none
        case data(Data)
        case file(URL)
    }

    /// A received response with lower-cased header names.
    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data
    }

    /// Whether `name` follows OSS's bucket-name rules: 3–63 characters of `a-z`, `0-9` and `-`, starting and
    /// ending with a letter or digit.
    public static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func isLetterOrDigit(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        guard isLetterOrDigit(bytes[0]), isLetterOrDigit(bytes[bytes.count - 1]) else { return false }
        return bytes.allSatisfy { isLetterOrDigit($0) || $0 == 0x2D }
    }

    /// Refuses, before anything is signed or sent, a request that would mean another one or could only fail as a
    /// signature mismatch: a bucket name OSS cannot have (it would become part of the path: `b/k` names an
    /// object), an empty key (which addresses the bucket: deleting it would delete the bucket), and header names
    /// or values HTTP cannot carry as given.
    static func check(_ request: Request) throws(OSSError) {
        func invalid(_ message: String) -> OSSError { OSSError(code: OSSError.invalidArgument, message: message, status: 0) }
        if let bucket = request.bucket, !isValidBucketName(bucket) {
            throw invalid(
                "invalid bucket name \"\(bucket.prefix(80))\": 3 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit")
        }
        if request.key?.isEmpty == true { throw invalid("an object key must not be empty") }
        for (name, value) in request.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                throw invalid("header or metadata name \"\(name.prefix(80))\" has characters HTTP does not allow in a name")
            }
            guard name.lowercased() != "x-oss-meta-" else { throw invalid("a metadata name must not be empty") }
            guard !value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else {
                throw invalid("the value of \(name) has control characters (line breaks are not allowed in a header)")
            }
        }
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Signs with fresh credentials, sends, and turns non-2xx answers into ``OSSError``. Transport failures are
    /// ``OSSError/requestFailed``; cancellation throws `CancellationError` at once (see ``OSSTransport``).
    func send(_ request: Request, body: Body = .none) async throws -> Response {
        try Self.check(request)
        if case .file(let file) = body {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isReadableFile(atPath: file.path)
            else {
                throw OSSError(
                    code: OSSError.invalidArgument, message: "cannot upload \(file.path): not a readable regular file", status: 0)
            }
        }
        let credentials = try await credentialsProvider.credentials()
        let urlRequest = signedURLRequest(request, credentials: credentials, date: now())
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await OSSTransport.send(session, urlRequest, body: body)
        } catch let error as CancellationError {
            throw error
        } catch {
            throw OSSError(
                code: OSSError.requestFailed, message: "\(request.method) \(urlRequest.url?.absoluteString ?? ""): \(error)",
                status: 0)
        }
        let result = Self.response(response, body: data)
        guard (200..<300).contains(result.status) else {
            throw OSSError.from(status: result.status, headers: result.headers, body: result.body)
        }
        return result
    }

    /// Sends a GET whose body goes to a temporary file (streamed), returning the file and the response.
    func download(_ request: Request) async throws -> (URL, Response) {
        try Self.check(request)
        let credentials = try await credentialsProvider.credentials()
        let urlRequest = signedURLRequest(request, credentials: credentials, date: now())
        let file: URL
        let response: URLResponse
        do {
            (file, response) = try await OSSTransport.download(session, urlRequest)
        } catch let error as CancellationError {
            throw error
        } catch {
            throw OSSError(
                code: OSSError.requestFailed, message: "GET \(urlRequest.url?.absoluteString ?? ""): \(error)",
                status: 0)
        }
        let result = Self.response(response, body: Data())
        guard (200..<300).contains(result.status) else {
            let errorBody = (try? Data(contentsOf: file)) ?? Data()
            try? FileManager.default.removeItem(at: file)
            throw OSSError.from(status: result.status, headers: result.headers, body: errorBody)
        }
        return (file, result)
    }

    static func response(_ response: URLResponse, body: Data) -> Response {
        guard let http = response as? HTTPURLResponse else { return Response(status: 0, headers: [:], body: body) }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return Response(status: http.statusCode, headers: headers, body: body)
    }

    static func base64MD5(_ data: Data) -> String { Digest.hash(.md5, data).base64String }
}

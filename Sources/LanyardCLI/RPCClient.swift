import AlibabaCloudSigning
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A POP RPC product the CLI can call: `lanyard ram|sts|eci <Action> --Param value ...`.
public struct RPCProduct: Sendable, Equatable {
    public let command: String
    public let version: String

    public static let ram = RPCProduct(command: "ram", version: "2015-05-01")
    public static let sts = RPCProduct(command: "sts", version: "2015-04-01")
    public static let eci = RPCProduct(command: "eci", version: "2018-08-08")
    public static let all = [ram, sts, eci]
}

/// Calls RPC actions on a Lanyard (or Alibaba Cloud) endpoint, signed with signature V1 like the aliyun CLI.
public struct RPCClient: Sendable {
    public var endpoint: String
    public var credentials: CLICredentials
    public var region: String

    public init(endpoint: String, credentials: CLICredentials, region: String) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.region = region
    }

    /// Calls `action` and returns the decoded JSON result; a server error becomes a ``CLIError`` with its code.
    /// With `inBody`, the signed parameters travel as an `application/x-www-form-urlencoded` body instead of the
    /// query (POP merges both), so that large values such as a command's stdin do not make an oversized URL.
    /// `timeout` is how long the answer may take (URLSession's 60 s when nil).
    public func call(
        _ product: RPCProduct, action: String, parameters: [(name: String, value: String)], inBody: Bool = false,
        timeout: TimeInterval? = nil
    ) async throws(CLIError) -> Any {
        var unsigned: [(name: String, value: String)] = [
            ("Action", action), ("Version", product.version), ("Format", "JSON"), ("RegionId", region),
        ]
        unsigned += parameters
        let signed = RPCSignatureV1.sign(
            method: "POST", parameters: unsigned, accessKeyId: credentials.accessKeyId,
            secret: credentials.accessKeySecret, securityToken: credentials.securityToken, date: Date(),
            nonce: UUID().uuidString)
        let query = PercentEncoding.formatQuery(signed.map { ($0.name, $0.value) })
        let base = endpoint.contains("://") ? endpoint : "http://\(endpoint)"
        guard let url = URL(string: inBody ? "\(base)/" : "\(base)/?\(query)") else {
            throw .configuration("invalid endpoint \"\(endpoint)\"")
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        if let timeout { request.timeoutInterval = timeout }
        if inBody {
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(query.utf8)
        }
        request.setValue("lanyard-cli", forHTTPHeaderField: "User-Agent")
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CLIError(
                code: "ConnectionFailed",
                message: "cannot reach \(base): \(error.localizedDescription) (is `lanyard up` running?)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let body = try? JSONSerialization.jsonObject(with: data)
        guard (200..<300).contains(status) else {
            let fields = body as? [String: Any]
            let code = fields?["Code"] as? String ?? "HTTP\(status)"
            let message = fields?["Message"] as? String ?? String(decoding: data.prefix(300), as: UTF8.self)
            throw CLIError(code: code, message: "\(code): \(message)")
        }
        guard let body else {
            throw CLIError(code: "InvalidResponse", message: "the server answered HTTP \(status) without JSON")
        }
        return body
    }
}

/// Pretty JSON text of a decoded JSON value, keys sorted, as the CLI prints results. DEL, the C1 controls,
/// U+2028/U+2029 and U+FEFF are written as `\uXXXX` escapes: JSON allows them raw, but YAML readers (`apply`
/// reads JSON as YAML) take NEL for a line break and refuse the rest, so raw they would not read back.
public func prettyJSON(_ value: Any) -> String {
    guard JSONSerialization.isValidJSONObject(value),
        let data = try? JSONSerialization.data(
            withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    else { return String(describing: value) }
    let text = String(decoding: data, as: UTF8.self)
    func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029 || scalar.value == 0xFEFF
    }
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    // Outside strings JSON text is ASCII, so every such scalar is inside a string, where an escape means it.
    var escaped = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        if needsEscape(scalar) {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            escaped.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
        } else {
            escaped.append(scalar)
        }
    }
    return String(escaped)
}

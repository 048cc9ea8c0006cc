import AlibabaCloudSigning
import Foundation

/// An AccessKey read from a JSON file with `AccessKeyId` and `AccessKeySecret` (as `root-credentials.json`).
struct AccessKey: Sendable {
    var id: String
    var secret: String

    init(file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let id = object["AccessKeyId"] as? String, let secret = object["AccessKeySecret"] as? String
        else { throw UsageError("\(file): expected AccessKeyId and AccessKeySecret") }
        self.id = id
        self.secret = secret
    }
}

/// Which server family a request is shaped for.
enum Flavor: String, Sendable {
    /// Lanyard: Alibaba Cloud wire protocols, signed.
    case lanyard
    /// moto: AWS wire protocols; moto does not verify signatures, so requests go unsigned.
    case moto
}

/// Builders for the requests the benchmarks send.
enum Workloads {
    /// A signed POP RPC V1 GET (parameters in the query), as the credentials libraries send AssumeRole.
    static func rpc(
        endpoint: Endpoint, key: AccessKey, parameters: [(name: String, value: String)], nonce: String, date: Date
    ) -> PreparedRequest {
        let signed = RPCSignatureV1.sign(
            method: "GET", parameters: parameters, accessKeyId: key.id, secret: key.secret, securityToken: nil,
            date: date, nonce: nonce)
        let query = PercentEncoding.formatQuery(signed.map { (name: $0.name, value: Optional($0.value)) })
        return PreparedRequest(method: "GET", target: "/?\(query)", host: endpoint.hostHeader)
    }

    /// STS AssumeRole for Lanyard (V1-signed with a RAM user's key) or moto (AWS query API, unsigned).
    static func assumeRole(flavor: Flavor, endpoint: Endpoint, key: AccessKey?, roleArn: String, index: Int, date: Date)
        -> PreparedRequest
    {
        switch flavor {
        case .lanyard:
            return rpc(
                endpoint: endpoint, key: key!,
                parameters: [
                    ("Action", "AssumeRole"), ("Version", "2015-04-01"), ("Format", "JSON"), ("RegionId", "cn-hangzhou"),
                    ("RoleArn", roleArn), ("RoleSessionName", "bench-\(index)"), ("DurationSeconds", "3600"),
                ],
                nonce: "bench-\(ProcessInfo.processInfo.processIdentifier)-\(index)-\(UUID().uuidString)", date: date)
        case .moto:
            let body = "Action=AssumeRole&Version=2011-06-15&RoleArn=\(PercentEncoding.rfc3986(roleArn))"
                + "&RoleSessionName=bench-\(index)&DurationSeconds=3600"
            return PreparedRequest(
                method: "POST", target: "/", host: endpoint.hostHeader,
                headers: [("Content-Type", "application/x-www-form-urlencoded"), motoAuthorization(service: "sts")],
                body: Array(body.utf8))
        }
    }

    /// An object request: OSS signed with V1 headers for Lanyard, unsigned S3 for moto.
    static func object(
        flavor: Flavor, endpoint: Endpoint, key: AccessKey?, method: String, bucket: String, objectKey: String?,
        query: [(name: String, value: String?)] = [], body: [UInt8] = [], date: Date
    ) -> PreparedRequest {
        var path = "/\(bucket)"
        if let objectKey { path += "/" + PercentEncoding.rfc3986(objectKey, keepingSlash: true) }
        if !query.isEmpty { path += "?" + PercentEncoding.formatQuery(query) }
        var headers: [(String, String)] = []
        if method == "PUT" || method == "POST" { headers.append(("Content-Type", "application/octet-stream")) }
        if flavor == .moto { headers.append(motoAuthorization(service: "s3")) }
        if flavor == .lanyard, let key {
            let parts = OSSRequestParts(
                method: method, bucket: bucket, key: objectKey, query: query,
                headers: headers.map { (name: $0.0, value: $0.1) })
            headers += OSSSignatureV1.sign(parts, accessKeyId: key.id, secret: key.secret, securityToken: nil, date: date)
                .map { ($0.name, $0.value) }
        }
        return PreparedRequest(method: method, target: path, host: endpoint.hostHeader, headers: headers, body: body)
    }

    /// An AWS SigV4-shaped Authorization header: moto routes by its credential scope and treats the request as
    /// authenticated, but verifies no signature, so none is computed.
    static func motoAuthorization(service: String) -> (String, String) {
        let scope = "AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/\(service)/aws4_request"
        return ("Authorization", "AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=host, Signature=0")
    }

    /// A presigned (V1, query-string) OSS GET target, valid for an hour.
    static func presignedTarget(key: AccessKey, bucket: String, objectKey: String, date: Date) -> String {
        let parts = OSSRequestParts(method: "GET", bucket: bucket, key: objectKey)
        let query = OSSSignatureV1.presign(
            parts, accessKeyId: key.id, secret: key.secret, securityToken: nil, expires: date.addingTimeInterval(3600))
        return "/\(bucket)/" + PercentEncoding.rfc3986(objectKey, keepingSlash: true) + "?"
            + PercentEncoding.formatQuery(query.map { (name: $0.name, value: Optional($0.value)) })
    }

    /// The name of object number `index` in a benchmark bucket: fixed width, so names sort like numbers.
    static func objectKey(prefix: String, index: Int) -> String {
        let digits = String(index)
        return prefix + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

/// A `HOST:PORT` endpoint with a numeric IPv4 host.
struct Endpoint: Sendable {
    var host: String
    var port: Int
    var hostHeader: String { "\(host):\(port)" }

    init(parsing text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw UsageError("\(text): expected HOST:PORT")
        }
        host = String(text[..<colon])
        self.port = port
    }
}

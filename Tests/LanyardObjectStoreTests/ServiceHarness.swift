import AlibabaCloudSigning
import Foundation
import LanyardHTTP
import LanyardControlPlane
import LanyardCrypto
import LanyardPolicy
import Synchronization
import Testing
@testable import LanyardObjectStore

/// A credential authority for tests: fixed keys, and a policy function that can change between requests.
final class FakeAuthority: ObjectServiceAuthority {
    let accountId = "1234567890123456"
    private let keys: [String: ResolvedCredentials]
    private let decide: Mutex<@Sendable (Caller, AuthorizationRequest) -> Decision>
    let seen = Mutex<[AuthorizationRequest]>([])
    let audited = Mutex<[AuditEvent]>([])

    init(keys: [String: ResolvedCredentials]) {
        self.keys = keys
        decide = Mutex({ _, _ in .allow })
    }

    func setPolicy(_ f: @escaping @Sendable (Caller, AuthorizationRequest) -> Decision) { decide.withLock { $0 = f } }

    func credentials(accessKeyId: String, securityToken: String?) throws(RPCError) -> ResolvedCredentials {
        if accessKeyId.hasPrefix("STS.") {
            guard let securityToken else { throw RPCError(status: 400, code: "MissingSecurityToken", message: "") }
            if securityToken == "expired" { throw RPCError(status: 403, code: "InvalidSecurityToken.Expired", message: "") }
            guard securityToken == "good-token" else { throw RPCError(status: 403, code: "InvalidSecurityToken.Malformed", message: "") }
        }
        guard let c = keys[accessKeyId] else { throw RPCError(status: 404, code: "InvalidAccessKeyId.NotFound", message: "") }
        return c
    }

    func authorize(_ caller: Caller, sessionPolicy: Policy?, _ request: AuthorizationRequest) -> Decision {
        seen.withLock { $0.append(request) }
        return decide.withLock { $0 }(caller, request)
    }

    func audit(_ event: AuditEvent) { audited.withLock { $0.append(event) } }
}

/// Log lines written by the service under test.
final class CapturedLines: Sendable {
    let lines = Mutex<[String]>([])
    var sink: LogSink { LogSink { [self] line in lines.withLock { $0.append(line) } } }
    /// Every line, parsed as a JSON object.
    var objects: [[String: Any]] {
        lines.withLock { $0 }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

/// A received response with its body read (files included).
struct Received {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The error code of an XML error body or of a HEAD's `x-oss-err`.
    var code: String? {
        var xml = text
        if let err = headers["x-oss-err"], let data = Data(base64Encoded: err) { xml = String(decoding: data, as: UTF8.self) }
        guard let start = xml.range(of: "<Code>"), let end = xml.range(of: "</Code>") else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
    }
    func element(_ name: String) -> [String] {
        var out: [String] = []
        var rest = text[...]
        while let s = rest.range(of: "<\(name)>"), let e = rest.range(of: "</\(name)>", range: s.upperBound..<rest.endIndex) {
            out.append(String(rest[s.upperBound..<e.lowerBound]))
            rest = rest[e.upperBound...]
        }
        return out
    }
}

/// Drives an `ObjectService` the way the HTTP server does, without sockets, signing with V1 when given a key.
struct TestClient {
    let service: ObjectService
    var accessKeyId: String?
    var secret: String?
    var token: String?
    var clockOffset: Int64 = 0

    func send(_ method: String, _ path: String, query: String? = nil, headers: [(String, String)] = [],
              body: [UInt8] = [], abortAfter: Int? = nil, chunk: Int = 65536) -> Received? {
        var list = headers
        list.append(("Host", "127.0.0.1:8200"))
        if !body.isEmpty || method == "PUT" || method == "POST" { list.append(("Content-Length", String(body.count))) }
        if let accessKeyId, let secret {
            let target = try! OSSRequestTarget.parse(host: nil, rawPath: path, rawQuery: query, endpointHosts: [])
            let parts = OSSRequestParts(method: method, bucket: target.bucket, key: target.key,
                                        query: target.query.map { ($0.name, $0.value) },
                                        headers: list.map { ($0.0, $0.1) })
            let date = Date(timeIntervalSince1970: TimeInterval(HTTPTime.now() + clockOffset))
            for (name, value) in OSSSignatureV1.sign(parts, accessKeyId: accessKeyId, secret: secret,
                                                     securityToken: token, date: date) {
                list.append((name, value))
            }
        }
        let head = HTTPRequestHead(method: method, rawPath: path, rawQuery: query, headers: HTTPHeaders(list),
                                   remoteAddress: "127.0.0.1", connectionTag: nil)
        let response: HTTPResponse
        switch service.begin(head) {
        case .respond(let r): response = r
        case .collect(let limit, let then):
            if body.count > limit { return Received(status: 413, headers: .init(), body: []) }
            response = then(HTTPRequest(head: head, body: body))
        case .collectThenReply:
            Issue.record("the object service answers without blocking work")
            return nil
        case .stream(let sink):
            var offset = 0
            var early: HTTPResponse?
            while offset < body.count {
                if let abortAfter, offset >= abortAfter {
                    sink.abort()
                    return nil
                }
                let end = min(body.count, offset + chunk)
                early = body[offset..<end].withUnsafeBytes { sink.write($0) }
                if early != nil { break }
                offset = end
            }
            if abortAfter != nil {
                sink.abort()
                return nil
            }
            response = early ?? sink.finish()
        }
        return Received(status: response.status, headers: response.headers, body: Self.read(response.body))
    }

    static func read(_ body: HTTPResponseBody) -> [UInt8] {
        switch body {
        case .empty: return []
        case .bytes(let b): return b
        case .file(let path, let offset, let length):
            let handle = FileHandle(forReadingAtPath: path)!
            defer { try? handle.close() }
            try! handle.seek(toOffset: UInt64(offset))
            return Array(try! handle.read(upToCount: Int(length)) ?? Data())
        case .stream(_, let next):
            var out: [UInt8] = []
            while let chunk = try! next() { out += chunk }
            return out
        }
    }
}

/// A service over a fresh directory with a root key, a RAM user key and an STS key.
struct Fixture {
    let dir: String
    let authority: FakeAuthority
    let service: ObjectService
    let log = CapturedLines()
    var root: TestClient { TestClient(service: service, accessKeyId: "root-ak", secret: "root-secret") }
    var user: TestClient { TestClient(service: service, accessKeyId: "user-ak", secret: "user-secret") }
    var sts: TestClient { TestClient(service: service, accessKeyId: "STS.ak", secret: "sts-secret", token: "good-token") }
    var anonymous: TestClient { TestClient(service: service) }

    init(dir: String = temporaryDirectory()) throws {
        self.dir = dir
        let expiry = Date().addingTimeInterval(3600)
        authority = FakeAuthority(keys: [
            "root-ak": ResolvedCredentials(caller: .root(accountId: "1234567890123456"), secret: "root-secret"),
            "user-ak": ResolvedCredentials(caller: .user(accountId: "1234567890123456", userName: "alice", userId: "1"),
                                           secret: "user-secret"),
            "STS.ak": ResolvedCredentials(caller: .roleSession(accountId: "1234567890123456", roleName: "r", roleId: "2",
                                                               sessionName: "s", expiration: expiry), secret: "sts-secret"),
        ])
        var configuration = ObjectServiceConfiguration(dataDirectory: dir, endpointHosts: ["oss.local"],
                                                       region: "cn-hangzhou")
        configuration.logSink = log.sink
        service = try ObjectService(configuration: configuration, authority: authority)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: dir) }
}

func md5Base64(_ bytes: [UInt8]) -> String { LanyardCrypto.Digest.hash(.md5, bytes).base64String }
func md5Hex(_ bytes: [UInt8]) -> String { LanyardCrypto.Digest.hash(.md5, bytes).hexString.uppercased() }
func crc(_ bytes: [UInt8]) -> String {
    var c = CRC64()
    bytes.withUnsafeBytes { c.update($0) }
    return String(c.value)
}

extension Authenticator {
    /// Authentication when the test does not look at the AccessKeyId the request names.
    func authenticate(method: String, target: OSSRequestTarget, headers: HTTPHeaders, now: Int64)
        throws(OSSError) -> OSSPrincipal
    {
        var accessKeyId: String?
        return try authenticate(method: method, target: target, headers: headers, now: now, accessKeyId: &accessKeyId)
    }
}

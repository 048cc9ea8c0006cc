import AlibabaCloudSigning
import Foundation
import LanyardHTTP
import LanyardControlPlane
import Synchronization
import Testing

/// A clock tests can move.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_760_000_000)) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Collects log lines.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var sink: LogSink { LogSink { [self] line in lines.withLock { $0.append(line) } } }

    var all: [String] { lines.withLock { $0 } }
}

/// Signing material of a caller.
struct Credentials: Sendable {
    var accessKeyId: String
    var secret: String
    var token: String?
}

/// A decoded RPC response.
struct Reply: @unchecked Sendable {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: String
    let json: [String: Any]

    var code: String? { json["Code"] as? String }
    var message: String? { json["Message"] as? String }

    subscript(path: String) -> Any? {
        var value: Any? = json
        for part in path.split(separator: ".") { value = (value as? [String: Any])?[String(part)] }
        return value
    }

    func string(_ path: String) -> String? { self[path] as? String }
}

enum SignatureStyle {
    case v1
    case acs3
}

/// A control plane in a temporary data directory, driven through its HTTP handler without sockets.
final class Harness {
    let directory: URL
    let clock: TestClock
    let logs = LogCapture()
    private(set) var plane: ControlPlane
    private var nonceCounter = 0

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cp-\(UUID().uuidString)")
        clock = TestClock()
        plane = try ControlPlane(configuration: Self.configuration(directory, clock, logs))
    }

    static func configuration(_ directory: URL, _ clock: TestClock, _ logs: LogCapture) -> ControlPlaneConfiguration {
        ControlPlaneConfiguration(
            dataDirectory: directory.path, logSink: logs.sink, logRequests: true, clock: { clock.now })
    }

    deinit {
        plane.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Closes the control plane and opens a new one on the same data directory (a restart).
    func restart() throws {
        plane.close()
        plane = try ControlPlane(configuration: Self.configuration(directory, clock, logs))
    }

    var root: Credentials { Credentials(accessKeyId: plane.account.accessKeyId, secret: plane.account.accessKeySecret) }
    var accountId: String { plane.account.accountId }

    func nextNonce() -> String {
        nonceCounter += 1
        return "nonce-\(nonceCounter)-\(UUID().uuidString)"
    }

    /// Sends an HTTP request to the handler.
    func send(_ request: HTTPRequest) -> HTTPResponse {
        switch plane.handler.begin(request.head) {
        case .respond(let response): return response
        case .collectThenReply(let limit, let then):
            #expect(limit == 10 * 1024 * 1024)
            switch then(request) {
            case .now(let response): return response
            case .blocking(let work): return work(HTTPClientPresence { false })
            }
        default:
            Issue.record("the RPC handler must collect bodies")
            return HTTPResponse(status: 599)
        }
    }

    static func decode(_ response: HTTPResponse) -> Reply {
        var bytes: [UInt8] = []
        if case .bytes(let body) = response.body { bytes = body }
        let text = String(decoding: bytes, as: UTF8.self)
        let json = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
        var headers: [(name: String, value: String)] = []
        for field in response.headers { headers.append((field.name, field.value)) }
        return Reply(status: response.status, headers: headers, body: text, json: json)
    }

    static func query(_ pairs: [(name: String, value: String)]) -> String {
        pairs.map { PercentEncoding.rfc3986($0.name) + "=" + PercentEncoding.rfc3986($0.value) }.joined(separator: "&")
    }

    /// Calls an API action signed with `credentials` (V1 parameters in the query by default).
    @discardableResult
    func call(
        _ action: String, _ parameters: [String: String] = [:], as credentials: Credentials? = nil,
        version: String? = nil, style: SignatureStyle = .v1, method: String = "POST", format: String? = nil,
        date: Date? = nil, nonce: String? = nil
    ) -> Reply {
        let credentials = credentials ?? root
        let apiVersion = version ?? (["AssumeRole", "GetCallerIdentity"].contains(action) ? "2015-04-01" : "2015-05-01")
        let date = date ?? clock.now
        let nonce = nonce ?? nextNonce()
        var api: [(name: String, value: String)] = parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        switch style {
        case .v1:
            api += [("Action", action), ("Version", apiVersion), ("Format", format ?? "JSON"), ("RegionId", "cn-hangzhou")]
            api.append(("SignatureType", ""))
            let signed = RPCSignatureV1.sign(
                method: method, parameters: api, accessKeyId: credentials.accessKeyId, secret: credentials.secret,
                securityToken: credentials.token, date: date, nonce: nonce)
            let head = HTTPRequestHead(
                method: method, rawPath: "/", rawQuery: Self.query(signed),
                headers: HTTPHeaders([("Host", "127.0.0.1:8100"), ("User-Agent", "tests")]), remoteAddress: "127.0.0.1")
            return Self.decode(send(HTTPRequest(head: head, body: [])))
        case .acs3:
            if let format { api.append(("Format", format)) }
            let headers = ACS3Signature.sign(
                method: method, path: "/", query: api, host: "127.0.0.1:8100", action: action, version: apiVersion,
                extraHeaders: [("accept", "application/json")], body: [], accessKeyId: credentials.accessKeyId,
                secret: credentials.secret, securityToken: credentials.token, date: date, nonce: nonce)
            let head = HTTPRequestHead(
                method: method, rawPath: "/", rawQuery: Self.query(api),
                headers: HTTPHeaders(headers.map { ($0.name, $0.value) }), remoteAddress: "127.0.0.1")
            return Self.decode(send(HTTPRequest(head: head, body: [])))
        }
    }

    /// Calls and expects HTTP 200.
    @discardableResult
    func ok(
        _ action: String, _ parameters: [String: String] = [:], as credentials: Credentials? = nil,
        style: SignatureStyle = .v1, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Reply {
        let reply = call(action, parameters, as: credentials, style: style)
        #expect(reply.status == 200, "\(action): \(reply.body)", sourceLocation: sourceLocation)
        #expect(reply.string("RequestId")?.isEmpty == false, sourceLocation: sourceLocation)
        return reply
    }

    /// Calls and expects an error with `status` and `code`.
    @discardableResult
    func fails(
        _ action: String, _ parameters: [String: String] = [:], as credentials: Credentials? = nil,
        status: Int, code: String, style: SignatureStyle = .v1, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Reply {
        let reply = call(action, parameters, as: credentials, style: style)
        #expect(reply.status == status, "\(action): \(reply.body)", sourceLocation: sourceLocation)
        #expect(reply.code == code, "\(action): \(reply.body)", sourceLocation: sourceLocation)
        return reply
    }

    // MARK: Fixtures

    /// A user with an AccessKey and the given System/Custom policies attached.
    func user(_ name: String, system: [String] = [], custom: [String] = []) -> Credentials {
        ok("CreateUser", ["UserName": name])
        for policy in system { ok("AttachPolicyToUser", ["UserName": name, "PolicyType": "System", "PolicyName": policy]) }
        for policy in custom { ok("AttachPolicyToUser", ["UserName": name, "PolicyType": "Custom", "PolicyName": policy]) }
        let key = ok("CreateAccessKey", ["UserName": name])
        return Credentials(
            accessKeyId: key.string("AccessKey.AccessKeyId") ?? "", secret: key.string("AccessKey.AccessKeySecret") ?? "")
    }

    /// A trust policy letting the RAM principals `principals` assume the role.
    func trust(_ principals: [String], condition: String? = nil) -> String {
        let list = principals.map { "\"\($0)\"" }.joined(separator: ",")
        let conditionPart = condition.map { ",\"Condition\":\($0)" } ?? ""
        return #"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":[\#(list)]}\#(conditionPart)}]}"#
    }

    /// A role trusting the whole account (`:root`) with the given System policies attached.
    func role(_ name: String, system: [String] = [], maxSessionDuration: Int = 3600, trust: String? = nil) {
        ok("CreateRole", [
            "RoleName": name, "AssumeRolePolicyDocument": trust ?? self.trust(["acs:ram::\(accountId):root"]),
            "MaxSessionDuration": String(maxSessionDuration),
        ])
        for policy in system { ok("AttachPolicyToRole", ["RoleName": name, "PolicyType": "System", "PolicyName": policy]) }
    }

    /// Assumes `role` as `caller` and returns the session's credentials.
    func assume(
        _ role: String, as caller: Credentials, session: String = "session-1", extra: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Credentials {
        var parameters = ["RoleArn": "acs:ram::\(accountId):role/\(role)", "RoleSessionName": session]
        parameters.merge(extra) { $1 }
        let reply = ok("AssumeRole", parameters, as: caller, sourceLocation: sourceLocation)
        return Credentials(
            accessKeyId: reply.string("Credentials.AccessKeyId") ?? "",
            secret: reply.string("Credentials.AccessKeySecret") ?? "", token: reply.string("Credentials.SecurityToken"))
    }
}

/// A policy document allowing `actions` on `resource`.
func allowPolicy(_ actions: [String], resource: String = "*") -> String {
    let list = actions.map { "\"\($0)\"" }.joined(separator: ",")
    return #"{"Version":"1","Statement":[{"Effect":"Allow","Action":[\#(list)],"Resource":"\#(resource)"}]}"#
}

import AlibabaCloudSigning
import Foundation
import LanyardHTTP
import LanyardCrypto
import Synchronization

/// The services reachable through the pipeline, by API `Version`.
final class ServiceRegistry: Sendable {
    struct Registration: Sendable {
        let product: String
        let service: any RPCService
    }

    private let services = Mutex<[String: Registration]>([:])

    func register(version: String, product: String, service: any RPCService) {
        services.withLock { $0[version] = Registration(product: product, service: service) }
    }

    func lookup(_ version: String) -> Registration? { services.withLock { $0[version] } }
}

/// The POP RPC endpoint: collects the body (at most 10 MB), merges query and form parameters, verifies the
/// V1 or ACS3 signature, the timestamp, the nonce and any STS token, dispatches on `Version` to a registered
/// ``RPCService`` and renders the result or error as JSON or XML. Also serves `GET /metrics`.
struct RPCPipeline: HTTPHandler {
    /// Largest accepted body (POP's POST limit).
    static let bodyLimit = 10 * 1024 * 1024
    /// Largest GET request target, in bytes.
    static let getLimit = 4096
    /// Largest accepted distance between a request's timestamp and the server clock.
    static let timestampWindow: TimeInterval = 15 * 60

    let core: ControlPlaneCore
    let registry: ServiceRegistry
    let logRequests: Bool

    func begin(_ head: HTTPRequestHead) -> HTTPBodyDisposition {
        if head.rawPath == "/metrics" && (head.method == "GET" || head.method == "HEAD") {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            let body = head.method == "HEAD" ? [] : Array(core.metrics.render().utf8)
            return .respond(HTTPResponse(status: 200, headers: headers, body: .bytes(body)))
        }
        let pipeline = self
        return .collectThenReply(limit: Self.bodyLimit) { request in pipeline.reply(to: request) }
    }

    /// Answers at once, or, for an action its service says may block, hands the work to the server to run
    /// on a thread of its own.
    func reply(to request: HTTPRequest) -> HTTPReply {
        let call = ParsedCall(request)
        guard let action = call.action, let version = call.version,
            registry.lookup(version)?.service.mayBlock(action: action) == true
        else { return .now(respond(to: request, call: call)) }
        return .blocking { [self] presence in
            respond(to: request, call: call, clientHasLeft: { presence.hasLeft })
        }
    }

    /// A body over ``bodyLimit``: the POP JSON error, so SDKs read a code instead of failing to parse.
    func limitExceeded(_ limit: HTTPLimit, head: HTTPRequestHead) -> HTTPResponse {
        let requestId = Identifiers.requestId()
        let maximum: Int
        switch limit {
        case .body(let bytes): maximum = bytes
        }
        let error = RPCError(
            status: 413, code: "InvalidParameter",
            message: "The request body exceeds \(maximum) bytes.")
        let pairs: [(String, any Sendable)] = [
            ("RequestId", requestId), ("HostId", head.headers["host"] ?? "pop.aliyuncs.com"),
            ("Code", error.code), ("Message", error.message),
            ("Recommend", "https://api.aliyun.com/troubleshoot?q=\(error.code)&product=Pop&requestId=\(requestId)"),
        ]
        core.metrics.observe(action: "unknown", code: error.code, seconds: 0)
        if logRequests {
            core.log.log(
                "info", "rpc request",
                [("requestId", requestId), ("action", "unknown"), ("status", error.status), ("code", error.code),
                 ("sourceIp", head.remoteAddress)])
        }
        return render(status: error.status, root: "Error", fields: OrderedObject(pairs: pairs), format: .json)
    }

    /// Handles one complete request.
    private func respond(
        to request: HTTPRequest, call: ParsedCall, clientHasLeft: @escaping @Sendable () -> Bool = { false }
    ) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        let requestId = Identifiers.requestId()
        var outcome = Outcome()
        let response: HTTPResponse
        do {
            let result = try dispatch(
                call, request: request, requestId: requestId, clientHasLeft: clientHasLeft, outcome: &outcome)
            var fields = result
            fields["RequestId"] = requestId
            response = render(status: 200, root: "\(call.action ?? "")Response", fields: fields, format: call.format)
        } catch {
            outcome.error = error
            let product = outcome.product ?? "Pop"
            let pairs: [(String, any Sendable)] = [
                ("RequestId", requestId),
                ("HostId", request.head.headers["host"] ?? "\(product.lowercased()).aliyuncs.com"),
                ("Code", error.code), ("Message", error.message),
                ("Recommend",
                 "https://api.aliyun.com/troubleshoot?q=\(error.code)&product=\(product)&requestId=\(requestId)"),
            ]
            response = render(
                status: error.status, root: "Error", fields: OrderedObject(pairs: pairs), format: call.format)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        finish(call: call, request: request, requestId: requestId, outcome: outcome, status: response.status,
               seconds: seconds)
        return response
    }

    /// What became known while handling a call, for metrics, logs and the audit trail.
    private struct Outcome {
        var product: String?
        var accessKeyId: String?
        var caller: Caller?
        var error: RPCError?
    }

    private func dispatch(
        _ call: ParsedCall, request: HTTPRequest, requestId: String, clientHasLeft: @escaping @Sendable () -> Bool,
        outcome: inout Outcome
    ) throws(RPCError) -> [String: any Sendable] {
        // The POP gateway caps GET requests at 4 KB (larger calls must be POSTs).
        if request.head.method == "GET",
            request.head.rawPath.utf8.count + (request.head.rawQuery?.utf8.count ?? 0) > Self.getLimit
        {
            throw RPCError(
                status: 400, code: "InvalidParameter",
                message: "The GET request exceeds \(Self.getLimit) bytes; send large requests with POST.")
        }
        guard let action = call.action, !action.isEmpty else { throw .missingParameter("Action") }
        guard let version = call.version, !version.isEmpty else { throw .missingParameter("Version") }
        guard let registration = registry.lookup(version) else { throw .invalidActionOrVersion }
        outcome.product = registration.product
        let authenticated = try authenticate(call, request: request, outcome: &outcome)
        outcome.caller = authenticated.credentials.caller
        var parameters = call.parameters
        for name in Self.signatureParameterNames { parameters.removeValue(forKey: name) }
        let rpcRequest = RPCRequest(
            action: action, parameters: parameters, caller: authenticated.credentials.caller,
            accessKeyId: authenticated.accessKeyId, sessionPolicy: authenticated.credentials.sessionPolicy,
            // The API listener speaks plain HTTP (TLS, when wanted, terminates in front of it).
            sourceIp: request.head.remoteAddress, secureTransport: false,
            userAgent: request.head.headers["user-agent"], requestId: requestId, clientHasLeft: clientHasLeft)
        return try registration.service.handle(rpcRequest)
    }

    private static let signatureParameterNames = [
        "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "SignatureType", "Timestamp",
        "AccessKeyId", "SecurityToken",
    ]

    // MARK: Authentication

    private struct Authenticated {
        let credentials: ResolvedCredentials
        let accessKeyId: String
    }

    private func authenticate(_ call: ParsedCall, request: HTTPRequest, outcome: inout Outcome) throws(RPCError)
        -> Authenticated
    {
        if let authorization = request.head.headers["authorization"], authorization.hasPrefix("ACS3-") {
            return try authenticateACS3(authorization, call: call, request: request, outcome: &outcome)
        }
        return try authenticateV1(call, request: request, outcome: &outcome)
    }

    private func authenticateV1(_ call: ParsedCall, request: HTTPRequest, outcome: inout Outcome) throws(RPCError)
        -> Authenticated
    {
        for name in ["AccessKeyId", "Signature", "Timestamp", "SignatureNonce"]
        where (call.parameters[name] ?? "").isEmpty {
            throw .missingParameter(name)
        }
        let accessKeyId = call.parameters["AccessKeyId"] ?? ""
        let signature = call.parameters["Signature"] ?? ""
        outcome.accessKeyId = accessKeyId
        if let method = call.parameters["SignatureMethod"], method != "HMAC-SHA1" {
            throw RPCError(
                status: 400, code: "IncompleteSignature",
                message: "The request signature does not conform to Aliyun standards. "
                    + "SignatureMethod \(method) is not supported; use HMAC-SHA1.")
        }
        if let version = call.parameters["SignatureVersion"], version != "1.0" {
            throw RPCError(
                status: 400, code: "IncompleteSignature",
                message: "The request signature does not conform to Aliyun standards. "
                    + "SignatureVersion \(version.prefix(20)) is not supported; use 1.0.")
        }
        let timestamp = try checkTimestamp(call.parameters["Timestamp"] ?? "")
        let credentials = try core.credentials(
            accessKeyId: accessKeyId, securityToken: call.parameters["SecurityToken"])
        let stringToSign = RPCSignatureV1.stringToSign(method: request.head.method, parameters: call.pairs)
        let expected = RPCSignatureV1.signature(stringToSign: stringToSign, secret: credentials.secret)
        guard constantTimeEquals(Array(expected.utf8), Array(signature.utf8)) else {
            throw Self.signatureMismatch(stringToSign)
        }
        try checkNonce(accessKeyId: accessKeyId, nonce: call.parameters["SignatureNonce"] ?? "", timestamp: timestamp)
        return Authenticated(credentials: credentials, accessKeyId: accessKeyId)
    }

    private func authenticateACS3(
        _ header: String, call: ParsedCall, request: HTTPRequest, outcome: inout Outcome
    ) throws(RPCError) -> Authenticated {
        let authorization: ACS3Authorization
        do {
            authorization = try ACS3Authorization(parsing: header)
        } catch {
            throw RPCError(status: 400, code: "IncompleteSignature", message: error.message)
        }
        outcome.accessKeyId = authorization.accessKeyId
        let headers = request.head.headers
        for name in ["x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256", "host"]
        where (headers[name] ?? "").isEmpty {
            throw .missingParameter(name)
        }
        var mustBeSigned = ["host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"]
        for name in ["x-acs-action", "x-acs-version", "x-acs-security-token"] where headers[name] != nil {
            mustBeSigned.append(name)
        }
        let signed = Set(authorization.signedHeaders.map { $0.lowercased() })
        for name in mustBeSigned where !signed.contains(name) {
            throw RPCError(
                status: 400, code: "IncompleteSignature",
                message: "The request signature does not conform to Aliyun standards. Header \(name) must be signed.")
        }
        let timestamp = try checkTimestamp(headers["x-acs-date"] ?? "")
        let token = headers["x-acs-security-token"] ?? call.parameters["SecurityToken"]
        let credentials = try core.credentials(accessKeyId: authorization.accessKeyId, securityToken: token)
        // The payload hash is computed from the body received, so a body that does not match the signed
        // x-acs-content-sha256 fails the signature.
        let payloadHash = Digest.hash(.sha256, request.body).hexString
        var headerPairs: [(name: String, value: String)] = []
        for field in headers { headerPairs.append((field.name, field.value)) }
        let canonical = ACS3Signature.canonicalRequest(
            method: request.head.method, path: request.head.rawPath.isEmpty ? "/" : request.head.rawPath,
            query: call.queryPairs, headers: headerPairs, signedHeaders: authorization.signedHeaders,
            payloadHash: payloadHash)
        let stringToSign = ACS3Signature.stringToSign(canonicalRequest: canonical)
        let expected = ACS3Signature.signature(stringToSign: stringToSign, secret: credentials.secret)
        guard constantTimeEquals(Array(expected.utf8), Array(authorization.signature.lowercased().utf8)) else {
            throw Self.signatureMismatch(stringToSign)
        }
        try checkNonce(
            accessKeyId: authorization.accessKeyId, nonce: headers["x-acs-signature-nonce"] ?? "", timestamp: timestamp)
        return Authenticated(credentials: credentials, accessKeyId: authorization.accessKeyId)
    }

    private static func signatureMismatch(_ stringToSign: String) -> RPCError {
        RPCError(
            status: 400, code: "SignatureDoesNotMatch",
            message: "Specified signature is not matched with our calculation. server string to sign is:\(stringToSign)")
    }

    private func checkTimestamp(_ text: String) throws(RPCError) -> Date {
        guard let timestamp = SigningTime.parseISO8601(text) else {
            throw RPCError(
                status: 400, code: "InvalidTimeStamp.Format",
                message: "Specified time stamp or date value is not well formatted.")
        }
        guard abs(timestamp.timeIntervalSince(core.now())) <= Self.timestampWindow else {
            throw RPCError(
                status: 400, code: "InvalidTimeStamp.Expired", message: "Specified time stamp or date value is expired.")
        }
        return timestamp
    }

    private func checkNonce(accessKeyId: String, nonce: String, timestamp: Date) throws(RPCError) {
        guard core.nonces.register(accessKeyId: accessKeyId, nonce: nonce, timestamp: timestamp, now: core.now())
        else {
            throw RPCError(
                status: 400, code: "SignatureNonceUsed", message: "Specified signature nonce was used already.")
        }
    }

    // MARK: Rendering

    private func render(status: Int, root: String, fields: any Sendable, format: ParsedCall.Format) -> HTTPResponse {
        var headers = HTTPHeaders()
        let body: [UInt8]
        switch format {
        case .json:
            headers.add(name: "Content-Type", value: "application/json;charset=utf-8")
            body = JSONText.bytes(fields)
        case .xml:
            headers.add(name: "Content-Type", value: "text/xml;charset=utf-8")
            body = XMLText.document(root: root, fields)
        }
        return HTTPResponse(status: status, headers: headers, body: .bytes(body))
    }

    // MARK: Operations

    private static let refusalCodePrefixes = [
        "NoPermission", "InvalidAccessKeyId", "InvalidSecurityToken", "SignatureDoesNotMatch", "SignatureNonceUsed",
        "InvalidTimeStamp", "MissingSecurityToken", "IncompleteSignature",
    ]

    private func finish(
        call: ParsedCall, request: HTTPRequest, requestId: String, outcome: Outcome, status: Int, seconds: Double
    ) {
        let action = outcome.product == nil ? "unknown" : (call.action ?? "unknown")
        let code = outcome.error?.code ?? "OK"
        core.metrics.observe(action: action, code: code, seconds: seconds)
        if logRequests {
            var fields: [(String, any Sendable)] = [
                ("requestId", requestId), ("action", action), ("version", call.version ?? ""), ("status", status),
                ("code", code), ("latencyMs", (seconds * 1e6).rounded() / 1e3),
                ("sourceIp", request.head.remoteAddress),
            ]
            if let accessKeyId = outcome.accessKeyId { fields.append(("accessKeyId", accessKeyId)) }
            if let caller = outcome.caller { fields.append(("caller", caller.arn)) }
            core.log.log(status >= 500 ? "error" : "info", "rpc request", fields)
        }
        guard let error = outcome.error, let product = outcome.product, Self.isRefusal(action: action, error) else {
            return
        }
        var details: [(String, String)] = []
        for name in ["RoleArn", "RoleSessionName", "RamRoleName", "RoleName"] {
            if let value = call.parameters[name] { details.append((name.prefix(1).lowercased() + name.dropFirst(), value)) }
        }
        core.audit.record(
            AuditEvent(
                event: "Refused", service: product.lowercased(), action: action, code: error.code, status: error.status,
                caller: outcome.caller?.arn, accessKeyId: outcome.accessKeyId, sourceIp: request.head.remoteAddress,
                requestId: requestId, details: details))
    }

    /// Whether a failed call is a refusal the audit trail records: failed authentication, a denied permission,
    /// any failed AssumeRole, and an ECI admission refused for a missing role.
    static func isRefusal(action: String, _ error: RPCError) -> Bool {
        if action == "AssumeRole" || refusalCodePrefixes.contains(where: { error.code.hasPrefix($0) }) { return true }
        return action == "CreateContainerGroup" && error.code == "EntityNotExist.Role"
    }
}

/// The parameters of one POP call: query and form body merged (first occurrence wins in the dictionary; the
/// ordered list keeps every pair for the V1 signature), plus `Action`/`Version` from parameters or the ACS3
/// `x-acs-action`/`x-acs-version` headers, and the response format.
struct ParsedCall {
    enum Format { case json, xml }

    let pairs: [(name: String, value: String)]
    let queryPairs: [(name: String, value: String)]
    let parameters: [String: String]
    let action: String?
    let version: String?
    let format: Format

    init(_ request: HTTPRequest) {
        let query = request.head.rawQuery.map(PercentEncoding.parseQuery) ?? []
        var all = query
        let contentType = request.head.headers["content-type"]?.lowercased() ?? ""
        if !request.body.isEmpty && contentType.hasPrefix("application/x-www-form-urlencoded") {
            all.append(contentsOf: PercentEncoding.parseQuery(String(decoding: request.body, as: UTF8.self)))
        }
        var parameters: [String: String] = [:]
        for pair in all where parameters[pair.name] == nil { parameters[pair.name] = pair.value }
        queryPairs = query
        pairs = all
        self.parameters = parameters
        action = parameters["Action"] ?? request.head.headers["x-acs-action"]
        version = parameters["Version"] ?? request.head.headers["x-acs-version"]
        format = parameters["Format"]?.lowercased() == "xml" ? .xml : .json
    }
}

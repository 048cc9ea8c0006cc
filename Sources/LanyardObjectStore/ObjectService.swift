import LanyardPolicy
import LanyardControlPlane
import LanyardHTTP
import Foundation
import LanyardCrypto
import Synchronization

/// Configuration of the object service.
public struct ObjectServiceConfiguration: Sendable {
    /// Data directory: metadata in `<data>/objects.db`, bodies under `<data>/objects/`.
    public var dataDirectory: String
    /// Host names of the OSS endpoint (no port), e.g. `oss-cn-hangzhou-internal.aliyuncs.com`:
    /// `bucket.<host>` is virtual-hosted addressing. Requests to any other host (an IP, `localhost`) use path style.
    public var endpointHosts: [String]
    /// Region, e.g. `cn-hangzhou` (reported as location `oss-cn-hangzhou`).
    public var region: String
    /// Largest accepted object, in bytes (OSS: 5 GiB).
    public var maxObjectSize: Int64 = 5 << 30
    /// Largest accepted clock skew of header-signed requests, in seconds.
    public var maxClockSkew: Int64 = 900
    /// Called after a bucket is created or deleted (the node rewrites the pods' hosts files).
    public var bucketsChanged: @Sendable () -> Void = {}
    /// Where the request log lines go (one JSON object per request; none by default).
    public var logSink: LogSink = .discard
    /// Whether every request gets a log line in `logSink`.
    public var logRequests = true
    /// Largest accepted total of `x-oss-meta-*` header names and values, in bytes (OSS: 8 KB).
    public var maxMetadataSize = 8 * 1024
    /// Largest accepted request header block, in bytes; larger ones get a 400 `InvalidArgument` (which the
    /// server can only send when its per-connection memory, ``ObjectService/connectionMemoryLimit``, holds them).
    public var maxHeaderSize = 64 * 1024

    /// Creates a configuration.
    public init(dataDirectory: String, endpointHosts: [String], region: String) {
        self.dataDirectory = dataDirectory
        self.endpointHosts = endpointHosts
        self.region = region
    }
}

/// The OSS-compatible object service: an `HTTPHandler` that authenticates each request (V1/V4 signatures,
/// STS tokens), authorizes it against the caller's current RAM policies and the ACLs, and serves buckets,
/// objects and multipart uploads with durable, streamed bodies.
public final class ObjectService: HTTPHandler {
    let configuration: ObjectServiceConfiguration
    let authority: any ObjectServiceAuthority
    let metadata: MetadataStore
    let blobs: BlobStore
    let authenticator: Authenticator
    let metrics = OSSMetrics()
    let log: EventLog
    private let requestIdPrefix: String
    private let requestCounter = Atomic<UInt64>(0)
    /// Objects with an append in progress ("bucket/key"): a concurrent append to the same object is refused.
    let appending = Mutex<Set<String>>([])

    /// Opens (creating if needed) the store in `configuration.dataDirectory`, using the control plane to resolve
    /// credentials and evaluate policies.
    public convenience init(configuration: ObjectServiceConfiguration, controlPlane: ControlPlane) throws(OSSError) {
        try self.init(configuration: configuration, authority: controlPlane)
    }

    /// Opens (creating if needed) the store in `configuration.dataDirectory` with any credential authority.
    public init(configuration: ObjectServiceConfiguration, authority: any ObjectServiceAuthority) throws(OSSError) {
        self.configuration = configuration
        self.authority = authority
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw OSSError.internalError("cannot create \(configuration.dataDirectory)")
        }
        blobs = try BlobStore(root: configuration.dataDirectory + "/objects")
        metadata = try MetadataStore(path: configuration.dataDirectory + "/objects.db", packer: blobs)
        authenticator = Authenticator(authority: authority, maxSkew: configuration.maxClockSkew)
        log = EventLog(sink: configuration.logSink)
        requestIdPrefix = SecureRandom.bytes(4).hexString.uppercased()
    }

    /// Per-connection memory the OSS server should be given (``LanyardHTTP/HTTPServerConfiguration``): large
    /// enough that header blocks over ``ObjectServiceConfiguration/maxHeaderSize`` and long request targets
    /// reach the service and get the OSS XML error rather than libmicrohttpd's HTML 414/431.
    public static let connectionMemoryLimit = 256 * 1024

    /// Whether the OSS server should run a thread per connection (``LanyardHTTP/HTTPServerConfiguration``):
    /// uploads block on fsync before they answer, and only concurrent requests can share a disk flush.
    public static let threadPerConnection = true

    /// The Prometheus text of the object service's metrics (appended to the API's `GET /metrics`).
    public var metricsText: String { metrics.render() }

    /// 24 upper-case hex characters: a random per-process prefix and a counter.
    func nextRequestId() -> String {
        let n = requestCounter.add(1, ordering: .relaxed).newValue
        let hex = String(n, radix: 16, uppercase: true)
        return requestIdPrefix + String(repeating: "0", count: max(0, 16 - hex.utf8.count)) + hex
    }

    /// Everything a handler needs about the request being served.
    struct Request: Sendable {
        let head: HTTPRequestHead
        let target: OSSRequestTarget
        let operation: OSSOperation
        let requestId: String
        let now: Int64
        let principal: OSSPrincipal
        let trace: RequestTrace
        var bucket: String { target.bucket ?? "" }
        var key: String { target.key ?? "" }
        var isHead: Bool { head.method == "HEAD" }
        var urlEncoded: Bool { target.value("encoding-type") == "url" }
    }

    /// Names of every bucket, in name order.
    public func bucketNames() throws(OSSError) -> [String] {
        var names: [String] = []
        while true {
            let page = try metadata.listBuckets(prefix: "", marker: names.last ?? "", limit: 1000)
            names += page.map(\.name)
            if page.count < 1000 { return names }
        }
    }

    /// Routes, authenticates and dispatches one request; logs, counts and audits it once answered.
    public func begin(_ head: HTTPRequestHead) -> HTTPBodyDisposition {
        let trace = RequestTrace(requestId: nextRequestId(), head: head)
        do {
            try checkHeaderSizes(head)
            let target = try OSSRequestTarget.parse(
                host: head.headers["Host"], rawPath: head.rawPath, rawQuery: head.rawQuery,
                endpointHosts: configuration.endpointHosts)
            trace.update { $0.bucket = target.bucket; $0.key = target.key }
            let operation = try OSSOperation.identify(
                method: head.method, target: target, hasCopySource: head.headers["x-oss-copy-source"] != nil)
            trace.update { $0.operation = operation.rawValue }
            let now = HTTPTime.now()
            var accessKeyId: String?
            let principal: OSSPrincipal
            do {
                defer { trace.update { $0.accessKeyId = accessKeyId } }
                principal = try authenticator.authenticate(
                    method: head.method, target: target, headers: head.headers, now: now, accessKeyId: &accessKeyId)
            }
            if case .authenticated(let caller, _, _) = principal { trace.update { $0.caller = caller.arn } }
            let request = Request(head: head, target: target, operation: operation, requestId: trace.requestId,
                                  now: now, principal: principal, trace: trace)
            return observe(try dispatch(request), trace)
        } catch {
            return .respond(finish(trace, errorResponse(error, trace: trace, head: head)))
        }
    }

    /// Refuses header blocks over the configured size and `x-oss-meta-*` totals over the metadata limit.
    private func checkHeaderSizes(_ head: HTTPRequestHead) throws(OSSError) {
        var total = 0, metadata = 0
        for (name, value) in head.headers {
            let size = name.utf8.count + value.utf8.count
            total += size + 4
            if name.utf8.count > 11, name.lowercased().hasPrefix("x-oss-meta-") { metadata += size }
        }
        if total > configuration.maxHeaderSize {
            throw OSSError.invalidArgument(
                "The request headers exceed the maximum allowed size of \(configuration.maxHeaderSize) bytes.")
        }
        if metadata > configuration.maxMetadataSize {
            throw OSSError.invalidArgument(
                "Your metadata headers exceed the maximum allowed metadata size of \(configuration.maxMetadataSize) bytes.",
                name: "x-oss-meta-*", value: String(metadata))
        }
    }

    private func dispatch(_ r: Request) throws(OSSError) -> HTTPBodyDisposition {
        if let bucket = r.target.bucket { try OSSNames.validateBucket(bucket) }
        if let key = r.target.key { try OSSNames.validateKey(key) }
        switch r.operation {
        case .listBuckets: return .respond(try listBuckets(r))
        case .putBucket: return try putBucket(r)
        case .deleteBucket: return .respond(try deleteBucket(r))
        case .getBucketInfo, .getBucketLocation, .getBucketAcl: return .respond(try bucketQuery(r))
        case .putBucketAcl: return .respond(try putBucketAcl(r))
        case .listObjects, .listObjectsV2: return .respond(try listObjects(r))
        case .listMultipartUploads: return .respond(try listUploads(r))
        case .deleteMultipleObjects: return try deleteMultiple(r)
        case .putObject: return try putObject(r)
        case .copyObject: return .respond(try copyObject(r))
        case .appendObject: return try appendObject(r)
        case .getObject, .headObject, .getObjectMeta: return .respond(try getObject(r))
        case .deleteObject: return .respond(try deleteObject(r))
        case .putObjectAcl: return .respond(try putObjectAcl(r))
        case .getObjectAcl: return .respond(try getObjectAcl(r))
        case .initiateMultipartUpload: return .respond(try initiateUpload(r))
        case .uploadPart: return try uploadPart(r)
        case .completeMultipartUpload: return try completeUpload(r)
        case .abortMultipartUpload: return .respond(try abortUpload(r))
        case .listParts: return .respond(try listParts(r))
        }
    }

    // MARK: Responses

    /// Adds the headers every response carries.
    func decorate(_ response: HTTPResponse, requestId: String) -> HTTPResponse {
        var response = response
        response.headers.replaceOrAdd(name: "x-oss-request-id", value: requestId)
        response.headers.replaceOrAdd(name: "Server", value: "AliyunOSS")
        return response
    }

    func ok(_ r: Request, status: Int = 200, headers: HTTPHeaders = .init(), xml: [UInt8]? = nil) -> HTTPResponse {
        var headers = headers
        var body = HTTPResponseBody.empty
        if let xml {
            headers.replaceOrAdd(name: "Content-Type", value: "application/xml")
            body = .bytes(xml)
        }
        return decorate(HTTPResponse(status: status, headers: headers, body: body), requestId: r.requestId)
    }

    /// The error document, or for HEAD requests (which have no body) its base64 in `x-oss-err`.
    func errorResponse(_ error: OSSError, trace: RequestTrace, head: HTTPRequestHead) -> HTTPResponse {
        trace.update { $0.error = error }
        let requestId = trace.requestId
        let xml = error.xml(requestId: requestId, hostId: head.headers["Host"] ?? configuration.endpointHosts.first ?? "")
        var headers = HTTPHeaders()
        for h in error.headers { headers.add(name: h.name, value: h.value) }
        var response = HTTPResponse(status: error.status, headers: headers)
        if head.method == "HEAD" {
            response.headers.add(name: "x-oss-err", value: Array(xml.utf8).base64String)
        } else {
            response.headers.add(name: "Content-Type", value: "application/xml")
            response.body = .bytes(Array(xml.utf8))
        }
        return decorate(response, requestId: requestId)
    }

    /// Runs a deferred step of a request, turning its error into the error response.
    func respond(_ r: Request, _ body: () throws(OSSError) -> HTTPResponse) -> HTTPResponse {
        do { return try body() } catch { return errorResponse(error, trace: r.trace, head: r.head) }
    }

    func failure(_ r: Request) -> @Sendable (OSSError) -> HTTPResponse {
        let head = r.head, trace = r.trace
        return { [self] error in errorResponse(error, trace: trace, head: head) }
    }

    var xmlContext: ResponseXML.Context {
        ResponseXML.Context(accountId: authority.accountId, region: configuration.region,
                            extranetEndpoint: "oss-\(configuration.region).aliyuncs.com",
                            intranetEndpoint: "oss-\(configuration.region)-internal.aliyuncs.com")
    }

    // MARK: Authorization

    /// Checks the caller's current policies for `action` on the bucket/key; when they do not allow it, the
    /// ACL may still grant read or write access to everyone. Explicit denies always win.
    func authorize(_ r: Request, action: String? = nil, bucket: String?, key: String?, access: OSSOperation.ACLAccess,
                   acl: () throws(OSSError) -> CannedACL?) throws(OSSError) {
        let resource = OSSAuthorizationMapping.resource(account: authority.accountId, bucket: bucket, key: key)
        switch r.principal {
        case .authenticated(let caller, let accessKeyId, let sessionPolicy):
            var context = OSSAuthorizationMapping.conditions(operation: r.operation, target: r.target)
            context["acs:SourceIp"] = [r.head.remoteAddress]
            context["acs:CurrentTime"] = [String(HTTPTime.iso8601(r.now).dropLast(".000Z".count)) + "Z"]
            context["acs:SecureTransport"] = ["false"]
            context["acs:AccessId"] = [accessKeyId]
            if let agent = r.head.headers["User-Agent"] { context["acs:UserAgent"] = [agent] }
            let request = AuthorizationRequest(action: action ?? r.operation.action, resource: resource, context: context)
            let decision = authority.authorize(caller, sessionPolicy: sessionPolicy, request)
            if decision != .allow { r.trace.update { $0.denied = (request.action, resource) } }
            switch decision {
            case .allow: return
            case .explicitDeny:
                throw OSSError.accessDenied("You have no right to access this resource: explicitly denied by a RAM policy.")
            case .implicitDeny:
                if try aclGrants(access, acl) { return }
                throw OSSError.accessDenied("You have no right to access this resource: no RAM policy allows \(request.action).")
            }
        case .anonymous:
            if try aclGrants(access, acl) { return }
            r.trace.update { $0.denied = (action ?? r.operation.action, resource) }
            throw OSSError.accessDenied("Anonymous user has no right to access this bucket.")
        }
    }

    private func aclGrants(_ access: OSSOperation.ACLAccess, _ acl: () throws(OSSError) -> CannedACL?) throws(OSSError)
        -> Bool
    {
        switch access {
        case .none: return false
        case .read: return try acl()?.allowsPublicRead ?? false
        case .write: return try acl()?.allowsPublicWrite ?? false
        }
    }

    /// The bucket, or `NoSuchBucket`.
    func requireBucket(_ name: String) throws(OSSError) -> BucketRecord {
        guard let b = try metadata.bucket(name) else { throw OSSError.noSuchBucket(name) }
        return b
    }

    /// Authorizes a bucket-level operation against the bucket's ACL.
    func authorizeBucket(_ r: Request, _ bucket: BucketRecord) throws(OSSError) {
        try authorize(r, bucket: bucket.name, key: nil, access: r.operation.aclAccess) { () throws(OSSError) in bucket.acl }
    }

    /// Authorizes an object-level operation: the object's own ACL (when not `default`) takes precedence over
    /// the bucket's. The object row is read only when the policies alone do not decide.
    func authorizeObject(_ r: Request, _ bucket: BucketRecord, key: String, action: String? = nil,
                         access: OSSOperation.ACLAccess? = nil) throws(OSSError) {
        try authorize(r, action: action, bucket: bucket.name, key: key, access: access ?? r.operation.aclAccess)
        { () throws(OSSError) in
            if let o = try metadata.object(bucket: bucket.name, key: key), o.acl != .default { return o.acl }
            return bucket.acl
        }
    }

    /// Parses an optional `Content-MD5` header: nil when absent, `InvalidDigest` when malformed.
    static func contentMD5(_ headers: HTTPHeaders) throws(OSSError) -> [UInt8]? {
        guard let text = headers["Content-MD5"] else { return nil }
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespaces)), data.count == 16 else {
            throw OSSError.invalidDigest
        }
        return Array(data)
    }

    /// The request's declared body length, checked against the maximum object size.
    func contentLength(_ r: Request) throws(OSSError) -> Int64? {
        guard let text = r.head.headers["Content-Length"] else { return nil }
        guard let n = Int64(text.trimmingSpaces), n >= 0 else {
            throw OSSError.invalidArgument("Invalid Content-Length.", name: "Content-Length", value: text)
        }
        if n > configuration.maxObjectSize {
            throw OSSError(status: 400, code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed size.")
        }
        return n
    }
}

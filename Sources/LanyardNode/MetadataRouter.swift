import Foundation
import LanyardCrypto

/// What the metadata service knows about the pod that asks: fixed at creation, never taken from the request.
public struct PodIdentity: Sendable, Hashable {
    /// The pod's unique id (`eci-…`), served as `instance-id`; tokens are bound to it.
    public var podId: String
    /// The pod's name, served as `hostname`.
    public var podName: String
    /// `region-id`.
    public var regionId: String
    /// `zone-id`.
    public var zoneId: String
    /// `private-ipv4`.
    public var privateIPv4: String
    /// `owner-account-id`.
    public var ownerAccountId: String
    /// The role bound at creation, if any.
    public var roleName: String?
    /// Its RoleId at creation: a role created again under the same name is another role.
    public var roleId: String?

    /// Creates an identity.
    public init(
        podId: String, podName: String, regionId: String, zoneId: String, privateIPv4: String, ownerAccountId: String,
        roleName: String?, roleId: String? = nil
    ) {
        self.podId = podId
        self.podName = podName
        self.regionId = regionId
        self.zoneId = zoneId
        self.privateIPv4 = privateIPv4
        self.ownerAccountId = ownerAccountId
        self.roleName = roleName
        self.roleId = roleId
    }
}

/// One STS session as the metadata service serves it.
public struct PodCredentials: Sendable, Hashable {
    /// `STS.…` AccessKeyId.
    public var accessKeyId: String
    /// AccessKeySecret.
    public var accessKeySecret: String
    /// SecurityToken.
    public var securityToken: String
    /// When the session expires.
    public var expiration: Date
    /// When it was minted.
    public var lastUpdated: Date

    /// Creates credentials.
    public init(accessKeyId: String, accessKeySecret: String, securityToken: String, expiration: Date, lastUpdated: Date) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
        self.expiration = expiration
        self.lastUpdated = lastUpdated
    }
}

/// A pod's current credentials as the metadata service serves them: the document is rendered once per session
/// (at creation and at each rotation), not once per request.
public struct ServedCredentials: Sendable, Hashable {
    /// The credentials document's bytes (see ``MetadataRouter/credentialsDocument(_:)``).
    public let document: [UInt8]

    /// Renders the document for `credentials`.
    public init(_ credentials: PodCredentials) {
        document = Array(MetadataRouter.credentialsDocument(credentials).utf8)
    }
}

/// The parts of a metadata request that matter, already picked out of the HTTP head.
public struct MetadataRequest: Sendable {
    /// HTTP method.
    public var method: String
    /// Raw path (no query).
    public var path: String
    /// `X-aliyun-ecs-metadata-token`, if sent.
    public var token: String?
    /// `X-aliyun-ecs-metadata-token-ttl-seconds`, if sent.
    public var tokenTTL: String?
    /// Whether any `X-Forwarded-For` header was present.
    public var forwarded: Bool

    /// Creates a request.
    public init(method: String, path: String, token: String? = nil, tokenTTL: String? = nil, forwarded: Bool = false) {
        self.method = method
        self.path = path
        self.token = token
        self.tokenTTL = tokenTTL
        self.forwarded = forwarded
    }
}

/// A metadata response: status, content type, body.
public struct MetadataResponse: Sendable, Hashable {
    /// HTTP status.
    public var status: Int
    /// Content-Type.
    public var contentType: String
    /// Body bytes.
    public var body: [UInt8]

    init(_ status: Int, _ text: String, contentType: String = "text/plain") {
        self.init(status, bytes: Array(text.utf8), contentType: contentType)
    }

    init(_ status: Int, bytes: [UInt8], contentType: String) {
        self.status = status
        self.contentType = contentType
        self.body = bytes
    }

    /// Whether this response hands out credentials (the one answer that must first confirm the pod's role).
    public var isCredentialsDocument: Bool { status == 200 && contentType == MetadataResponse.json }

    static let json = "application/json"
}

/// Metadata tokens of hardened mode: `<expiry>.<mac>`, where the MAC binds the expiry to one pod's id under the
/// node's key. Stateless (nothing to store or expire) and useless in any other pod.
public struct MetadataTokenAuthority: Sendable {
    /// Shortest and longest TTL a token may ask for, in seconds.
    public static let ttlRange = 1...21600
    private let key: [UInt8]

    /// Creates an authority; `key` should be 32 random bytes kept by the node.
    public init(key: [UInt8]) { self.key = key }

    /// A token for `podId` valid for `ttl` seconds from `now`.
    public func issue(podId: String, ttl: Int, now: Date) -> String {
        let expiry = Int64(now.timeIntervalSince1970.rounded(.down)) + Int64(ttl)
        return "\(expiry).\(mac(podId: podId, expiry: expiry).hexString)"
    }

    /// Whether `token` was issued for `podId` and has not expired at `now`.
    public func verify(_ token: String, podId: String, now: Date) -> Bool {
        let utf8 = token.utf8
        guard let dot = utf8.firstIndex(of: UInt8(ascii: ".")), let expiry = Int64(Substring(token[..<dot])),
            Double(expiry) > now.timeIntervalSince1970
        else { return false }
        let expected = Array(mac(podId: podId, expiry: expiry).hexString.utf8)
        return constantTimeEquals(Array(utf8[utf8.index(after: dot)...]), expected)
    }

    private func mac(podId: String, expiry: Int64) -> [UInt8] {
        HMAC.authenticationCode(.sha256, key: key, message: Array("lanyard-imds-token\n\(podId)\n\(expiry)".utf8))
    }
}

/// Metadata service settings of a pod (ECS `HttpTokens`).
public struct MetadataSettings: Sendable, Hashable {
    /// `HttpTokens=required`: requests without a token get 403.
    public var requireToken: Bool

    /// Creates settings.
    public init(requireToken: Bool = false) { self.requireToken = requireToken }
}

/// The metadata service's behaviour as a pure function: request + pod + credentials + time → response.
public struct MetadataRouter: Sendable {
    /// Token issuance and checking.
    public let tokens: MetadataTokenAuthority

    /// Creates a router.
    public init(tokens: MetadataTokenAuthority) { self.tokens = tokens }

    private static let metaDataListing = [
        "hostname", "instance-id", "owner-account-id", "private-ipv4", "ram/", "region-id", "zone-id",
    ].joined(separator: "\n")

    /// Answers one request for `pod`, whose current credentials are `credentials` (nil when it has no role).
    public func respond(
        to request: MetadataRequest, pod: PodIdentity, settings: MetadataSettings, credentials: ServedCredentials?,
        now: Date
    ) -> MetadataResponse {
        if request.forwarded { return MetadataResponse(403, "Forbidden") }
        if request.path == "/latest/api/token" {
            guard request.method == "PUT" else { return MetadataResponse(405, "Method Not Allowed") }
            guard let text = request.tokenTTL, text.utf8.count <= 5, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let ttl = Int(text), MetadataTokenAuthority.ttlRange.contains(ttl)
            else { return MetadataResponse(400, "Missing or Invalid Parameters") }
            return MetadataResponse(200, tokens.issue(podId: pod.podId, ttl: ttl, now: now))
        }
        guard request.method == "GET" || request.method == "HEAD" else { return MetadataResponse(405, "Method Not Allowed") }
        if let token = request.token {
            guard tokens.verify(token, podId: pod.podId, now: now) else { return MetadataResponse(401, "Unauthorized") }
        } else if settings.requireToken {
            return MetadataResponse(403, "Forbidden")
        }
        return route(request.path, pod: pod, credentials: credentials)
    }

    private func route(_ path: String, pod: PodIdentity, credentials: ServedCredentials?) -> MetadataResponse {
        if path == "/" { return MetadataResponse(200, "2016-01-01\nlatest") }
        let rest: Substring
        if path.hasPrefix("/latest") {
            rest = path.dropFirst(7)
        } else if path.hasPrefix("/2016-01-01") {
            rest = path.dropFirst(11)
        } else {
            return notFound
        }
        switch rest {
        case "", "/": return MetadataResponse(200, "meta-data/\nuser-data")
        case "/meta-data", "/meta-data/": return MetadataResponse(200, Self.metaDataListing)
        case "/meta-data/hostname": return MetadataResponse(200, pod.podName)
        case "/meta-data/instance-id": return MetadataResponse(200, pod.podId)
        case "/meta-data/owner-account-id": return MetadataResponse(200, pod.ownerAccountId)
        case "/meta-data/private-ipv4": return MetadataResponse(200, pod.privateIPv4)
        case "/meta-data/region-id": return MetadataResponse(200, pod.regionId)
        case "/meta-data/zone-id": return MetadataResponse(200, pod.zoneId)
        case "/meta-data/ram", "/meta-data/ram/": return MetadataResponse(200, "security-credentials/")
        case "/meta-data/ram/security-credentials", "/meta-data/ram/security-credentials/":
            guard let role = pod.roleName else { return notFound }
            return MetadataResponse(200, role)
        default:
            let prefix = "/meta-data/ram/security-credentials/"
            guard rest.hasPrefix(prefix), let role = pod.roleName, let credentials,
                rest.utf8.dropFirst(prefix.utf8.count).elementsEqual(role.utf8)
            else { return notFound }
            return MetadataResponse(200, bytes: credentials.document, contentType: MetadataResponse.json)
        }
    }

    private var notFound: MetadataResponse { MetadataResponse(404, "404 - Not Found") }

    /// The credentials document exactly as the ECI documentation shows it (field order, formats, `"Code": "Success"`).
    public static func credentialsDocument(_ credentials: PodCredentials) -> String {
        let fields: [(String, String)] = [
            ("AccessKeyId", credentials.accessKeyId), ("AccessKeySecret", credentials.accessKeySecret),
            ("Expiration", MetadataTime.format(credentials.expiration)), ("SecurityToken", credentials.securityToken),
            ("LastUpdated", MetadataTime.format(credentials.lastUpdated)), ("Code", "Success"),
        ]
        return "{\n" + fields.map { "  \(jsonString($0.0)): \(jsonString($0.1))" }.joined(separator: ",\n") + "\n}"
    }

    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` in UTC, whole seconds (the format every credentials library parses strictly).
public enum MetadataTime {
    /// Formats a date, truncating fractional seconds.
    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

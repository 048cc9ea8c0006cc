import Foundation
import LanyardHTTP
import Synchronization

/// The HTTP face of the metadata service. One handler serves every pod: the pod is named by the tag of the
/// listening socket that accepted the connection (`head.connectionTag`, set by the node for the listener it opened
/// inside that pod's network namespace), never by an address or a header.
public final class MetadataService: HTTPHandler {
    struct Entry {
        var identity: PodIdentity
        var settings: MetadataSettings
        var credentials: ServedCredentials?
    }

    private let router: MetadataRouter
    private let entries = Mutex<[Int: Entry]>([:])
    private let clock: @Sendable () -> Date
    private let roleIsCurrent: @Sendable (PodIdentity) -> Bool
    private let revocationHandler = Mutex<(@Sendable (Int) -> Void)?>(nil)

    /// Creates the service with the node's token key. `roleIsCurrent` says whether a pod's role still exists with
    /// the RoleId it was created with; when it does not, the pod's credentials are dropped (not served again).
    public init(
        tokenKey: [UInt8], clock: @escaping @Sendable () -> Date = { Date() },
        roleIsCurrent: @escaping @Sendable (PodIdentity) -> Bool = { _ in true }
    ) {
        self.router = MetadataRouter(tokens: MetadataTokenAuthority(key: tokenKey))
        self.clock = clock
        self.roleIsCurrent = roleIsCurrent
    }

    /// Called with a pod's tag after its credentials were dropped because its role is gone.
    public func onRevoked(_ handler: @escaping @Sendable (Int) -> Void) {
        revocationHandler.withLock { $0 = handler }
    }

    /// Stops serving credentials for `tag` (its role was deleted).
    public func revoke(tag: Int) {
        entries.withLock { $0[tag]?.credentials = nil }
    }

    /// Makes `tag` (a pod's listener tag) serve this pod.
    public func register(tag: Int, identity: PodIdentity, settings: MetadataSettings, credentials: PodCredentials?) {
        let served = credentials.map(ServedCredentials.init)
        entries.withLock { $0[tag] = Entry(identity: identity, settings: settings, credentials: served) }
    }

    /// Replaces the credentials served for `tag` (rotation).
    public func update(tag: Int, credentials: PodCredentials) {
        let served = ServedCredentials(credentials)
        entries.withLock { $0[tag]?.credentials = served }
    }

    /// Stops serving `tag`; later requests on its connections get 404.
    public func unregister(tag: Int) {
        _ = entries.withLock { $0.removeValue(forKey: tag) }
    }

    /// Answers from the router for the pod the connection belongs to; connections without a known tag get 404.
    public func begin(_ head: HTTPRequestHead) -> HTTPBodyDisposition {
        .respond(response(for: head))
    }

    func response(for head: HTTPRequestHead) -> HTTPResponse {
        guard let tag = head.connectionTag, let entry = entries.withLock({ $0[tag] }) else {
            return Self.http(MetadataResponse(404, "404 - Not Found"))
        }
        let request = MetadataRequest(
            method: head.method, path: head.rawPath, token: head.headers["X-aliyun-ecs-metadata-token"],
            tokenTTL: head.headers["X-aliyun-ecs-metadata-token-ttl-seconds"], forwarded: head.headers["X-Forwarded-For"] != nil)
        let now = clock()
        let response = router.respond(
            to: request, pod: entry.identity, settings: entry.settings, credentials: entry.credentials, now: now)
        guard response.isCredentialsDocument, !roleIsCurrent(entry.identity) else { return Self.http(response) }
        // The role was deleted (or replaced under its name) since these credentials were minted: never hand them out.
        revoke(tag: tag)
        revocationHandler.withLock { $0 }?(tag)
        return Self.http(router.respond(to: request, pod: entry.identity, settings: entry.settings, credentials: nil, now: now))
    }

    private static func http(_ response: MetadataResponse) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Server", value: "Lanyard")
        return HTTPResponse(status: response.status, headers: headers, body: .bytes(response.body))
    }
}

import AlibabaCloudCredentials
import AlibabaCloudSigning
import AlibabaCloudTestSupport
import Foundation

/// An in-process stand-in for the metadata service at 100.100.100.200, on 127.0.0.1.
///
/// Serves `PUT /latest/api/token` and `/latest/meta-data/ram/security-credentials/[role]`, issuing a new
/// credential set (`STS.key-N`) per credentials GET, expiring `lifetime` after the test clock's now.
final class TestMetadataServer: Sendable {
    enum TokenMode: Sendable {
        /// Hardened mode available, not enforced.
        case optional
        /// Hardened mode enforced: requests without a valid token get 403.
        case required
        /// The token endpoint answers 403 (as a proxy adding X-Forwarded-For would cause).
        case tokenForbidden
        /// Tokens are issued but every GET carrying one gets 401.
        case tokenRejectedOnGet
    }

    struct State: Sendable {
        var tokenMode: TokenMode
        var roleName: String?
        var lifetime: TimeInterval = 6 * 3600
        var issued = 0
        var failNextCredentialGets = 0
        var omitCode = false
        var tokenPuts = 0
        var listGets = 0
        var credentialGets = 0
        var log: [TestHTTPServer.Request] = []
    }

    static let token = "test-metadata-token"

    let state: Box<State>
    private let server: TestHTTPServer

    var url: URL { server.baseURL }

    init(roleName: String? = "EcsRole", tokenMode: TokenMode = .optional, clock: ManualClock) throws {
        let state = Box(State(tokenMode: tokenMode, roleName: roleName))
        self.state = state
        server = try TestHTTPServer { request in
            state.with { s in Self.respond(to: request, state: &s, now: clock.now) }
        }
    }

    func shutdown() { server.shutdown() }

    private static func respond(to request: TestHTTPServer.Request, state s: inout State, now: Date)
        -> TestHTTPServer.Response
    {
        s.log.append(request)
        if request.headers["x-forwarded-for"] != nil { return .text(403, "Forbidden") }
        let prefix = "/latest/meta-data/ram/security-credentials/"
        if request.method == "PUT", request.path == "/latest/api/token" {
            s.tokenPuts += 1
            if s.tokenMode == .tokenForbidden { return .text(403, "Forbidden") }
            guard let ttl = request.headers["x-aliyun-ecs-metadata-token-ttl-seconds"].flatMap({ Int($0) }),
                (1...21600).contains(ttl)
            else { return .text(400, "Missing or Invalid Parameters") }
            return .text(200, token)
        }
        guard request.method == "GET", request.path.hasPrefix(prefix) else { return .text(404, "Not Found") }
        switch (request.headers["x-aliyun-ecs-metadata-token"], s.tokenMode) {
        case (nil, .required): return .text(403, "Forbidden")
        case (.some, .tokenRejectedOnGet): return .text(401, "Unauthorized")
        case (.some(let token), _) where token != Self.token: return .text(401, "Unauthorized")
        default: break
        }
        let role = String(request.path.dropFirst(prefix.count))
        if role.isEmpty {
            s.listGets += 1
            guard let name = s.roleName else { return .text(404, "Not Found") }
            return .text(200, name)
        }
        s.credentialGets += 1
        guard role == s.roleName else { return .text(404, "Not Found") }
        if s.failNextCredentialGets > 0 {
            s.failNextCredentialGets -= 1
            return .text(500, "Internal Error")
        }
        s.issued += 1
        let n = s.issued
        let code = s.omitCode ? "" : "\"Code\":\"Success\","
        return .json(
            200,
            "{\"AccessKeyId\":\"STS.key-\(n)\",\"AccessKeySecret\":\"secret-\(n)\",\"SecurityToken\":\"CAIS-token-\(n)\","
                + "\(code)\"Expiration\":\"\(SigningTime.iso8601(now + s.lifetime))\",\"LastUpdated\":\"\(SigningTime.iso8601(now))\"}"
        )
    }
}

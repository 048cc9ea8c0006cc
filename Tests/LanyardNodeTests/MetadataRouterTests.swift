import Foundation
import Testing

@testable import LanyardNode

@Suite struct MetadataRouterTests {
    static let now = Date(timeIntervalSince1970: 1_687_439_638)  // 2023-06-22T13:13:58Z
    static let router = MetadataRouter(tokens: MetadataTokenAuthority(key: Array(repeating: 7, count: 32)))
    static let podA = PodIdentity(
        podId: "eci-aaaa", podName: "test-a", regionId: "cn-hangzhou", zoneId: "cn-hangzhou-i", privateIPv4: "127.0.0.1",
        ownerAccountId: "1234567890123456", roleName: "ECIRamRoleTest")
    static let podB = PodIdentity(
        podId: "eci-bbbb", podName: "test-b", regionId: "cn-hangzhou", zoneId: "cn-hangzhou-i", privateIPv4: "127.0.0.1",
        ownerAccountId: "1234567890123456", roleName: "OtherRole")
    static let noRole = PodIdentity(
        podId: "eci-cccc", podName: "plain", regionId: "cn-hangzhou", zoneId: "cn-hangzhou-i", privateIPv4: "127.0.0.1",
        ownerAccountId: "1234567890123456", roleName: nil)
    static let credentials = PodCredentials(
        accessKeyId: "STS.NTx1", accessKeySecret: "secret/+=", securityToken: "CAIS\"tok\"",
        expiration: now.addingTimeInterval(6 * 3600 + 0.9), lastUpdated: now.addingTimeInterval(0.4))

    func get(
        _ path: String, pod: PodIdentity = podA, token: String? = nil, forwarded: Bool = false, require: Bool = false,
        credentials: PodCredentials? = credentials, at time: Date = now
    ) -> MetadataResponse {
        Self.router.respond(
            to: MetadataRequest(method: "GET", path: path, token: token, forwarded: forwarded), pod: pod,
            settings: MetadataSettings(requireToken: require), credentials: credentials.map(ServedCredentials.init), now: time)
    }

    func putToken(_ ttl: String?, pod: PodIdentity = podA, forwarded: Bool = false, at time: Date = now) -> MetadataResponse {
        Self.router.respond(
            to: MetadataRequest(method: "PUT", path: "/latest/api/token", tokenTTL: ttl, forwarded: forwarded), pod: pod,
            settings: MetadataSettings(), credentials: nil, now: time)
    }

    static let plainPaths: [(String, Int, String)] = [
        ("/", 200, "2016-01-01\nlatest"),
        ("/latest/", 200, "meta-data/\nuser-data"),
        ("/latest/meta-data/", 200, "hostname\ninstance-id\nowner-account-id\nprivate-ipv4\nram/\nregion-id\nzone-id"),
        ("/latest/meta-data", 200, "hostname\ninstance-id\nowner-account-id\nprivate-ipv4\nram/\nregion-id\nzone-id"),
        ("/2016-01-01/meta-data/instance-id", 200, "eci-aaaa"),
        ("/latest/meta-data/instance-id", 200, "eci-aaaa"),
        ("/latest/meta-data/region-id", 200, "cn-hangzhou"),
        ("/latest/meta-data/zone-id", 200, "cn-hangzhou-i"),
        ("/latest/meta-data/hostname", 200, "test-a"),
        ("/latest/meta-data/private-ipv4", 200, "127.0.0.1"),
        ("/latest/meta-data/owner-account-id", 200, "1234567890123456"),
        ("/latest/meta-data/ram/", 200, "security-credentials/"),
        ("/latest/meta-data/ram/security-credentials/", 200, "ECIRamRoleTest"),
        ("/latest/meta-data/ram/security-credentials", 200, "ECIRamRoleTest"),
        ("/latest/meta-data/ram/security-credentials/OtherRole", 404, "404 - Not Found"),
        ("/latest/meta-data/ram/security-credentials/ECIRamRoleTest/", 404, "404 - Not Found"),
        ("/latest/meta-data/ram/security-credentials/eciramroletest", 404, "404 - Not Found"),
        ("/latest/user-data", 404, "404 - Not Found"),
        ("/latest/meta-data/vpc-id", 404, "404 - Not Found"),
        ("/latestx/meta-data/instance-id", 404, "404 - Not Found"),
        ("/meta-data/instance-id", 404, "404 - Not Found"),
    ]

    @Test(arguments: plainPaths)
    func paths(_ path: String, _ status: Int, _ body: String) {
        let response = get(path)
        #expect(response.status == status, "\(path)")
        #expect(String(decoding: response.body, as: UTF8.self) == body, "\(path)")
    }

    @Test func credentialsDocumentIsTheSeedsShape() {
        let response = get("/latest/meta-data/ram/security-credentials/ECIRamRoleTest")
        #expect(response.status == 200)
        #expect(response.contentType == "application/json")
        let expected = """
            {
              "AccessKeyId": "STS.NTx1",
              "AccessKeySecret": "secret/+=",
              "Expiration": "2023-06-22T19:13:58Z",
              "SecurityToken": "CAIS\\"tok\\"",
              "LastUpdated": "2023-06-22T13:13:58Z",
              "Code": "Success"
            }
            """
        #expect(String(decoding: response.body, as: UTF8.self) == expected)
        let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String]
        #expect(json?["SecurityToken"] == "CAIS\"tok\"")
    }

    @Test func noRoleMeansNotFoundEverywhereUnderRam() {
        for path in ["/latest/meta-data/ram/security-credentials/", "/latest/meta-data/ram/security-credentials/ECIRamRoleTest"] {
            #expect(get(path, pod: Self.noRole, credentials: nil).status == 404)
        }
        // A role but no credentials yet is also a 404, never an empty document.
        #expect(get("/latest/meta-data/ram/security-credentials/ECIRamRoleTest", credentials: nil).status == 404)
        #expect(get("/latest/meta-data/instance-id", pod: Self.noRole, credentials: nil).status == 200)
    }

    @Test(arguments: ["1", "21600", "300", "00060"])
    func tokenTTLAccepted(_ ttl: String) {
        let response = putToken(ttl)
        #expect(response.status == 200)
        let token = String(decoding: response.body, as: UTF8.self)
        #expect(get("/latest/meta-data/instance-id", token: token).status == 200)
    }

    @Test(arguments: [nil, "", "0", "21601", "21700", "-5", "abc", "60s", " 60", "1e3", "999999999999999999999"] as [String?])
    func tokenTTLRejected(_ ttl: String?) {
        let response = putToken(ttl)
        #expect(response.status == 400)
        #expect(String(decoding: response.body, as: UTF8.self) == "Missing or Invalid Parameters")
    }

    @Test func tokenMustBePut() {
        let response = Self.router.respond(
            to: MetadataRequest(method: "GET", path: "/latest/api/token", tokenTTL: "60"), pod: Self.podA,
            settings: MetadataSettings(), credentials: nil, now: Self.now)
        #expect(response.status == 405)
        let post = Self.router.respond(
            to: MetadataRequest(method: "POST", path: "/latest/meta-data/"), pod: Self.podA, settings: MetadataSettings(),
            credentials: nil, now: Self.now)
        #expect(post.status == 405)
    }

    @Test func forwardedRequestsAreForbidden() {
        #expect(putToken("60", forwarded: true).status == 403)
        #expect(get("/latest/meta-data/ram/security-credentials/ECIRamRoleTest", forwarded: true).status == 403)
        let token = String(decoding: putToken("60").body, as: UTF8.self)
        #expect(get("/latest/meta-data/instance-id", token: token, forwarded: true).status == 403)
    }

    @Test func badOrExpiredTokensAreUnauthorized() {
        let token = String(decoding: putToken("60").body, as: UTF8.self)
        #expect(get("/latest/meta-data/instance-id", token: token, at: Self.now.addingTimeInterval(59)).status == 200)
        #expect(get("/latest/meta-data/instance-id", token: token, at: Self.now.addingTimeInterval(60)).status == 401)
        var tampered = Array(token.utf8)
        tampered[tampered.count - 1] = tampered.last == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        let extended = token.replacingOccurrences(of: token.prefix(while: { $0 != "." }), with: "99999999999")
        for bad in ["aaa", "", ".", String(decoding: tampered, as: UTF8.self), extended, token + "0"] {
            #expect(get("/latest/meta-data/instance-id", token: bad).status == 401, "\(bad)")
        }
    }

    @Test func tokensAreBoundToThePod() {
        let tokenA = String(decoding: putToken("21600", pod: Self.podA).body, as: UTF8.self)
        #expect(get("/latest/meta-data/ram/security-credentials/", pod: Self.podA, token: tokenA).status == 200)
        #expect(get("/latest/meta-data/ram/security-credentials/", pod: Self.podB, token: tokenA).status == 401)
        let otherNode = MetadataRouter(tokens: MetadataTokenAuthority(key: Array(repeating: 8, count: 32)))
        let response = otherNode.respond(
            to: MetadataRequest(method: "GET", path: "/latest/meta-data/", token: tokenA), pod: Self.podA,
            settings: MetadataSettings(), credentials: nil, now: Self.now)
        #expect(response.status == 401)
    }

    @Test func requiredTokens() {
        #expect(get("/latest/meta-data/ram/security-credentials/ECIRamRoleTest", require: true).status == 403)
        #expect(get("/latest/meta-data/", require: true).status == 403)
        // The token PUT itself needs no token.
        let token = String(decoding: putToken("30").body, as: UTF8.self)
        let response = get("/latest/meta-data/ram/security-credentials/ECIRamRoleTest", token: token, require: true)
        #expect(response.status == 200)
        #expect(get("/latest/meta-data/", token: "bad", require: true).status == 401)
    }

    @Test func timeFormat() {
        #expect(MetadataTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(MetadataTime.format(Date(timeIntervalSince1970: 1_731_059_090.999)) == "2024-11-08T09:44:50Z")
    }
}

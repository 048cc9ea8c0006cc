import Foundation
import LanyardControlPlane
import LanyardHTTP
import LanyardPolicy
import Testing
@testable import LanyardObjectStore

@Suite struct ObservationTests {
    @Test("every refusal kind is audited with who, what and where; successes and plain errors are not")
    func refusalsAreAudited() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        #expect(f.root.send("PUT", "/bkt/")?.status == 200)
        #expect(f.root.send("PUT", "/bkt/secret/k", body: [1, 2, 3])?.status == 200)
        #expect(f.root.send("GET", "/bkt/missing")?.status == 404)
        #expect(f.authority.audited.withLock { $0 }.isEmpty)

        f.authority.setPolicy { _, _ in .implicitDeny }
        #expect(f.user.send("GET", "/bkt/secret/k")?.code == "AccessDenied")
        f.authority.setPolicy { _, _ in .allow }
        var forged = f.user
        forged.secret = "wrong"
        #expect(forged.send("GET", "/bkt/secret/k")?.code == "SignatureDoesNotMatch")
        let unknown = TestClient(service: f.service, accessKeyId: "nobody", secret: "x")
        #expect(unknown.send("GET", "/bkt/secret/k")?.code == "InvalidAccessKeyId")
        var badToken = f.sts
        badToken.token = "forged-token"
        #expect(badToken.send("GET", "/bkt/secret/k")?.code == "InvalidSecurityToken")
        var expired = f.sts
        expired.token = "expired"
        #expect(expired.send("GET", "/bkt/secret/k")?.code == "SecurityTokenExpired")
        var skewed = f.user
        skewed.clockOffset = -16 * 60
        #expect(skewed.send("GET", "/bkt/secret/k")?.code == "RequestTimeTooSkewed")
        #expect(f.anonymous.send("GET", "/bkt/secret/k")?.code == "AccessDenied")

        let events = f.authority.audited.withLock { $0 }
        #expect(events.map(\.code) == [
            "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidSecurityToken",
            "SecurityTokenExpired", "RequestTimeTooSkewed", "AccessDenied",
        ])
        #expect(events.allSatisfy { $0.event == "Refused" && $0.service == "oss" && $0.sourceIp == "127.0.0.1" })
        #expect(events.allSatisfy { $0.requestId.count == 24 && $0.action == "oss:GetObject" && $0.status == 403 })
        #expect(events[0].caller == "acs:ram::1234567890123456:user/alice" && events[0].accessKeyId == "user-ak")
        #expect(events[0].resource == "acs:oss:*:1234567890123456:bkt/secret/k")
        #expect(events[1].accessKeyId == "user-ak" && events[1].caller == nil)
        #expect(events[2].accessKeyId == "nobody")
        #expect(events[3].accessKeyId == "STS.ak")
        #expect(events[6].accessKeyId == nil && events[6].caller == nil)
        // No secret and no token in any audited field.
        let text = events.map { String(describing: $0) }.joined()
        for secret in ["user-secret", "sts-secret", "forged-token", "good-token", "wrong"] {
            #expect(!text.contains(secret))
        }
    }

    @Test("one JSON log line per request: bucket, operation, status, code, key id, never the key")
    func requestLogLines() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        #expect(f.root.send("PUT", "/bkt/")?.status == 200)
        #expect(f.root.send("PUT", "/bkt/private-name.txt", body: Array(repeating: 7, count: 1000))?.status == 200)
        #expect(f.root.send("GET", "/bkt/private-name.txt")?.status == 200)
        #expect(f.root.send("GET", "/bkt/nope-name")?.status == 404)
        let lines = f.log.objects
        #expect(lines.count == 4)
        #expect(lines.map { $0["operation"] as? String } == ["PutBucket", "PutObject", "GetObject", "GetObject"])
        #expect(lines.map { $0["status"] as? Int } == [200, 200, 200, 404])
        #expect(lines.map { $0["code"] as? String } == ["OK", "OK", "OK", "NoSuchKey"])
        #expect(lines.allSatisfy { $0["bucket"] as? String == "bkt" && $0["accessKeyId"] as? String == "root-ak" })
        #expect(lines.allSatisfy { ($0["requestId"] as? String)?.count == 24 && $0["latencyMs"] is Double })
        #expect(lines[1]["bytesIn"] as? Int == 1000 && lines[2]["bytesOut"] as? Int == 1000)
        let raw = f.log.lines.withLock { $0 }.joined()
        #expect(!raw.contains("private-name") && !raw.contains("nope-name"))
    }

    @Test("requests, codes, latency and bytes appear in the Prometheus text")
    func metrics() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        #expect(f.root.send("PUT", "/bkt/")?.status == 200)
        #expect(f.root.send("PUT", "/bkt/k", body: Array(repeating: 1, count: 300))?.status == 200)
        #expect(f.root.send("GET", "/bkt/k")?.status == 200)
        #expect(f.root.send("GET", "/bkt/absent")?.status == 404)
        let text = f.service.metricsText
        #expect(text.contains(#"lanyard_oss_requests_total{operation="GetObject",code="OK"} 1"#))
        #expect(text.contains(#"lanyard_oss_requests_total{operation="GetObject",code="NoSuchKey"} 1"#))
        #expect(text.contains(#"lanyard_oss_request_duration_seconds_count{operation="PutObject"} 1"#))
        #expect(text.contains("lanyard_oss_received_bytes_total 300\n"))
        #expect(text.contains("lanyard_oss_sent_bytes_total "))
        #expect(!text.contains("lanyard_oss_sent_bytes_total 0\n"))
    }

    @Test("x-oss-meta-* over 8 KB in total is refused with InvalidArgument; 8 KB is accepted")
    func metadataLimit() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        #expect(f.root.send("PUT", "/bkt/")?.status == 200)
        // Eight headers of 1024 bytes (name + value) each: exactly 8 KB.
        func headers(extra: Int) -> [(String, String)] {
            (0..<8).map { i in
                let name = "x-oss-meta-m\(i)"
                return (name, String(repeating: "v", count: 1024 - name.utf8.count + (i == 0 ? extra : 0)))
            }
        }
        #expect(f.root.send("PUT", "/bkt/fits", headers: headers(extra: 0), body: [1])?.status == 200)
        let refused = f.root.send("PUT", "/bkt/too-much", headers: headers(extra: 1), body: [1])!
        #expect(refused.status == 400 && refused.code == "InvalidArgument")
        #expect(refused.element("ArgumentName") == ["x-oss-meta-*"])
        #expect(f.root.send("HEAD", "/bkt/too-much")?.status == 404)
    }

    @Test("a header block over the configured size gets the OSS XML error")
    func headerLimit() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        let refused = f.root.send("GET", "/", headers: [("x-big", String(repeating: "h", count: 70 * 1024))])!
        #expect(refused.status == 400 && refused.code == "InvalidArgument")
        #expect(refused.headers["x-oss-request-id"]?.count == 24)
    }

    @Test("x-oss-range-behavior: standard turns an unsatisfiable range into 416 InvalidRange", arguments: [
        ("bytes=100-", 416), ("bytes=100-200", 416), ("bytes=10-", 206), ("bytes=90-200", 206), ("bytes=-5", 206),
        ("bytes=5-2", 200), ("items=1-2", 200), ("bytes=0-99999999999999999999", 206), ("bytes=99999999999999999999-", 416),
        ("bytes=99999999999999999999-5", 200),
    ])
    func standardRange(range: String, status: Int) throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        #expect(f.root.send("PUT", "/bkt/")?.status == 200)
        #expect(f.root.send("PUT", "/bkt/k", body: Array(repeating: 3, count: 100))?.status == 200)
        let standard = f.root.send("GET", "/bkt/k", headers: [("Range", range), ("x-oss-range-behavior", "standard")])!
        #expect(standard.status == status)
        if status == 416 {
            #expect(standard.code == "InvalidRange" && standard.headers["Content-Range"] == "bytes */100")
        }
        // Without the header the legacy behaviour stays: never 416.
        let legacy = f.root.send("GET", "/bkt/k", headers: [("Range", range)])!
        #expect(legacy.status == (status == 416 ? 200 : status))
    }

    @Test("the standard behaviour of an empty object: any range is unsatisfiable")
    func standardRangeEmptyObject() {
        #expect(ByteRange.standard("bytes=0-", size: 0) == .unsatisfiable)
        #expect(ByteRange.standard("bytes=-1", size: 0) == .unsatisfiable)
        #expect(ByteRange.standard(nil, size: 0) == .whole)
        #expect(ByteRange.standard("bytes=0-0", size: 1) == .range(ByteRange(first: 0, last: 0)))
    }

    @Test("a body over a collect limit gets the OSS XML error with a request id")
    func bodyLimit() throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        let head = HTTPRequestHead(method: "POST", target: "/bkt/?delete", headers: HTTPHeaders([("Host", "oss.local")]),
                                   remoteAddress: "127.0.0.1")
        let response = f.service.limitExceeded(.body(limit: 2 << 20), head: head)
        let received = Received(status: response.status, headers: response.headers, body: TestClient.read(response.body))
        #expect(received.status == 400 && received.code == "EntityTooLarge")
        #expect(received.headers["x-oss-request-id"]?.count == 24)
        #expect(received.headers["Content-Type"] == "application/xml")
    }
}

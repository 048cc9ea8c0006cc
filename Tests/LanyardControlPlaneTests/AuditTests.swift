import Foundation
import LanyardHTTP
import LanyardControlPlane
import Testing

/// A stand-in for ECI admission: refuses with the codes ECI uses.
struct RefusingService: RPCService {
    func handle(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        switch request.parameters["RamRoleName"] {
        case "missing"?: throw RPCError(status: 404, code: "EntityNotExist.Role", message: "no such role")
        case "untrusted"?: throw RPCError(status: 403, code: "NoPermission", message: "not trusted")
        default: throw RPCError(status: 400, code: "InvalidParameter", message: "bad")
        }
    }
}

@Suite struct AuditTests {
    private func events(_ harness: Harness) throws -> [[String: Any]] {
        let text = try String(contentsOf: harness.directory.appendingPathComponent("audit.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test("ControlPlane.audit appends the structured event with its time")
    func publicAudit() throws {
        let harness = try Harness()
        harness.plane.audit(AuditEvent(
            event: "Refused", service: "oss", action: "oss:GetObject", resource: "acs:oss:*:1:b/k",
            code: "AccessDenied", status: 403, caller: "acs:ram::1:user/u", accessKeyId: "LTAIkey", sourceIp: "10.0.0.9",
            requestId: "RID", details: [("method", "GET")]))
        let entry = try #require(try events(harness).last)
        #expect(entry["event"] as? String == "Refused" && entry["service"] as? String == "oss")
        #expect(entry["action"] as? String == "oss:GetObject" && entry["resource"] as? String == "acs:oss:*:1:b/k")
        #expect(entry["code"] as? String == "AccessDenied" && entry["status"] as? Int == 403)
        #expect(entry["caller"] as? String == "acs:ram::1:user/u" && entry["accessKeyId"] as? String == "LTAIkey")
        #expect(entry["sourceIp"] as? String == "10.0.0.9" && entry["requestId"] as? String == "RID")
        #expect(entry["method"] as? String == "GET" && entry["time"] is String)
    }

    @Test("ECI admission refusals are audited, the missing role included; other ECI errors are not")
    func admissionRefusals() throws {
        let harness = try Harness()
        harness.plane.register(version: "2018-08-08", product: "Eci", service: RefusingService())
        for (role, status, code) in [("missing", 404, "EntityNotExist.Role"), ("untrusted", 403, "NoPermission"),
                                     ("other", 400, "InvalidParameter")] {
            let reply = harness.call("CreateContainerGroup", ["RamRoleName": role], as: harness.root,
                                     version: "2018-08-08")
            #expect(reply.status == status && reply.code == code)
        }
        let refused = try events(harness).filter { $0["event"] as? String == "Refused" }
        #expect(refused.map { $0["ramRoleName"] as? String } == ["missing", "untrusted"])
        #expect(refused.allSatisfy { $0["service"] as? String == "eci" && $0["action"] as? String == "CreateContainerGroup" })
        #expect(refused.allSatisfy { $0["caller"] as? String == "acs:ram::\(harness.accountId):root" })
    }

    @Test("a body over the limit gets the POP JSON error shape")
    func oversizedBody() throws {
        let harness = try Harness()
        let head = HTTPRequestHead(method: "POST", target: "/", headers: HTTPHeaders([("Host", "sts.local")]),
                                   remoteAddress: "127.0.0.1")
        let reply = Harness.decode(harness.plane.handler.limitExceeded(.body(limit: 10 << 20), head: head))
        #expect(reply.status == 413 && reply.code == "InvalidParameter")
        #expect((reply.message ?? "").contains("10485760"))
        #expect(reply.string("RequestId")?.isEmpty == false && reply.string("HostId") == "sts.local")
        #expect(reply.string("Recommend")?.hasPrefix("https://api.aliyun.com/troubleshoot?q=InvalidParameter") == true)
        #expect(reply.headers.contains { $0.name == "Content-Type" && $0.value.hasPrefix("application/json") })
    }

    @Test("other parts' metrics are appended to the exposition")
    func metricsSources() throws {
        let harness = try Harness()
        harness.plane.addMetrics { "lanyard_test_total 7\n" }
        #expect(harness.plane.metricsText.hasSuffix("lanyard_test_total 7\n"))
        #expect(harness.plane.metricsText.contains("lanyard_sts_sessions_issued_total 0\n"))
    }
}

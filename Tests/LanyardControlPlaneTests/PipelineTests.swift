import AlibabaCloudSigning
import Foundation
import LanyardHTTP
import LanyardControlPlane
import Testing

/// The POP RPC pipeline: parameters, signatures, timestamps, nonces, formats and errors.
@Suite struct PipelineTests {
    @Test func v1AndACS3CallsSucceedAndCarryAnUpperCaseRequestId() throws {
        let harness = try Harness()
        for style in [SignatureStyle.v1, .acs3] {
            let reply = harness.ok("GetCallerIdentity", as: harness.root, style: style)
            let requestId = try #require(reply.string("RequestId"))
            #expect(UUID(uuidString: requestId) != nil && requestId == requestId.uppercased())
            #expect(reply.string("IdentityType") == "Account")
            #expect(reply.headers.contains { $0.name == "Content-Type" && $0.value.hasPrefix("application/json") })
        }
    }

    @Test func errorsHaveTheSpecShape() throws {
        let harness = try Harness()
        let reply = harness.fails("GetRole", ["RoleName": "Nope"], status: 404, code: "EntityNotExist.Role")
        #expect(Set(reply.json.keys) == ["RequestId", "HostId", "Code", "Message", "Recommend"])
        #expect(reply.string("HostId") == "127.0.0.1:8100")
        #expect(reply.string("Recommend")?.hasPrefix("https://api.aliyun.com/troubleshoot?q=EntityNotExist.Role&product=Ram")
                == true)
    }

    @Test func missingActionVersionAndSignatureParameters() throws {
        let harness = try Harness()
        func send(_ pairs: [(name: String, value: String)]) -> Reply {
            let head = HTTPRequestHead(
                method: "POST", rawPath: "/", rawQuery: Harness.query(pairs), headers: HTTPHeaders([("Host", "h")]),
                remoteAddress: "127.0.0.1")
            return Harness.decode(harness.send(HTTPRequest(head: head, body: [])))
        }
        var reply = send([("Version", "2015-05-01")])
        #expect(reply.status == 400 && reply.code == "MissingParameter")
        #expect(reply.message == #"The input parameter "Action" that is mandatory for processing this request is not supplied."#)
        reply = send([("Action", "ListUsers")])
        #expect(reply.code == "MissingParameter" && reply.message?.contains(#""Version""#) == true)
        reply = send([("Action", "ListUsers"), ("Version", "2015-05-01")])
        #expect(reply.code == "MissingParameter" && reply.message?.contains(#""AccessKeyId""#) == true)
        reply = send([("Action", "ListUsers"), ("Version", "2015-05-01"), ("AccessKeyId", "x")])
        #expect(reply.code == "MissingParameter" && reply.message?.contains(#""Signature""#) == true)
        reply = send([("Action", "ListUsers"), ("Version", "2015-05-01"), ("AccessKeyId", "x"), ("Signature", "s")])
        #expect(reply.code == "MissingParameter" && reply.message?.contains(#""Timestamp""#) == true)
    }

    @Test func unknownVersionOrActionIsInvalidParameter() throws {
        let harness = try Harness()
        for (action, version) in [("ListUsers", "2099-01-01"), ("FlyToTheMoon", "2015-05-01"), ("FlyToTheMoon", "2015-04-01")] {
            let reply = harness.call(action, as: harness.root, version: version)
            #expect(reply.status == 400 && reply.code == "InvalidParameter")
            #expect(reply.message == #"The specified parameter "Action or Version" is not valid."#)
        }
    }

    @Test func wrongSecretGivesTheServerStringToSign() throws {
        let harness = try Harness()
        var wrong = harness.root
        wrong.secret = "not-the-secret"
        let reply = harness.fails("ListUsers", as: wrong, status: 400, code: "SignatureDoesNotMatch")
        let message = try #require(reply.message)
        #expect(message.hasPrefix("Specified signature is not matched with our calculation. server string to sign is:"))
        let stringToSign = message.components(separatedBy: "server string to sign is:").last ?? ""
        #expect(stringToSign.hasPrefix("POST&%2F&AccessKeyId%3D"))
        #expect(stringToSign.contains("Action%3DListUsers"))
        let acs3 = harness.fails("ListUsers", as: wrong, status: 400, code: "SignatureDoesNotMatch", style: .acs3)
        #expect(acs3.message?.contains("server string to sign is:ACS3-HMAC-SHA256\n") == true)
    }

    @Test func tamperedParametersFailTheSignature() throws {
        let harness = try Harness()
        let signed = RPCSignatureV1.sign(
            method: "POST", parameters: [("Action", "GetRole"), ("Version", "2015-05-01"), ("RoleName", "A")],
            accessKeyId: harness.root.accessKeyId, secret: harness.root.secret, securityToken: nil,
            date: harness.clock.now, nonce: "n-1")
        let tampered = signed.map { $0.name == "RoleName" ? (name: "RoleName", value: "B") : $0 }
        let head = HTTPRequestHead(
            method: "POST", rawPath: "/", rawQuery: Harness.query(tampered), headers: HTTPHeaders(), remoteAddress: "1.2.3.4")
        let reply = Harness.decode(harness.send(HTTPRequest(head: head, body: [])))
        #expect(reply.code == "SignatureDoesNotMatch")
        // The method is part of the V1 string to sign.
        let asGet = HTTPRequestHead(
            method: "GET", rawPath: "/", rawQuery: Harness.query(signed), headers: HTTPHeaders(), remoteAddress: "1.2.3.4")
        #expect(Harness.decode(harness.send(HTTPRequest(head: asGet, body: []))).code == "SignatureDoesNotMatch")
    }

    @Test func formBodyParametersAreMergedAndSigned() throws {
        let harness = try Harness()
        let signed = RPCSignatureV1.sign(
            method: "POST",
            parameters: [("Action", "CreateUser"), ("Version", "2015-05-01"), ("UserName", "form-user"),
                         ("Comments", "a b+c&d")],
            accessKeyId: harness.root.accessKeyId, secret: harness.root.secret, securityToken: nil,
            date: harness.clock.now, nonce: "form-1")
        let inQuery = signed.filter { ["Action", "Version", "Signature"].contains($0.name) }
        let inBody = signed.filter { !["Action", "Version", "Signature"].contains($0.name) }
        let head = HTTPRequestHead(
            method: "POST", rawPath: "/", rawQuery: Harness.query(inQuery),
            headers: HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")]), remoteAddress: "127.0.0.1")
        let body = Array(inBody.map { "\($0.name)=\(PercentEncoding.rfc3986($0.value))" }.joined(separator: "&").utf8)
        let reply = Harness.decode(harness.send(HTTPRequest(head: head, body: body)))
        #expect(reply.status == 200, "\(reply.body)")
        #expect(harness.ok("GetUser", ["UserName": "form-user"]).string("User.Comments") == "a b+c&d")
    }

    @Test func getRequestsWork() throws {
        let harness = try Harness()
        let reply = harness.call("GetCallerIdentity", as: harness.root, method: "GET")
        #expect(reply.status == 200)
    }

    @Test func timestampsOutsideFifteenMinutesAreRefused() throws {
        let harness = try Harness()
        let now = harness.clock.now
        #expect(harness.call("ListUsers", date: now.addingTimeInterval(-14 * 60)).status == 200)
        #expect(harness.call("ListUsers", date: now.addingTimeInterval(14 * 60)).status == 200)
        for offset: TimeInterval in [-960, 960] {
            for style in [SignatureStyle.v1, .acs3] {
                let reply = harness.call("ListUsers", style: style, date: now.addingTimeInterval(offset))
                #expect(reply.status == 400 && reply.code == "InvalidTimeStamp.Expired")
                #expect(reply.message == "Specified time stamp or date value is expired.")
            }
        }
    }

    @Test func aReusedNonceIsRefused() throws {
        let harness = try Harness()
        for style in [SignatureStyle.v1, .acs3] {
            let nonce = "reused-\(style)"
            #expect(harness.call("ListUsers", style: style, nonce: nonce).status == 200)
            let again = harness.call("ListUsers", style: style, nonce: nonce)
            #expect(again.status == 400 && again.code == "SignatureNonceUsed")
            #expect(again.message == "Specified signature nonce was used already.")
        }
        // A request that fails authentication does not burn its nonce.
        var wrong = harness.root
        wrong.secret = "bad"
        #expect(harness.call("ListUsers", as: wrong, nonce: "fresh").code == "SignatureDoesNotMatch")
        #expect(harness.call("ListUsers", nonce: "fresh").status == 200)
    }

    @Test func acs3BodyHashAndSignedHeadersAreChecked() throws {
        let harness = try Harness()
        let body = Array("RoleName=Other".utf8)
        var headers = ACS3Signature.sign(
            method: "POST", path: "/", query: [("RoleName", "A")], host: "127.0.0.1:8100", action: "GetRole",
            version: "2015-05-01", body: Array("RoleName=A".utf8), accessKeyId: harness.root.accessKeyId,
            secret: harness.root.secret, securityToken: nil, date: harness.clock.now, nonce: "acs3-body")
        var head = HTTPRequestHead(
            method: "POST", rawPath: "/", rawQuery: "RoleName=A", headers: HTTPHeaders(headers.map { ($0.name, $0.value) }),
            remoteAddress: "127.0.0.1")
        #expect(Harness.decode(harness.send(HTTPRequest(head: head, body: body))).code == "SignatureDoesNotMatch")

        // Dropping x-acs-date from the signed headers is refused before any signature check.
        headers = headers.map { header in
            guard header.name == "authorization" else { return header }
            return (header.name, header.value.replacingOccurrences(of: "x-acs-date;", with: ""))
        }
        head = HTTPRequestHead(
            method: "POST", rawPath: "/", rawQuery: "RoleName=A", headers: HTTPHeaders(headers.map { ($0.name, $0.value) }),
            remoteAddress: "127.0.0.1")
        #expect(Harness.decode(harness.send(HTTPRequest(head: head, body: []))).code == "IncompleteSignature")

        let garbage = HTTPRequestHead(
            method: "POST", rawPath: "/", rawQuery: nil,
            headers: HTTPHeaders([("authorization", "ACS3-HMAC-SHA256 nonsense"), ("x-acs-action", "ListUsers"),
                                  ("x-acs-version", "2015-05-01")]),
            remoteAddress: "127.0.0.1")
        #expect(Harness.decode(harness.send(HTTPRequest(head: garbage, body: []))).code == "IncompleteSignature")
    }

    @Test func unknownAndDisabledAccessKeys() throws {
        let harness = try Harness()
        let unknown = Credentials(accessKeyId: "LTAInotakey", secret: "x")
        let reply = harness.fails("ListUsers", as: unknown, status: 404, code: "InvalidAccessKeyId.NotFound")
        #expect(reply.message == "Specified access key is not found.")
        let alice = harness.user("alice", system: ["AliyunRAMReadOnlyAccess"])
        harness.ok("ListUsers", as: alice)
        harness.ok("UpdateAccessKey", ["UserName": "alice", "UserAccessKeyId": alice.accessKeyId, "Status": "Inactive"])
        harness.fails("ListUsers", as: alice, status: 400, code: "InvalidAccessKeyId.Inactive")
        harness.ok("UpdateAccessKey", ["UserName": "alice", "UserAccessKeyId": alice.accessKeyId, "Status": "Active"])
        harness.ok("ListUsers", as: alice)
    }

    @Test func xmlFormatRendersResultsAndErrors() throws {
        let harness = try Harness()
        harness.ok("CreateRole", ["RoleName": "X", "AssumeRolePolicyDocument": harness.trust(["acs:ram::\(harness.accountId):root"])])
        let list = harness.call("ListRoles", format: "xml")
        #expect(list.status == 200)
        #expect(list.body.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?><ListRolesResponse><RequestId>"#))
        #expect(list.body.contains("<Roles><Role><Arn>acs:ram::\(harness.accountId):role/X</Arn>"))
        #expect(list.headers.contains { $0.name == "Content-Type" && $0.value == "text/xml;charset=utf-8" })
        let error = harness.call("GetRole", ["RoleName": "Nope"], format: "XML")
        #expect(error.status == 404)
        #expect(error.body.contains("<Error><RequestId>") && error.body.contains("<Code>EntityNotExist.Role</Code>"))
    }

    @Test func metricsCountRequestsByActionAndCode() throws {
        let harness = try Harness()
        harness.ok("ListUsers")
        harness.fails("GetUser", ["UserName": "nobody"], status: 404, code: "EntityNotExist.User")
        let head = HTTPRequestHead(method: "GET", rawPath: "/metrics", rawQuery: nil, headers: HTTPHeaders(), remoteAddress: "127.0.0.1")
        let response = harness.send(HTTPRequest(head: head, body: []))
        #expect(response.status == 200)
        let text = Harness.decode(response).body
        #expect(text.contains(#"lanyard_rpc_requests_total{action="ListUsers",code="OK"} 1"#))
        #expect(text.contains(#"lanyard_rpc_requests_total{action="GetUser",code="EntityNotExist.User"} 1"#))
        #expect(text.contains(#"lanyard_rpc_request_duration_seconds_count{action="ListUsers"} 1"#))
        #expect(text.contains(#"lanyard_rpc_request_duration_seconds_bucket{action="ListUsers",le="+Inf"} 1"#))
        #expect(text.contains("lanyard_sts_sessions_issued_total 0"))
    }

    @Test func logLinesAreJSONAndCarryNoSecrets() throws {
        let harness = try Harness()
        let alice = harness.user("alice", system: ["AliyunSTSAssumeRoleAccess"])
        harness.role("Reader")
        let session = harness.assume("Reader", as: alice)
        harness.ok("GetCallerIdentity", as: session)
        let lines = harness.logs.all
        #expect(lines.count >= 5)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["time"] != nil && object?["msg"] != nil)
            for secret in [harness.root.secret, alice.secret, session.secret, session.token ?? "-"] {
                #expect(!line.contains(secret))
            }
        }
        #expect(lines.contains { $0.contains(#""action":"AssumeRole""#) && $0.contains(#""code":"OK""#) })
    }
}

import AlibabaCloudSigning
import Foundation
import Testing

@Suite struct RPCSignatureV1Tests {
    /// IMS "Request signatures" doc example (spec sts-ram-policy.md §1.2).
    @Test func documentationVector() {
        let parameters: [(name: String, value: String)] = [
            ("AccessKeyId", "testid"), ("Action", "CreateUser"), ("DisplayName", "test"), ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", "3f6b4e80-56f7-11eb-a256-a9f756ea7e85"),
            ("SignatureVersion", "1.0"), ("Timestamp", "2021-01-15T06:02:28Z"),
            ("UserPrincipalName", "test@example.onaliyun.com"), ("Version", "2019-08-15"),
        ]
        let expected =
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateUser%26DisplayName%3Dtest%26Format%3DJSON%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3f6b4e80-56f7-11eb-a256-a9f756ea7e85%26SignatureVersion%3D1.0%26Timestamp%3D2021-01-15T06%253A02%253A28Z%26UserPrincipalName%3Dtest%2540example.onaliyun.com%26Version%3D2019-08-15"
        #expect(RPCSignatureV1.stringToSign(method: "GET", parameters: parameters.reversed()) == expected)
        #expect(RPCSignatureV1.signature(stringToSign: expected, secret: "testsecret") == "02heLegtw4+BFamznl1Ltj+vJ4A=")
    }

    /// aliyun-python-sdk-core 2.16.1 `rpc_signature_composer.get_signed_url` with Timestamp and nonce fixed:
    /// STS token, a value with space, `*`, `~` and `ü`, secret with `/` and `+`.
    static let coreURL =
        "Action=AssumeRole&Version=2015-04-01&RegionId=cn-hangzhou&RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Fapp&RoleSessionName=sess%201%2A~%C3%BC&DurationSeconds=900&SecurityToken=CAIS%2Btok%2Fen%3D%3D&Timestamp=2024-03-05T07%3A08%3A09Z&SignatureMethod=HMAC-SHA1&SignatureType=&SignatureVersion=1.0&SignatureNonce=0f1e2d3c4b5a69788796a5b4c3d2e1f0&AccessKeyId=LTAIak&Format=JSON&Signature=G7j7J50rUvxJmDYtL8zCPD7BuXU%3D"
    static let coreStringToSign =
        "POST&%2F&AccessKeyId%3DLTAIak%26Action%3DAssumeRole%26DurationSeconds%3D900%26Format%3DJSON%26RegionId%3Dcn-hangzhou%26RoleArn%3Dacs%253Aram%253A%253A1234567890123456%253Arole%252Fapp%26RoleSessionName%3Dsess%25201%252A~%25C3%25BC%26SecurityToken%3DCAIS%252Btok%252Fen%253D%253D%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D0f1e2d3c4b5a69788796a5b4c3d2e1f0%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2024-03-05T07%253A08%253A09Z%26Version%3D2015-04-01"

    @Test func serverRecomputesCoreSDKRequest() {
        let parameters = PercentEncoding.parseQuery(Self.coreURL)
        #expect(RPCSignatureV1.stringToSign(method: "POST", parameters: parameters) == Self.coreStringToSign)
        let sent = parameters.first { $0.name == "Signature" }!.value
        #expect(sent == "G7j7J50rUvxJmDYtL8zCPD7BuXU=")
        #expect(RPCSignatureV1.isValid(signature: sent, method: "POST", parameters: parameters, secret: "secret/Key+1"))
        #expect(!RPCSignatureV1.isValid(signature: sent, method: "GET", parameters: parameters, secret: "secret/Key+1"))
        #expect(!RPCSignatureV1.isValid(signature: sent, method: "POST", parameters: parameters, secret: "secret/Key+2"))
    }

    /// Same client: a GET with a form body parameter merged into the signed set (`Body Param=a&b=c`).
    @Test func serverMergesBodyParameters() {
        let query = PercentEncoding.parseQuery(
            "Action=GetCallerIdentity&Version=2015-04-01&Timestamp=2024-03-05T07%3A08%3A09Z&SignatureMethod=HMAC-SHA1&SignatureType=&SignatureVersion=1.0&SignatureNonce=0f1e2d3c4b5a69788796a5b4c3d2e1f0&AccessKeyId=testid&Format=JSON&Signature=AL%2FvbPaUeomEonkfok1uMgyaUU8%3D"
        )
        let body = PercentEncoding.parseQuery("Body+Param=a%26b%3Dc")
        let all = query + body
        #expect(
            RPCSignatureV1.stringToSign(method: "GET", parameters: all)
                == "GET&%2F&AccessKeyId%3Dtestid%26Action%3DGetCallerIdentity%26Body%2520Param%3Da%2526b%253Dc%26Format%3DJSON%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D0f1e2d3c4b5a69788796a5b4c3d2e1f0%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2024-03-05T07%253A08%253A09Z%26Version%3D2015-04-01"
        )
        #expect(RPCSignatureV1.isValid(signature: "AL/vbPaUeomEonkfok1uMgyaUU8=", method: "GET", parameters: all, secret: "testsecret"))
        #expect(!RPCSignatureV1.isValid(signature: "AL/vbPaUeomEonkfok1uMgyaUU8=", method: "GET", parameters: query, secret: "testsecret"))
    }

    /// Our client reproduces the core SDK's request byte for byte in signature.
    @Test func clientSignMatchesCoreSDK() {
        let apiParameters: [(name: String, value: String)] = [
            ("Action", "AssumeRole"), ("Version", "2015-04-01"), ("RegionId", "cn-hangzhou"),
            ("RoleArn", "acs:ram::1234567890123456:role/app"), ("RoleSessionName", "sess 1*~ü"),
            ("DurationSeconds", "900"), ("Format", "JSON"), ("SignatureType", ""),
        ]
        let signed = RPCSignatureV1.sign(
            method: "POST", parameters: apiParameters, accessKeyId: "LTAIak", secret: "secret/Key+1",
            securityToken: "CAIS+tok/en==", date: vectorDate, nonce: "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
        let byName = Dictionary(signed.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["Signature"] == "G7j7J50rUvxJmDYtL8zCPD7BuXU=")
        #expect(byName["Timestamp"] == "2024-03-05T07:08:09Z")
        #expect(byName["SignatureMethod"] == "HMAC-SHA1")
        #expect(byName["SignatureVersion"] == "1.0")
        #expect(byName["SecurityToken"] == "CAIS+tok/en==")
        #expect(byName["AccessKeyId"] == "LTAIak")
        #expect(signed.count == apiParameters.count + 7)
        #expect(signed.last?.name == "Signature")
    }

    @Test func clientWithoutTokenOmitsSecurityTokenAndReplacesStaleSigningParameters() {
        let signed = RPCSignatureV1.sign(
            method: "GET", parameters: [("Action", "GetCallerIdentity"), ("Signature", "stale"), ("Timestamp", "old")],
            accessKeyId: "ak", secret: "sk", securityToken: nil, date: vectorDate, nonce: "n")
        #expect(!signed.contains { $0.name == "SecurityToken" })
        #expect(signed.filter { $0.name == "Signature" }.count == 1)
        #expect(signed.filter { $0.name == "Timestamp" }.map(\.value) == ["2024-03-05T07:08:09Z"])
    }

    /// Client sign → wire (query string) → server parse → recompute; and every mutation fails.
    @Test func roundTripAndMutations() {
        let signed = RPCSignatureV1.sign(
            method: "POST", parameters: [("Action", "CreateUser"), ("UserName", "a b+c*~/é"), ("Version", "2015-05-01")],
            accessKeyId: "ak", secret: "s3cr3t", securityToken: "tok", date: vectorDate, nonce: "abc")
        let wire = PercentEncoding.formatQuery(signed.map { ($0.name, Optional($0.value)) })
        let received = PercentEncoding.parseQuery(wire)
        let signature = received.first { $0.name == "Signature" }!.value
        #expect(RPCSignatureV1.isValid(signature: signature, method: "POST", parameters: received, secret: "s3cr3t"))

        var changedValue = received
        changedValue[1].value = "a b+c*~/e"
        var extra = received
        extra.append(("Extra", ""))
        var renamed = received
        renamed[1].name = "Username"
        for (parameters, secret) in [(changedValue, "s3cr3t"), (extra, "s3cr3t"), (renamed, "s3cr3t"), (received, "s3cr3T")] {
            #expect(!RPCSignatureV1.isValid(signature: signature, method: "POST", parameters: parameters, secret: secret))
        }
    }
}

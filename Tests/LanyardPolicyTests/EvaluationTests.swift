import Testing
import LanyardPolicy

@Suite("Evaluation across policies")
struct EvaluationTests {
    static let readAll = try! Policy(parsing: document(#"{"Effect":"Allow","Action":["oss:Get*","oss:List*"],"Resource":"acs:oss:*:*:*"}"#))
    static let writeBucketB = try! Policy(parsing: document(#"{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:b/*"}"#))
    static let denySecret = try! Policy(parsing: document(#"{"Effect":"Deny","Action":"oss:*","Resource":"acs:oss:*:*:b/secret/*"}"#))
    static let everything = try! Policy(parsing: document(#"{"Effect":"Allow","Action":"*","Resource":"*"}"#))

    static func request(_ action: String, _ key: String) -> AuthorizationRequest {
        .init(action: action, resource: "acs:oss:*:*:b/\(key)")
    }

    @Test("nothing attached is an implicit deny")
    func noPolicies() {
        #expect(PolicyEvaluator.evaluate(identityPolicies: [], sessionPolicy: nil, request: Self.request("oss:GetObject", "k")) == .implicitDeny)
        #expect(PolicyEvaluator.evaluate(identityPolicies: [], sessionPolicy: Self.everything, request: Self.request("oss:GetObject", "k")) == .implicitDeny)
    }

    @Test("identity policies are a union of allows")
    func union() {
        let policies = [Self.readAll, Self.writeBucketB]
        #expect(PolicyEvaluator.evaluate(identityPolicies: policies, sessionPolicy: nil, request: Self.request("oss:GetObject", "k")) == .allow)
        #expect(PolicyEvaluator.evaluate(identityPolicies: policies, sessionPolicy: nil, request: Self.request("oss:PutObject", "k")) == .allow)
        #expect(PolicyEvaluator.evaluate(identityPolicies: policies, sessionPolicy: nil, request: Self.request("oss:DeleteObject", "k")) == .implicitDeny)
    }

    @Test("an explicit Deny in one policy beats an Allow in another, in either order")
    func denyBeatsAllow() {
        for policies in [[Self.everything, Self.denySecret], [Self.denySecret, Self.everything]] {
            #expect(PolicyEvaluator.evaluate(identityPolicies: policies, sessionPolicy: nil, request: Self.request("oss:GetObject", "secret/x")) == .explicitDeny)
            #expect(PolicyEvaluator.evaluate(identityPolicies: policies, sessionPolicy: nil, request: Self.request("oss:GetObject", "public/x")) == .allow)
        }
        // A Deny alone is still explicit even though nothing allows.
        #expect(PolicyEvaluator.evaluate(identityPolicies: [Self.denySecret], sessionPolicy: nil, request: Self.request("oss:GetObject", "secret/x")) == .explicitDeny)
    }

    @Test("a session policy intersects with the role's policies")
    func sessionIntersection() {
        let role = [Self.readAll, Self.writeBucketB]
        let sessionReadOnly = try! Policy(parsing: document(#"{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}"#))
        func decide(_ action: String, _ session: Policy?) -> Decision {
            PolicyEvaluator.evaluate(identityPolicies: role, sessionPolicy: session, request: Self.request(action, "k"))
        }
        #expect(decide("oss:GetObject", sessionReadOnly) == .allow)          // both allow
        #expect(decide("oss:PutObject", sessionReadOnly) == .implicitDeny)   // role allows, session does not
        #expect(decide("oss:PutObject", nil) == .allow)                      // without a session policy the role decides
        #expect(decide("oss:DeleteObject", Self.everything) == .implicitDeny)  // session allows, role does not
    }

    @Test("a Deny in the session policy is explicit")
    func sessionDeny() {
        #expect(PolicyEvaluator.evaluate(identityPolicies: [Self.everything], sessionPolicy: Self.denySecret,
                                         request: Self.request("oss:GetObject", "secret/x")) == .explicitDeny)
        // A deny-only session policy allows nothing else either.
        #expect(PolicyEvaluator.evaluate(identityPolicies: [Self.everything], sessionPolicy: Self.denySecret,
                                         request: Self.request("oss:GetObject", "public/x")) == .implicitDeny)
    }

    @Test("single-policy evaluate agrees with the evaluator")
    func agreesWithEvaluator() {
        for policy in [Self.readAll, Self.writeBucketB, Self.denySecret, Self.everything] {
            for action in ["oss:GetObject", "oss:PutObject", "oss:DeleteObject"] {
                for key in ["k", "secret/x"] {
                    let request = Self.request(action, key)
                    #expect(policy.evaluate(request) == PolicyEvaluator.evaluate(identityPolicies: [policy], sessionPolicy: nil, request: request))
                }
            }
        }
    }

    @Test("the seed's PassRole policy")
    func seedPassRole() throws {
        // /work/shared/seed/passrole-policy.json, verbatim.
        let policy = try Policy(parsing: """
            {
              "Statement": [
                {
                  "Effect": "Allow",
                  "Action": "ram:PassRole",
                  "Resource": "acs:ram:*:*:role/ECIRamRoleTest"
                }
              ],
              "Version": "1"
            }
            """, as: .identity)
        let account = "1234567890123456"
        #expect(policy.evaluate(.init(action: "ram:PassRole", resource: "acs:ram:*:\(account):role/ECIRamRoleTest")) == .allow)
        #expect(policy.evaluate(.init(action: "ram:PassRole", resource: "acs:ram:*:\(account):role/OtherRole")) == .implicitDeny)
        #expect(policy.evaluate(.init(action: "ram:PassRole", resource: "acs:ram:*:\(account):role/ecisramroletest")) == .implicitDeny)
        #expect(policy.evaluate(.init(action: "ram:CreateRole", resource: "acs:ram:*:\(account):role/ECIRamRoleTest")) == .implicitDeny)
    }

    @Test("a 20-statement policy with wildcards and conditions decides correctly")
    func largePolicy() throws {
        var statements: [String] = []
        for i in 0..<18 {
            statements.append(#"{"Effect":"Allow","Action":["oss:Get*","oss:List*"],"Resource":"acs:oss:*:*:bucket\#(i)/*","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"Bool":{"acs:SecureTransport":"true"}}}"#)
        }
        statements.append(#"{"Effect":"Deny","Action":"oss:*","Resource":"acs:oss:*:*:bucket7/private/*"}"#)
        statements.append(#"{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:bucket?/uploads/*","Condition":{"DateLessThan":{"acs:CurrentTime":"2030-01-01T00:00:00Z"}}}"#)
        let policy = try Policy(parsing: document(statements.joined(separator: ",")))
        let context = ["acs:SourceIp": ["10.1.2.3"], "acs:SecureTransport": ["true"], "acs:CurrentTime": ["2025-06-01T12:00:00Z"]]
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: "acs:oss:*:*:bucket17/a", context: context)) == .allow)
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: "acs:oss:*:*:bucket18/a", context: context)) == .implicitDeny)
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: "acs:oss:*:*:bucket7/private/a", context: context)) == .explicitDeny)
        #expect(policy.evaluate(.init(action: "oss:PutObject", resource: "acs:oss:*:*:bucket3/uploads/x", context: context)) == .allow)
        #expect(policy.evaluate(.init(action: "oss:PutObject", resource: "acs:oss:*:*:bucket13/uploads/x", context: context)) == .implicitDeny)
        var insecure = context
        insecure["acs:SecureTransport"] = ["false"]
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: "acs:oss:*:*:bucket17/a", context: insecure)) == .implicitDeny)
    }
}

import Testing
import LanyardPolicy

@Suite("Trust policies")
struct TrustTests {
    static let account = "1234567890123456"
    static let other = "6543210987654321"

    struct Case: CustomTestStringConvertible, Sendable {
        let principalJSON: String
        let principal: TrustPrincipal
        let decision: Decision
        var testDescription: String { "\(principalJSON) ∋ \(principal) → \(decision)" }
    }

    static let cases: [Case] = [
        // acs:ram::<uid>:root = the account, its users and its role sessions; not other accounts.
        .init(principalJSON: #"{"RAM":"acs:ram::\#(account):root"}"#, principal: .account(accountId: account), decision: .allow),
        .init(principalJSON: #"{"RAM":"acs:ram::\#(account):root"}"#, principal: .ramUser(accountId: account, userName: "alice"), decision: .allow),
        .init(principalJSON: #"{"RAM":"acs:ram::\#(account):root"}"#, principal: .ramRole(accountId: account, roleName: "r"), decision: .allow),
        .init(principalJSON: #"{"RAM":"acs:ram::\#(account):root"}"#, principal: .ramUser(accountId: other, userName: "alice"), decision: .implicitDeny),
        .init(principalJSON: #"{"RAM":"acs:ram::\#(account):root"}"#, principal: .account(accountId: other), decision: .implicitDeny),
        .init(principalJSON: #"{"RAM":"acs:ram::\#(account):root"}"#, principal: .service("ecs.aliyuncs.com"), decision: .implicitDeny),
        // Exact user and role ARNs.
        .init(principalJSON: #"{"RAM":["acs:ram::\#(account):user/alice"]}"#, principal: .ramUser(accountId: account, userName: "alice"), decision: .allow),
        .init(principalJSON: #"{"RAM":["acs:ram::\#(account):user/alice"]}"#, principal: .ramUser(accountId: account, userName: "bob"), decision: .implicitDeny),
        .init(principalJSON: #"{"RAM":["acs:ram::\#(account):user/alice"]}"#, principal: .ramRole(accountId: account, roleName: "alice"), decision: .implicitDeny),
        .init(principalJSON: #"{"RAM":["acs:ram::\#(account):user/alice"]}"#, principal: .account(accountId: account), decision: .implicitDeny),
        .init(principalJSON: #"{"RAM":"acs:ram::\#(account):role/builder"}"#, principal: .ramRole(accountId: account, roleName: "builder"), decision: .allow),
        .init(principalJSON: #"{"RAM":"acs:ram::\#(account):role/builder"}"#, principal: .ramRole(accountId: other, roleName: "builder"), decision: .implicitDeny),
        // Wildcards in ARNs.
        .init(principalJSON: #"{"RAM":"acs:ram::\#(account):user/dev-*"}"#, principal: .ramUser(accountId: account, userName: "dev-1"), decision: .allow),
        .init(principalJSON: #"{"RAM":"acs:ram::\#(account):user/dev-*"}"#, principal: .ramUser(accountId: account, userName: "ops-1"), decision: .implicitDeny),
        .init(principalJSON: #"{"RAM":"acs:ram::*:role/ci"}"#, principal: .ramRole(accountId: other, roleName: "ci"), decision: .allow),
        .init(principalJSON: #"{"RAM":"acs:ram::*:root"}"#, principal: .ramUser(accountId: other, userName: "x"), decision: .allow),
        .init(principalJSON: #"{"RAM":"*"}"#, principal: .ramUser(accountId: other, userName: "x"), decision: .allow),
        .init(principalJSON: #"{"RAM":"*"}"#, principal: .service("ecs.aliyuncs.com"), decision: .implicitDeny),
        // Service principals: names compare ignoring case.
        .init(principalJSON: #"{"Service":["ecs.aliyuncs.com"]}"#, principal: .service("ecs.aliyuncs.com"), decision: .allow),
        .init(principalJSON: #"{"Service":["ecs.aliyuncs.com"]}"#, principal: .service("ECS.aliyuncs.com"), decision: .allow),
        .init(principalJSON: #"{"Service":["ecs.aliyuncs.com"]}"#, principal: .service("eci.aliyuncs.com"), decision: .implicitDeny),
        .init(principalJSON: #"{"Service":["ecs.aliyuncs.com"]}"#, principal: .ramUser(accountId: account, userName: "ecs.aliyuncs.com"), decision: .implicitDeny),
        .init(principalJSON: #"{"Service":"*.aliyuncs.com"}"#, principal: .service("fc.aliyuncs.com"), decision: .allow),
        // Federated principals.
        .init(principalJSON: #"{"Federated":"acs:ram::\#(account):saml-provider/idp"}"#, principal: .federated("acs:ram::\(account):saml-provider/idp"), decision: .allow),
        .init(principalJSON: #"{"Federated":"acs:ram::\#(account):saml-provider/idp"}"#, principal: .federated("acs:ram::\(account):saml-provider/other"), decision: .implicitDeny),
        .init(principalJSON: #"{"Federated":"acs:ram::\#(account):oidc-provider/*"}"#, principal: .federated("acs:ram::\(account):oidc-provider/k8s"), decision: .allow),
        .init(principalJSON: #"{"Federated":"acs:ram::\#(account):saml-provider/idp"}"#, principal: .service("acs:ram::\(account):saml-provider/idp"), decision: .implicitDeny),
        // Several kinds in one element are OR'ed; "*" is everyone.
        .init(principalJSON: #"{"Service":"ecs.aliyuncs.com","RAM":"acs:ram::\#(account):root"}"#, principal: .ramUser(accountId: account, userName: "u"), decision: .allow),
        .init(principalJSON: #""*""#, principal: .service("anything"), decision: .allow),
        .init(principalJSON: #""*""#, principal: .federated("acs:ram::1:saml-provider/p"), decision: .allow),
    ]

    @Test("principal kinds", arguments: cases)
    func principals(_ testCase: Case) throws {
        let policy = try Policy(parsing: document(#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":\#(testCase.principalJSON)}"#), as: .trust)
        #expect(policy.evaluateTrust(principal: testCase.principal, context: [:]) == testCase.decision)
    }

    @Test("Action must match sts:AssumeRole (case-insensitive, wildcards, NotAction)")
    func actions() throws {
        let user = TrustPrincipal.ramUser(accountId: Self.account, userName: "u")
        for (action, decision) in [(#""sts:AssumeRole""#, Decision.allow), (#""STS:assumerole""#, .allow), (#""sts:*""#, .allow),
                                   (#""*""#, .allow), (#""sts:Assume?ole""#, .allow), (#""sts:AssumeRoleWithSAML""#, .implicitDeny),
                                   (#""oss:*""#, .implicitDeny), (#"["oss:GetObject","sts:AssumeRole"]"#, .allow)] {
            let policy = try Policy(parsing: document(#"{"Effect":"Allow","Action":\#(action),"Principal":{"RAM":"acs:ram::\#(Self.account):root"}}"#))
            #expect(policy.evaluateTrust(principal: user, context: [:]) == decision, "Action \(action)")
        }
        let notAction = try Policy(parsing: document(#"{"Effect":"Allow","NotAction":"sts:AssumeRole","Principal":"*"}"#))
        #expect(notAction.evaluateTrust(principal: user, context: [:]) == .implicitDeny)
    }

    @Test("a Deny statement wins; statements without Principal are ignored")
    func denyWins() throws {
        let policy = try Policy(parsing: document("""
            {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::\(Self.account):root"}},
            {"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::\(Self.account):user/mallory"}},
            {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}
            """))
        #expect(policy.evaluateTrust(principal: .ramUser(accountId: Self.account, userName: "alice"), context: [:]) == .allow)
        #expect(policy.evaluateTrust(principal: .ramUser(accountId: Self.account, userName: "mallory"), context: [:]) == .explicitDeny)
        #expect(policy.evaluateTrust(principal: .ramUser(accountId: Self.other, userName: "alice"), context: [:]) == .implicitDeny)
    }

    @Test("conditions: sts:ExternalId and the source address")
    func conditions() throws {
        let policy = try Policy(parsing: document("""
            {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::\(Self.other):root"},
             "Condition":{"StringEquals":{"sts:ExternalId":"abc-123"},"IpAddressIfExists":{"acs:SourceIp":"10.0.0.0/8"}}}
            """), as: .trust)
        let partner = TrustPrincipal.ramUser(accountId: Self.other, userName: "svc")
        #expect(policy.evaluateTrust(principal: partner, context: ["sts:ExternalId": ["abc-123"]]) == .allow)
        #expect(policy.evaluateTrust(principal: partner, context: ["sts:ExternalId": ["abc-123"], "acs:SourceIp": ["10.2.3.4"]]) == .allow)
        #expect(policy.evaluateTrust(principal: partner, context: ["sts:ExternalId": ["abc-123"], "acs:SourceIp": ["8.8.8.8"]]) == .implicitDeny)
        #expect(policy.evaluateTrust(principal: partner, context: ["sts:ExternalId": ["wrong"]]) == .implicitDeny)
        #expect(policy.evaluateTrust(principal: partner, context: [:]) == .implicitDeny)
    }

    @Test("the seed's ECS trust policy")
    func seedTrustPolicy() throws {
        // /work/shared/seed/trust-policy-ecs.json, verbatim.
        let policy = try Policy(parsing: """
            {
              "Statement": [
                {
                  "Action": "sts:AssumeRole",
                  "Effect": "Allow",
                  "Principal": { "Service": ["ecs.aliyuncs.com"] }
                }
              ],
              "Version": "1"
            }
            """, as: .trust)
        #expect(policy.evaluateTrust(principal: .service("ecs.aliyuncs.com"), context: [:]) == .allow)
        #expect(policy.evaluateTrust(principal: .service("eci.aliyuncs.com"), context: [:]) == .implicitDeny)
        #expect(policy.evaluateTrust(principal: .account(accountId: Self.account), context: [:]) == .implicitDeny)
        #expect(policy.evaluateTrust(principal: .ramUser(accountId: Self.account, userName: "admin"), context: [:]) == .implicitDeny)
    }

    @Test("principal descriptions are their ARNs or service names")
    func descriptions() {
        #expect(TrustPrincipal.ramUser(accountId: "1", userName: "u").description == "acs:ram::1:user/u")
        #expect(TrustPrincipal.ramRole(accountId: "1", roleName: "r").description == "acs:ram::1:role/r")
        #expect(TrustPrincipal.account(accountId: "1").description == "acs:ram::1:root")
        #expect(TrustPrincipal.service("ecs.aliyuncs.com").description == "ecs.aliyuncs.com")
    }
}

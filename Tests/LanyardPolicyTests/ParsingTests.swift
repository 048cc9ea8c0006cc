import Testing
@testable import LanyardPolicy

/// A document with the given statements (JSON text of one or more statement objects).
func document(_ statements: String) -> String {
    #"{"Version":"1","Statement":[\#(statements)]}"#
}

@Suite("Parsing and validation")
struct ParsingTests {
    struct Malformed: CustomTestStringConvertible, Sendable {
        let name: String
        let json: String
        let message: String
        var testDescription: String { name }
    }

    static let malformed: [Malformed] = [
        .init(name: "not JSON", json: "{", message: "Invalid JSON"),
        .init(name: "trailing garbage", json: document(#"{"Effect":"Allow","Action":"*","Resource":"*"}"#) + "x",
              message: "unexpected data after the document"),
        .init(name: "duplicate member", json: #"{"Version":"1","Version":"1","Statement":[]}"#, message: "duplicate member \"Version\""),
        .init(name: "top level array", json: "[]", message: "must be a JSON object"),
        .init(name: "missing Version", json: #"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
              message: "Missing Version"),
        .init(name: "Version 2", json: #"{"Version":"2","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
              message: "Unsupported policy version"),
        .init(name: "Version as number", json: #"{"Version":1,"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
              message: "Unsupported policy version"),
        .init(name: "unknown top-level element", json: #"{"Version":"1","Statement":[],"Extra":1}"#,
              message: "Unknown policy element: Extra"),
        .init(name: "missing Statement", json: #"{"Version":"1"}"#, message: "Missing Statement"),
        .init(name: "empty Statement", json: #"{"Version":"1","Statement":[]}"#, message: "Statement must not be empty"),
        .init(name: "Statement string", json: #"{"Version":"1","Statement":"x"}"#, message: "Statement must be an object"),
        .init(name: "statement not an object", json: document("1"), message: "Statement[0]: a statement must be an object"),
        .init(name: "missing Effect", json: document(#"{"Action":"*","Resource":"*"}"#), message: "Statement[0]: Missing Effect"),
        .init(name: "lower-case effect", json: document(#"{"Effect":"allow","Action":"*","Resource":"*"}"#),
              message: "Effect must be \"Allow\" or \"Deny\""),
        .init(name: "missing Action", json: document(#"{"Effect":"Allow","Resource":"*"}"#), message: "Missing Action"),
        .init(name: "Action and NotAction",
              json: document(#"{"Effect":"Allow","Action":"*","NotAction":"oss:*","Resource":"*"}"#),
              message: "Action and NotAction are mutually exclusive"),
        .init(name: "empty Action array", json: document(#"{"Effect":"Allow","Action":[],"Resource":"*"}"#),
              message: "Action must not be an empty array"),
        .init(name: "empty NotAction array", json: document(#"{"Effect":"Allow","NotAction":[],"Resource":"*"}"#),
              message: "NotAction must not be an empty array"),
        .init(name: "empty Action string", json: document(#"{"Effect":"Allow","Action":"","Resource":"*"}"#),
              message: "Action must not be an empty string"),
        .init(name: "action without service", json: document(#"{"Effect":"Allow","Action":"GetObject","Resource":"*"}"#),
              message: "Action must be * or <service>:<action>: GetObject"),
        .init(name: "action number", json: document(#"{"Effect":"Allow","Action":7,"Resource":"*"}"#),
              message: "Action must be a string or an array of strings, not number"),
        .init(name: "action array of numbers", json: document(#"{"Effect":"Allow","Action":[7],"Resource":"*"}"#),
              message: "Action entries must be non-empty strings"),
        .init(name: "missing Resource", json: document(#"{"Effect":"Allow","Action":"*"}"#), message: "Missing Resource"),
        .init(name: "empty Resource array", json: document(#"{"Effect":"Allow","Action":"*","Resource":[]}"#),
              message: "Resource must not be an empty array"),
        .init(name: "Resource and NotResource",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"acs:oss:*:*:b"}"#),
              message: "Resource and NotResource are mutually exclusive"),
        .init(name: "resource not acs", json: document(#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b"}"#),
              message: "Resource must be * or an acs: resource name"),
        .init(name: "unknown statement element",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Conditon":{}}"#),
              message: "Statement[0]: Unknown statement element: Conditon"),
        .init(name: "NotPrincipal unsupported",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","NotPrincipal":"*"}"#),
              message: "Unknown statement element: NotPrincipal"),
        .init(name: "Sid not a string", json: document(#"{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}"#),
              message: "Sid must be a string"),
        .init(name: "location of second statement",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Resource":"*"}"#),
              message: "Statement[1]: Missing Action"),
        // Conditions
        .init(name: "unknown operator",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Foo":{"a:b":"c"}}}"#),
              message: "Unknown condition operator: Foo"),
        .init(name: "operator case matters",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"a:b":"c"}}}"#),
              message: "Unknown condition operator: stringequals"),
        .init(name: "bad set prefix",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"a:b":"c"}}}"#),
              message: "Unknown condition operator: ForSomeValues:StringEquals"),
        .init(name: "bare IfExists",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IfExists":{"a:b":"c"}}}"#),
              message: "Unknown condition operator: IfExists"),
        .init(name: "empty Condition", json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}"#),
              message: "Condition must not be empty"),
        .init(name: "Condition array", json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}"#),
              message: "Condition must be an object, not array"),
        .init(name: "operator without keys",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{}}}"#),
              message: "Condition operator StringEquals needs an object"),
        .init(name: "empty condition value list",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":[]}}}"#),
              message: "condition value list must not be empty"),
        .init(name: "object condition value",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":{}}}}"#),
              message: "condition values must be strings, numbers or booleans, not object"),
        .init(name: "null condition value",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":[null]}}}"#),
              message: "not null"),
        .init(name: "numeric parse error",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"a:n":"ten"}}}"#),
              message: "Condition NumericLessThan key a:n: invalid numeric value: ten"),
        .init(name: "numeric hex refused",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"a:n":"0x10"}}}"#),
              message: "invalid numeric value: 0x10"),
        .init(name: "date parse error",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}}"#),
              message: "invalid date value: tomorrow"),
        .init(name: "date out of range day",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"2023-02-29T00:00:00Z"}}}"#),
              message: "invalid date value: 2023-02-29T00:00:00Z"),
        .init(name: "bool parse error",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"yes"}}}"#),
              message: "invalid Bool value: yes"),
        .init(name: "ip parse error",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.256"}}}"#),
              message: "invalid IP address or CIDR: 10.0.0.256"),
        .init(name: "ipv4 prefix too long",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/33"}}}"#),
              message: "invalid IP address or CIDR: 10.0.0.0/33"),
        .init(name: "ipv6 prefix too long",
              json: document(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"2001:db8::/129"}}}"#),
              message: "invalid IP address or CIDR: 2001:db8::/129"),
        // Principals
        .init(name: "unknown principal type",
              json: document(#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"*"}}"#),
              message: "Unknown principal type: AWS"),
        .init(name: "empty principal object",
              json: document(#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{}}"#),
              message: "Principal must not be empty"),
        .init(name: "empty RAM principal list",
              json: document(#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":[]}}"#),
              message: "Principal RAM must not be an empty array"),
        .init(name: "RAM principal not an ARN",
              json: document(#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"alice"}}"#),
              message: "Principal RAM must be an acs:ram ARN or *: alice"),
        .init(name: "principal string other than *",
              json: document(#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"ecs.aliyuncs.com"}"#),
              message: "Principal must be \"*\" or an object"),
    ]

    @Test("malformed documents are refused with MalformedPolicyDocument", arguments: malformed)
    func refused(_ testCase: Malformed) {
        #expect {
            _ = try Policy(parsing: testCase.json)
        } throws: { error in
            guard let error = error as? PolicyError else { return false }
            return error.code == "MalformedPolicyDocument" && error.message.contains(testCase.message)
        }
    }

    @Test("a single statement object and single strings are accepted")
    func singleForms() throws {
        let single = try Policy(parsing: #"{"Statement":{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:b/k"},"Version":"1"}"#)
        let arrays = try Policy(parsing: document(#"{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:b/k"]}"#))
        #expect(single == arrays)
        #expect(single.evaluate(.init(action: "oss:GetObject", resource: "acs:oss:*:*:b/k")) == .allow)
    }

    @Test("JSON escapes, whitespace and Sid are handled")
    func jsonDetails() throws {
        let policy = try Policy(parsing: """
            {
              "Version" : "1",
              "Statement" : [ { "Sid" : "s1", "Effect" : "Allow", "Action" : "oss:Get\\u004fbject",
                                "Resource" : "acs:oss:*:*:b/caf\\u00e9\\/\\ud83d\\ude00" } ]
            }
            """)
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: "acs:oss:*:*:b/café/😀")) == .allow)
    }

    @Test("unpaired surrogate escapes are refused")
    func surrogates() {
        #expect(throws: PolicyError.self) {
            try Policy(parsing: document(#"{"Effect":"Allow","Action":"*","Resource":"acs:\ud800x"}"#))
        }
    }

    @Test("deep nesting is refused instead of overflowing the stack")
    func deepNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: PolicyError.self) { try Policy(parsing: deep) }
    }

    @Test("Kind.identity refuses Principal; Kind.trust requires it; unspecified accepts both")
    func kinds() throws {
        let trust = document(#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}"#)
        let identity = document(#"{"Effect":"Allow","Action":"oss:*","Resource":"*"}"#)
        _ = try Policy(parsing: trust)
        _ = try Policy(parsing: identity)
        _ = try Policy(parsing: trust, as: .trust)
        _ = try Policy(parsing: identity, as: .identity)
        #expect(throws: PolicyError.malformed("Statement[0]: Principal is not allowed in this policy")) {
            try Policy(parsing: trust, as: .identity)
        }
        #expect(throws: PolicyError.malformed("Statement[0]: Missing Principal")) {
            try Policy(parsing: identity, as: .trust)
        }
    }

    @Test("a trust statement whose Action can never match sts:AssumeRole is refused", arguments: [
        (#""Action":"oss:GetObject""#, false),
        (#""Action":["oss:GetObject","ram:*"]"#, false),
        (#""NotAction":"sts:*""#, false),
        (#""Action":"sts:AssumeRole""#, true),
        (#""Action":"STS:ASSUMEROLE""#, true),
        (#""Action":["oss:GetObject","sts:Assume*"]"#, true),
        (#""Action":"*""#, true),
        (#""NotAction":"oss:*""#, true),
    ])
    func trustActions(action: String, accepted: Bool) {
        let text = document(#"{"Effect":"Allow",\#(action),"Principal":{"Service":"ecs.aliyuncs.com"}}"#)
        let refused = (try? Policy(parsing: text, as: .trust)) == nil
        #expect(refused == !accepted)
        // Identity policies and undeclared kinds are not concerned.
        #expect((try? Policy(parsing: text)) != nil)
    }

    @Test("the refusal names the statement and the action")
    func trustActionMessage() {
        let text = document(#"{"Effect":"Allow","Action":"oss:GetObject","Principal":{"RAM":"acs:ram::1:root"}}"#)
        #expect(throws: PolicyError.malformed(
            "Statement[0]: a trust policy only governs sts:AssumeRole, and Action oss:GetObject can never match it"
        )) { try Policy(parsing: text, as: .trust) }
    }

    @Test("equal documents compile to equal policies; different ones do not")
    func hashable() throws {
        let a = try Policy(parsing: document(#"{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}"#))
        let b = try Policy(parsing: document(#"{"Effect":"Allow","Action":"OSS:GET*","Resource":"*"}"#))
        let c = try Policy(parsing: document(#"{"Effect":"Deny","Action":"oss:Get*","Resource":"*"}"#))
        #expect(a == b)  // actions are case-insensitive, so these are the same policy
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
    }
}

import Testing
@testable import LanyardPolicy

@Suite("Wildcards, actions and resources")
struct MatchingTests {
    struct Glob: CustomTestStringConvertible, Sendable {
        let pattern: String
        let input: String
        let foldsCase: Bool
        let matches: Bool
        init(_ pattern: String, _ input: String, fold: Bool = false, _ matches: Bool) {
            self.pattern = pattern
            self.input = input
            self.foldsCase = fold
            self.matches = matches
        }
        var testDescription: String { "\(pattern) ~ \(input)\(foldsCase ? " (fold)" : "") = \(matches)" }
    }

    static let globs: [Glob] = [
        .init("*", "", true),
        .init("*", "anything/at/all", true),
        .init("**", "x", true),
        .init("abc", "abc", true),
        .init("abc", "abcd", false),
        .init("abc", "ab", false),
        .init("abc", "ABC", false),
        .init("abc", "ABC", fold: true, true),
        .init("a*", "a", true),          // * matches the empty run
        .init("a*", "abc", true),
        .init("a*", "ba", false),
        .init("*c", "abc", true),
        .init("*c", "c", true),
        .init("*c", "cb", false),
        .init("a*c", "ac", true),
        .init("a*c", "abbbc", true),
        .init("a*c", "abcx", false),
        .init("a?c", "abc", true),
        .init("a?c", "ac", false),       // ? is exactly one character
        .init("a?c", "abbc", false),
        .init("?", "", false),
        .init("?", "é", true),           // one character, two UTF-8 bytes
        .init("??", "é", false),
        .init("a?", "a😀", true),
        .init("*?", "é", true),
        .init("*??", "é", false),
        .init("*é", "aé", true),
        .init("*b*b*", "abxbx", true),
        .init("*b*b*", "abx", false),
        .init("a*b?d", "axxbcd", true),
        .init("a*b?d", "abbxd", true),
        .init("a*b?d", "abd", false),
        .init("dir/*/file?.txt", "dir/x/y/file1.txt", true),
        .init("oss:get*", "OSS:GetObject", fold: true, true),
        .init("oss:get?bject", "OSS:GETOBJECT", fold: true, true),
        .init("OSS:Get*", "oss:getobject", fold: true, true),  // the pattern is folded too
        .init("", "", true),
        .init("", "a", false),
    ]

    @Test("wildcard patterns", arguments: globs)
    func wildcard(_ glob: Glob) {
        #expect(WildcardPattern(glob.pattern, foldsCase: glob.foldsCase).matches(glob.input) == glob.matches)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let statement: String
        let action: String
        let resource: String
        let decision: Decision
        var testDescription: String { "\(statement) | \(action) \(resource) → \(decision)" }
    }

    static let cases: [Case] = [
        // Actions: case-insensitive in service and name, wildcards.
        .init(statement: #""Action":"oss:GetObject","Resource":"*""#, action: "oss:GetObject", resource: "acs:oss:*:1:b/k", decision: .allow),
        .init(statement: #""Action":"oss:GetObject","Resource":"*""#, action: "OSS:getobject", resource: "acs:oss:*:1:b/k", decision: .allow),
        .init(statement: #""Action":"OSS:GETOBJECT","Resource":"*""#, action: "oss:GetObject", resource: "acs:oss:*:1:b/k", decision: .allow),
        .init(statement: #""Action":"oss:GetObject","Resource":"*""#, action: "oss:PutObject", resource: "acs:oss:*:1:b/k", decision: .implicitDeny),
        .init(statement: #""Action":"oss:GetObject","Resource":"*""#, action: "oss:GetObjectAcl", resource: "x", decision: .implicitDeny),
        .init(statement: #""Action":"ecs:Describe*","Resource":"*""#, action: "ecs:DescribeInstances", resource: "x", decision: .allow),
        .init(statement: #""Action":"ecs:Describe*","Resource":"*""#, action: "ecs:StartInstance", resource: "x", decision: .implicitDeny),
        .init(statement: #""Action":"ram:?etRole","Resource":"*""#, action: "ram:GetRole", resource: "x", decision: .allow),
        .init(statement: #""Action":"ram:?etRole","Resource":"*""#, action: "ram:ListRoles", resource: "x", decision: .implicitDeny),
        .init(statement: #""Action":"*:Get*","Resource":"*""#, action: "ram:GetUser", resource: "x", decision: .allow),
        .init(statement: #""Action":"*","Resource":"*""#, action: "anything:AtAll", resource: "x", decision: .allow),
        .init(statement: #""Action":["oss:GetObject","oss:PutObject"],"Resource":"*""#, action: "oss:PutObject", resource: "x", decision: .allow),
        // Resources: case-sensitive, wildcards.
        .init(statement: #""Action":"oss:*","Resource":"acs:oss:*:*:photos/2014/*""#, action: "oss:GetObject",
              resource: "acs:oss:*:*:photos/2014/a.jpg", decision: .allow),
        .init(statement: #""Action":"oss:*","Resource":"acs:oss:*:*:photos/2014/*""#, action: "oss:GetObject",
              resource: "acs:oss:*:*:photos/2015/a.jpg", decision: .implicitDeny),
        .init(statement: #""Action":"oss:*","Resource":"acs:oss:*:*:photos/2014/*""#, action: "oss:GetObject",
              resource: "acs:oss:*:*:Photos/2014/a.jpg", decision: .implicitDeny),
        .init(statement: #""Action":"oss:*","Resource":"acs:oss:*:*:b/Dir/A.txt""#, action: "oss:GetObject",
              resource: "acs:oss:*:*:b/dir/a.txt", decision: .implicitDeny),
        .init(statement: #""Action":"oss:*","Resource":"acs:oss:*:*:b/file?.txt""#, action: "oss:GetObject",
              resource: "acs:oss:*:*:b/file1.txt", decision: .allow),
        .init(statement: #""Action":"oss:*","Resource":"acs:oss:*:*:b/file?.txt""#, action: "oss:GetObject",
              resource: "acs:oss:*:*:b/file10.txt", decision: .implicitDeny),
        .init(statement: #""Action":"ram:PassRole","Resource":"acs:ram:*:*:role/ECIRamRoleTest""#, action: "ram:PassRole",
              resource: "acs:ram:*:1234567890123456:role/ECIRamRoleTest", decision: .allow),
        .init(statement: #""Action":"oss:*","Resource":"acs:oss:*:*:*""#, action: "oss:ListBuckets",
              resource: "acs:oss:*:1234:*", decision: .allow),
        // NotAction / NotResource with Allow: everything except the listed ones.
        .init(statement: #""NotAction":"ram:*","Resource":"*""#, action: "oss:GetObject", resource: "x", decision: .allow),
        .init(statement: #""NotAction":"ram:*","Resource":"*""#, action: "RAM:CreateUser", resource: "x", decision: .implicitDeny),
        .init(statement: #""Action":"oss:*","NotResource":"acs:oss:*:*:secret/*""#, action: "oss:GetObject",
              resource: "acs:oss:*:*:public/k", decision: .allow),
        .init(statement: #""Action":"oss:*","NotResource":"acs:oss:*:*:secret/*""#, action: "oss:GetObject",
              resource: "acs:oss:*:*:secret/k", decision: .implicitDeny),
    ]

    @Test("Allow statements: action and resource matching", arguments: cases)
    func allowStatement(_ testCase: Case) throws {
        let policy = try Policy(parsing: document(#"{"Effect":"Allow",\#(testCase.statement)}"#))
        #expect(policy.evaluate(.init(action: testCase.action, resource: testCase.resource)) == testCase.decision)
    }

    @Test("Deny statements mirror the Allow cases", arguments: cases)
    func denyStatement(_ testCase: Case) throws {
        let policy = try Policy(parsing: document(
            #"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny",\#(testCase.statement)}"#))
        let expected: Decision = testCase.decision == .allow ? .explicitDeny : .allow
        #expect(policy.evaluate(.init(action: testCase.action, resource: testCase.resource)) == expected)
    }

    struct ARNCase: CustomTestStringConvertible, Sendable {
        let pattern: String
        let name: String
        let matches: Bool
        init(_ pattern: String, _ name: String, _ matches: Bool) {
            self.pattern = pattern
            self.name = name
            self.matches = matches
        }
        var testDescription: String { "\(pattern) ~ \(name) = \(matches)" }
    }

    static let arns: [ARNCase] = [
        .init("acs:oss:*:*:b/*", "acs:oss:*:1234:b/k", true),
        .init("acs:oss:*:*:b/*", "acs:oss:*:1234:b/dir/k:with:colons", true),
        // A * in the account field cannot run across a colon into the relative id.
        .init("acs:oss:*:*:b/*", "acs:oss:*:1234:c/x:b/y", false),
        .init("acs:oss:*:1234:b/*", "acs:oss:*:4321:b/k", false),
        .init("acs:oss:*:12?4:b", "acs:oss:*:1234:b", true),
        .init("acs:oss:cn-*:*:b", "acs:oss:cn-hangzhou:1:b", true),
        .init("acs:oss:cn-*:*:b", "acs:oss:us-west-1:1:b", false),
        .init("acs:o*:*:*:b", "acs:oss:*:1:b", true),
        .init("acs:oss:*:*:*", "acs:oss:*:1:b", true),
        .init("acs:oss:*:*:*", "acs:oss:*:1", false),       // a five-field pattern needs a five-field name
        .init("acs:ram::1:root", "acs:ram::1:root", true),   // empty region field
        .init("acs:ram::*:role/*", "acs:ram::1:role/r", true),
        .init("acs:ram::*:role/*", "acs:ram::1:user/r", false),
        // Fewer than five fields: one glob over the whole name.
        .init("acs:oss:*", "acs:oss:*:1:b/k", true),
        .init("acs:ram:*", "acs:oss:*:1:b/k", false),
        .init("*", "anything", true),
        .init("acs:*", "acs:x", true),
    ]

    @Test("resource and ARN patterns match field by field", arguments: arns)
    func arnPatterns(_ testCase: ARNCase) throws {
        #expect(ARNPattern(testCase.pattern).matches(testCase.name) == testCase.matches)
        let policy = try Policy(parsing: document(#"{"Effect":"Allow","Action":"oss:GetObject","Resource":"\#(testCase.pattern)"}"#))
        let expected: Decision = testCase.matches ? .allow : .implicitDeny
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: testCase.name)) == expected)
    }

    @Test("long and non-ASCII actions are folded without affecting other bytes")
    func actionFolding() throws {
        let long = "svc:" + String(repeating: "VeryLongActionName", count: 20)
        let policy = try Policy(parsing: document(#"{"Effect":"Allow","Action":["\#(long.uppercased())","svc:Ünï*"],"Resource":"*"}"#))
        #expect(policy.evaluate(.init(action: long, resource: "x")) == .allow)
        #expect(policy.evaluate(.init(action: long + "X", resource: "x")) == .implicitDeny)
        #expect(policy.evaluate(.init(action: "SVC:Ünïcode", resource: "x")) == .allow)
        #expect(policy.evaluate(.init(action: "svc:ünïcode", resource: "x")) == .implicitDeny)  // only ASCII folds
        #expect(policy.evaluate(.init(action: "", resource: "x")) == .implicitDeny)
    }

    @Test("NotAction with Allow does not override another statement's Deny")
    func notActionDoesNotOverrideDeny() throws {
        let policy = try Policy(parsing: document("""
            {"Effect":"Allow","NotAction":"ram:*","Resource":"*"},
            {"Effect":"Deny","Action":"oss:DeleteObject","Resource":"*"}
            """))
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: "acs:oss:*:*:b/k")) == .allow)
        #expect(policy.evaluate(.init(action: "oss:DeleteObject", resource: "acs:oss:*:*:b/k")) == .explicitDeny)
        #expect(policy.evaluate(.init(action: "ram:CreateUser", resource: "acs:ram:*:1:user/u")) == .implicitDeny)
    }

    @Test("Deny with NotAction denies everything except the listed actions")
    func denyNotAction() throws {
        let policy = try Policy(parsing: document("""
            {"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","NotAction":["oss:Get*","oss:List*"],"Resource":"*"}
            """))
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: "x")) == .allow)
        #expect(policy.evaluate(.init(action: "oss:ListObjects", resource: "x")) == .allow)
        #expect(policy.evaluate(.init(action: "oss:PutObject", resource: "x")) == .explicitDeny)
    }

    @Test("a trust statement without Resource matches any resource in identity evaluation")
    func noResourceElement() throws {
        let policy = try Policy(parsing: document(#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"}"#))
        #expect(policy.evaluate(.init(action: "sts:AssumeRole", resource: "acs:ram::1:role/r")) == .allow)
        #expect(policy.evaluate(.init(action: "sts:GetCallerIdentity", resource: "*")) == .implicitDeny)
    }
}

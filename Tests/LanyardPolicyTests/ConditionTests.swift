import Testing
@testable import LanyardPolicy

@Suite("Conditions")
struct ConditionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let condition: String          // the JSON object under "Condition"
        let context: [String: [String]]
        let holds: Bool
        init(_ condition: String, _ context: [String: [String]], _ holds: Bool) {
            self.condition = condition
            self.context = context
            self.holds = holds
        }
        var testDescription: String { "\(condition) with \(context) → \(holds)" }
    }

    /// Shorthand: one key `k:x` with the given request values (nil = absent).
    static func c(_ op: String, _ values: String, _ request: [String]?, _ holds: Bool) -> Case {
        Case(#"{"\#(op)":{"k:x":\#(values)}}"#, request.map { ["k:x": $0] } ?? [:], holds)
    }

    static let strings: [Case] = [
        c("StringEquals", #""abc""#, ["abc"], true),
        c("StringEquals", #""abc""#, ["ABC"], false),
        c("StringEquals", #""abc""#, ["abcd"], false),
        c("StringEquals", #"["a","b"]"#, ["b"], true),        // values OR'ed
        c("StringEquals", #""a*""#, ["abc"], false),          // no wildcards in Equals
        c("StringEquals", #""abc""#, nil, false),             // absent key: positive operator fails
        c("StringEquals", #""abc""#, [], false),              // empty list counts as absent
        c("StringEquals", #"12"#, ["12"], true),              // numbers compare by their text
        c("StringEquals", #"true"#, ["true"], true),
        c("StringNotEquals", #""abc""#, ["abc"], false),
        c("StringNotEquals", #""abc""#, ["xyz"], true),
        c("StringNotEquals", #"["a","b"]"#, ["b"], false),
        c("StringNotEquals", #""abc""#, nil, true),           // absent key: negated operator holds
        c("StringEqualsIgnoreCase", #""AbC""#, ["aBc"], true),
        c("StringEqualsIgnoreCase", #""abc""#, ["abd"], false),
        c("StringEqualsIgnoreCase", #""ÉCOLE""#, ["école"], true),  // non-ASCII folds too
        c("StringEqualsIgnoreCase", #""abc""#, nil, false),
        c("StringNotEqualsIgnoreCase", #""AbC""#, ["abc"], false),
        c("StringNotEqualsIgnoreCase", #""AbC""#, ["abd"], true),
        c("StringNotEqualsIgnoreCase", #""AbC""#, nil, true),
        c("StringLike", #""hangzhou/2014/*""#, ["hangzhou/2014/a"], true),
        c("StringLike", #""hangzhou/2014/*""#, ["hangzhou/2015/a"], false),
        c("StringLike", #"["", "hangzhou/"]"#, [""], true),
        c("StringLike", #""Mozilla*""#, ["mozilla/5.0"], false),   // StringLike is case-sensitive
        c("StringLike", #""v?""#, ["v1"], true),
        c("StringLike", #""v?""#, nil, false),
        c("StringNotLike", #""tmp/*""#, ["tmp/x"], false),
        c("StringNotLike", #""tmp/*""#, ["data/x"], true),
        c("StringNotLike", #""tmp/*""#, nil, true),
    ]

    static let numbers: [Case] = [
        c("NumericEquals", #"10"#, ["10"], true),
        c("NumericEquals", #""10""#, ["10.0"], true),
        c("NumericEquals", #"10"#, ["1e1"], true),
        c("NumericEquals", #"10"#, ["11"], false),
        c("NumericEquals", #"10"#, ["ten"], false),           // unparseable request value never matches
        c("NumericEquals", #"10"#, nil, false),
        c("NumericNotEquals", #"10"#, ["11"], true),
        c("NumericNotEquals", #"10"#, ["10"], false),
        c("NumericNotEquals", #"10"#, nil, true),
        c("NumericLessThan", #"10"#, ["9.5"], true),
        c("NumericLessThan", #"10"#, ["10"], false),
        c("NumericLessThan", #"-1"#, ["-2"], true),
        c("NumericLessThanEquals", #"10"#, ["10"], true),
        c("NumericLessThanEquals", #"10"#, ["10.01"], false),
        c("NumericGreaterThan", #"10"#, ["10"], false),
        c("NumericGreaterThan", #"10"#, ["11"], true),
        c("NumericGreaterThanEquals", #"10"#, ["10"], true),
        c("NumericGreaterThanEquals", #"10"#, ["9"], false),
        c("NumericGreaterThan", #"10"#, nil, false),
    ]

    static let dates: [Case] = [
        c("DateLessThan", #""2030-01-01T00:00:00Z""#, ["2029-12-31T23:59:59Z"], true),
        c("DateLessThan", #""2030-01-01T00:00:00Z""#, ["2030-01-01T00:00:00Z"], false),
        c("DateLessThanEquals", #""2030-01-01T00:00:00Z""#, ["2030-01-01T00:00:00Z"], true),
        c("DateGreaterThan", #""2012-11-11T23:59:59Z""#, ["2012-11-12T00:00:00Z"], true),
        c("DateGreaterThan", #""2012-11-11T23:59:59Z""#, ["2012-11-11T23:59:59Z"], false),
        c("DateGreaterThanEquals", #""2012-11-11T23:59:59Z""#, ["2012-11-11T23:59:59Z"], true),
        c("DateEquals", #""2020-01-01T08:00:00+08:00""#, ["2020-01-01T00:00:00Z"], true),  // zones honoured
        c("DateEquals", #""2020-01-01""#, ["2020-01-01T00:00:00Z"], true),                  // date only = midnight UTC
        c("DateEquals", #""2020-01-01T00:00:00.500Z""#, ["2020-01-01T00:00:00Z"], false),
        c("DateEquals", #"1577836800"#, ["2020-01-01T00:00:00Z"], true),                     // epoch seconds operand
        c("DateEquals", #""2020-01-01T00:00:00Z""#, ["1577836800"], true),                   // epoch request value
        c("DateNotEquals", #""2020-01-01T00:00:00Z""#, ["2020-01-01T00:00:01Z"], true),
        c("DateNotEquals", #""2020-01-01T00:00:00Z""#, nil, true),
        c("DateLessThan", #""2030-01-01T00:00:00Z""#, ["not a date"], false),
        c("DateLessThan", #""2030-01-01T00:00:00Z""#, nil, false),
        c("DateLessThan", #""2024-03-01T00:00:00Z""#, ["2024-02-29T12:00:00Z"], true),       // leap day exists
    ]

    static let bools: [Case] = [
        c("Bool", #""true""#, ["true"], true),
        c("Bool", #"true"#, ["TRUE"], true),
        c("Bool", #"true"#, ["false"], false),
        c("Bool", #""false""#, ["false"], true),
        c("Bool", #"true"#, ["1"], false),
        c("Bool", #"true"#, nil, false),
    ]

    static let addresses: [Case] = [
        c("IpAddress", #""192.168.0.0/16""#, ["192.168.255.255"], true),
        c("IpAddress", #""192.168.0.0/16""#, ["192.169.0.0"], false),
        c("IpAddress", #""192.168.0.0/16""#, ["192.167.255.255"], false),
        c("IpAddress", #""10.0.0.1""#, ["10.0.0.1"], true),               // bare address = /32
        c("IpAddress", #""10.0.0.1""#, ["10.0.0.2"], false),
        c("IpAddress", #""10.1.2.3/8""#, ["10.200.0.1"], true),           // host bits ignored
        c("IpAddress", #""0.0.0.0/0""#, ["203.0.113.9"], true),
        c("IpAddress", #""0.0.0.0/0""#, ["::1"], false),                  // no cross-family match
        c("IpAddress", #""10.0.0.0/31""#, ["10.0.0.1"], true),
        c("IpAddress", #""10.0.0.0/31""#, ["10.0.0.2"], false),
        c("IpAddress", #""127.0.0.0/8""#, ["::ffff:127.0.0.1"], true),    // IPv4-mapped request address
        c("IpAddress", #""::ffff:10.0.0.0/104""#, ["10.1.1.1"], true),    // IPv4-mapped policy block
        c("IpAddress", #""2001:db8::/32""#, ["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"], true),
        c("IpAddress", #""2001:db8::/32""#, ["2001:db9::"], false),
        c("IpAddress", #""2001:db8::/33""#, ["2001:db8:7fff::1"], true),
        c("IpAddress", #""2001:db8::/33""#, ["2001:db8:8000::1"], false),
        c("IpAddress", #""2001:db8::/64""#, ["2001:db8::1"], true),
        c("IpAddress", #""2001:db8::/65""#, ["2001:db8::8000:0:0:0"], false),
        c("IpAddress", #""2001:db8::/65""#, ["2001:db8::7fff:0:0:1"], true),
        c("IpAddress", #""2001:db8::1/128""#, ["2001:DB8:0:0:0:0:0:1"], true),
        c("IpAddress", #""2001:db8::1/128""#, ["2001:db8::2"], false),
        c("IpAddress", #""::/0""#, ["fe80::1%eth0"], true),               // zone id stripped
        c("IpAddress", #""::1""#, ["[::1]"], true),                       // brackets stripped
        c("IpAddress", #""::/0""#, ["10.0.0.1"], false),
        c("IpAddress", #""64:ff9b::/96""#, ["64:ff9b::192.0.2.33"], true),
        c("IpAddress", #"["10.0.0.0/8","172.16.0.0/12"]"#, ["172.31.0.1"], true),
        c("IpAddress", #""10.0.0.0/8""#, ["010.0.0.1"], false),           // leading zeros are not an address
        c("IpAddress", #""10.0.0.0/8""#, ["10.0.0.0/8"], false),          // a CIDR is not an address
        c("IpAddress", #""10.0.0.0/8""#, ["1:2:3:4:5:6:7:8:9"], false),
        c("IpAddress", #""10.0.0.0/8""#, nil, false),
        c("NotIpAddress", #""10.0.0.0/8""#, ["10.0.0.1"], false),
        c("NotIpAddress", #""10.0.0.0/8""#, ["11.0.0.1"], true),
        c("NotIpAddress", #""10.0.0.0/8""#, ["garbage"], true),
        c("NotIpAddress", #""10.0.0.0/8""#, nil, true),
    ]

    static let modifiers: [Case] = [
        // IfExists: absent → true; present → as without IfExists.
        c("StringEqualsIfExists", #""abc""#, nil, true),
        c("StringEqualsIfExists", #""abc""#, ["abc"], true),
        c("StringEqualsIfExists", #""abc""#, ["xyz"], false),
        c("IpAddressIfExists", #""10.0.0.0/8""#, nil, true),
        c("IpAddressIfExists", #""10.0.0.0/8""#, ["11.0.0.1"], false),
        c("NotIpAddressIfExists", #""10.0.0.0/8""#, ["10.0.0.1"], false),
        c("BoolIfExists", #"true"#, nil, true),
        // Multi-valued request keys.
        c("StringEquals", #""a""#, ["x", "a"], true),
        c("StringNotEquals", #""a""#, ["x", "a"], false),
        c("ForAnyValue:StringEquals", #""a""#, ["x", "a"], true),
        c("ForAnyValue:StringEquals", #""a""#, ["x", "y"], false),
        c("ForAnyValue:StringEquals", #""a""#, nil, false),
        c("ForAllValues:StringEquals", #"["a","b"]"#, ["a", "b"], true),
        c("ForAllValues:StringEquals", #"["a","b"]"#, ["a", "c"], false),
        c("ForAllValues:StringEquals", #"["a","b"]"#, nil, true),
        c("ForAllValues:StringEquals", #"["a","b"]"#, [], true),
        c("ForAnyValue:StringNotEquals", #""a""#, ["a", "b"], true),
        c("ForAnyValue:StringNotEquals", #""a""#, ["a"], false),
        c("ForAllValues:StringNotLike", #""tmp/*""#, ["x", "tmp/y"], false),
        c("ForAllValues:StringNotLike", #""tmp/*""#, ["x", "y"], true),
        c("ForAnyValue:StringEqualsIfExists", #""a""#, nil, true),
    ]

    static let combination: [Case] = [
        // Keys under one operator are AND'ed.
        Case(#"{"StringEquals":{"a:x":"1","a:y":"2"}}"#, ["a:x": ["1"], "a:y": ["2"]], true),
        Case(#"{"StringEquals":{"a:x":"1","a:y":"2"}}"#, ["a:x": ["1"], "a:y": ["3"]], false),
        Case(#"{"StringEquals":{"a:x":"1","a:y":"2"}}"#, ["a:x": ["1"]], false),
        // Operators are AND'ed.
        Case(#"{"StringEquals":{"a:x":"1"},"Bool":{"acs:SecureTransport":true}}"#,
             ["a:x": ["1"], "acs:SecureTransport": ["true"]], true),
        Case(#"{"StringEquals":{"a:x":"1"},"Bool":{"acs:SecureTransport":true}}"#,
             ["a:x": ["1"], "acs:SecureTransport": ["false"]], false),
        // Keys match ignoring case, both ways.
        Case(#"{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}"#, ["ACS:sourceip": ["10.1.1.1"]], true),
        Case(#"{"IpAddress":{"ACS:SOURCEIP":"10.0.0.0/8"}}"#, ["acs:SourceIp": ["10.1.1.1"]], true),
        Case(#"{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}"#, ["acs:SourceIpx": ["10.1.1.1"]], false),
        // Console folder example: ListObjects with oss:Prefix and oss:Delimiter.
        Case(#"{"StringLike":{"oss:Prefix":["","hangzhou/","hangzhou/2014/*"]},"StringEquals":{"oss:Delimiter":"/"}}"#,
             ["oss:Prefix": ["hangzhou/2014/"], "oss:Delimiter": ["/"]], true),
        Case(#"{"StringLike":{"oss:Prefix":["","hangzhou/","hangzhou/2014/*"]},"StringEquals":{"oss:Delimiter":"/"}}"#,
             ["oss:Prefix": ["beijing/"], "oss:Delimiter": ["/"]], false),
    ]

    static func check(_ testCase: Case) throws {
        let policy = try Policy(parsing: document(
            #"{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":\#(testCase.condition)}"#))
        let decision = policy.evaluate(.init(action: "oss:GetObject", resource: "acs:oss:*:*:b/k", context: testCase.context))
        #expect(decision == (testCase.holds ? .allow : .implicitDeny))
    }

    @Test("String operators", arguments: strings) func string(_ c: Case) throws { try Self.check(c) }
    @Test("Numeric operators", arguments: numbers) func numeric(_ c: Case) throws { try Self.check(c) }
    @Test("Date operators", arguments: dates) func date(_ c: Case) throws { try Self.check(c) }
    @Test("Bool operator", arguments: bools) func bool(_ c: Case) throws { try Self.check(c) }
    @Test("IpAddress / NotIpAddress, IPv4 and IPv6", arguments: addresses) func ip(_ c: Case) throws { try Self.check(c) }
    @Test("IfExists and set operators", arguments: modifiers) func modifier(_ c: Case) throws { try Self.check(c) }
    @Test("keys and operators combine with AND", arguments: combination) func combine(_ c: Case) throws { try Self.check(c) }

    @Test("a Deny with a negated operator and an absent key applies (denies)")
    func denyNegatedAbsent() throws {
        let policy = try Policy(parsing: document("""
            {"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}
            """))
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: "x")) == .explicitDeny)
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: "x", context: ["acs:SourceIp": ["10.9.9.9"]])) == .allow)
        #expect(policy.evaluate(.init(action: "oss:GetObject", resource: "x", context: ["acs:SourceIp": ["8.8.8.8"]])) == .explicitDeny)
    }

    struct DateText: CustomTestStringConvertible, Sendable {
        let text: String
        let seconds: Double?
        var testDescription: String { text }
    }

    static let dateTexts: [DateText] = [
        .init(text: "1970-01-01T00:00:00Z", seconds: 0),
        .init(text: "1970-01-01", seconds: 0),
        .init(text: "2012-11-11T23:59:59Z", seconds: 1_352_678_399),
        .init(text: "2000-02-29T00:00:00Z", seconds: 951_782_400),
        .init(text: "2038-01-19T03:14:08Z", seconds: 2_147_483_648),
        .init(text: "1969-12-31T23:59:59Z", seconds: -1),
        .init(text: "2020-01-01T08:00+08:00", seconds: 1_577_836_800),
        .init(text: "2020-01-01T08:00:00+0800", seconds: 1_577_836_800),
        .init(text: "2019-12-31T19:00:00-05", seconds: 1_577_836_800),
        .init(text: "2020-01-01T00:00:00.25Z", seconds: 1_577_836_800.25),
        .init(text: "2020-01-01t00:00:00z", seconds: 1_577_836_800),
        .init(text: "1577836800", seconds: 1_577_836_800),
        .init(text: "2020-13-01T00:00:00Z", seconds: nil),
        .init(text: "2020-01-32T00:00:00Z", seconds: nil),
        .init(text: "1900-02-29", seconds: nil),
        .init(text: "2020-01-01T24:00:00Z", seconds: nil),
        .init(text: "2020-01-01T00:60:00Z", seconds: nil),
        .init(text: "2020-01-01T00:00:00", seconds: 1_577_836_800),
        .init(text: "2020-01-01T00:00:00Y", seconds: nil),
        .init(text: "2020-01-01T00:00:00Z ", seconds: nil),
        .init(text: "2020-01-01T00:00:00.Z", seconds: nil),
        .init(text: "2020-1-01", seconds: nil),
        .init(text: "", seconds: nil),
        .init(text: "nan", seconds: nil),
    ]

    @Test("ISO 8601 and epoch parsing", arguments: dateTexts)
    func dateParsing(_ d: DateText) {
        var text = d.text
        #expect(text.withUTF8 { Scalars.date($0) } == d.seconds)
    }
}

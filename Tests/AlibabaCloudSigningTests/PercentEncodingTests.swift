import AlibabaCloudSigning
import Foundation
import Testing

@Suite struct PercentEncodingTests {
    @Test(arguments: [
        ("abcXYZ019-_.~", "abcXYZ019-_.~"),
        ("a b", "a%20b"),
        ("*", "%2A"),
        ("a+b/c", "a%2Bb%2Fc"),
        ("ü", "%C3%BC"),
        ("你", "%E4%BD%A0"),
        ("%", "%25"),
        ("=&", "%3D%26"),
        ("", ""),
    ])
    func rfc3986(input: String, expected: String) {
        #expect(PercentEncoding.rfc3986(input) == expected)
    }

    @Test func keepingSlash() {
        #expect(PercentEncoding.rfc3986("dir/a b+c.txt", keepingSlash: true) == "dir/a%20b%2Bc.txt")
        #expect(PercentEncoding.rfc3986("dir/a", keepingSlash: false) == "dir%2Fa")
    }

    @Test func decodeForm() {
        #expect(PercentEncoding.decodeForm("sess+1%2A~%C3%BC") == "sess 1*~ü")
        #expect(PercentEncoding.decodeForm("a%2bb") == "a+b")
        #expect(PercentEncoding.decodeForm("plain") == "plain")
        #expect(PercentEncoding.decodeForm("bad%2") == nil)
        #expect(PercentEncoding.decodeForm("bad%zz") == nil)
        #expect(PercentEncoding.decodeForm("%FF") == nil)  // not UTF-8
    }

    @Test func decodeKeepsPlus() {
        #expect(PercentEncoding.decode("a+b%20c%2Fd") == "a+b c/d")
        #expect(PercentEncoding.decode("%") == nil)
    }

    @Test func parseQueryKeepsOrderDuplicatesAndValueless() {
        let pairs = PercentEncoding.parseQuery("b=2&acl&a=1&&b=3&empty=&x=a+b%26c&=v")
        #expect(pairs.map(\.name) == ["b", "acl", "a", "b", "empty", "x", ""])
        #expect(pairs.map(\.value) == ["2", "", "1", "3", "", "a b&c", "v"])
        #expect(PercentEncoding.parseQuery("").isEmpty)
    }

    @Test func parseQueryKeepsUndecodableComponentAsSent() {
        let pairs = PercentEncoding.parseQuery("k=%zz&ok=1")
        #expect(pairs.map(\.value) == ["%zz", "1"])
    }

    @Test func formatQueryRoundTrips() {
        let text = PercentEncoding.formatQuery([("acl", nil), ("prefix", "a/b c"), ("empty", "")])
        #expect(text == "acl&prefix=a%2Fb%20c&empty=")
        #expect(PercentEncoding.parseQuery(text).map(\.value) == ["", "a/b c", ""])
    }
}

@Suite struct SigningTimeTests {
    @Test func formats() {
        #expect(SigningTime.iso8601(vectorDate) == "2024-03-05T07:08:09Z")
        #expect(SigningTime.iso8601Basic(vectorDate) == "20240305T070809Z")
        #expect(SigningTime.rfc1123(vectorDate) == "Tue, 05 Mar 2024 07:08:09 GMT")
        #expect(SigningTime.rfc1123(Date(timeIntervalSince1970: 1_132_253_398)) == "Thu, 17 Nov 2005 18:49:58 GMT")
        #expect(SigningTime.iso8601(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(SigningTime.iso8601(Date(timeIntervalSince1970: 951_868_799.9)) == "2000-02-29T23:59:59Z")
        #expect(SigningTime.iso8601(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
    }

    /// Agrees with Foundation's own formatter over many instants (leap years, month ends, pre-1970).
    @Test func agreesWithFoundation() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var seconds: Int64 = -2_000_000_000
        while seconds < 4_200_000_000 {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let text = SigningTime.rfc1123(date)
            #expect(text == formatter.string(from: date))
            #expect(SigningTime.parseRFC1123(text) == date)
            #expect(SigningTime.parseISO8601(SigningTime.iso8601(date)) == date)
            #expect(SigningTime.parseISO8601Basic(SigningTime.iso8601Basic(date)) == date)
            seconds += 7_654_321
        }
    }

    @Test(arguments: [
        "2024-03-05 07:08:09Z", "2024-02-30T00:00:00Z", "2024-03-05T24:00:00Z", "2024-03-05T07:08:09", "",
        "2024-3-05T07:08:09Z",
    ])
    func rejectsBadISO8601(text: String) {
        #expect(SigningTime.parseISO8601(text) == nil)
    }

    @Test func rejectsBadRFC1123() {
        #expect(SigningTime.parseRFC1123("Tue, 05 Mar 2024 07:08:09 UTC") == nil)
        #expect(SigningTime.parseRFC1123("Tue, 5 Mar 2024 07:08:09 GMT") == nil)
        #expect(SigningTime.parseRFC1123("Tue, 05 Foo 2024 07:08:09 GMT") == nil)
        #expect(SigningTime.parseISO8601Basic("20240305T070809") == nil)
    }
}

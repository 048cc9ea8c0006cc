import Foundation
import LanyardCrypto

/// POP RPC signature V1 (`SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`), as the old core SDKs, the
/// aliyun CLI and alibabacloud_credentials sign.
///
/// String to sign: `METHOD&%2F&` + encode(canonical query), where the canonical query is every parameter but
/// `Signature`, names and values RFC 3986-encoded, sorted by encoded name, joined `name=value` with `&`.
public enum RPCSignatureV1 {
    /// The parameter names that ``sign(method:parameters:accessKeyId:secret:securityToken:date:nonce:)`` sets.
    public static let signingParameterNames: Set<String> = [
        "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "AccessKeyId", "SecurityToken",
        "Signature",
    ]

    /// The V1 string to sign for these (decoded) parameters; any `Signature` parameter is left out.
    public static func stringToSign(method: String, parameters: [(name: String, value: String)]) -> String {
        var encoded: [(name: String, value: String)] = []
        encoded.reserveCapacity(parameters.count)
        for parameter in parameters where parameter.name != "Signature" {
            encoded.append((PercentEncoding.rfc3986(parameter.name), PercentEncoding.rfc3986(parameter.value)))
        }
        encoded.sort { a, b in
            a.name == b.name ? HeaderText.precedes(a.value, b.value) : HeaderText.precedes(a.name, b.name)
        }
        var out = [UInt8]()
        out.reserveCapacity(method.utf8.count + 8 + encoded.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 8 })
        out.append(contentsOf: method.uppercased().utf8)
        out.append(contentsOf: "&%2F&".utf8)
        for (offset, pair) in encoded.enumerated() {
            if offset > 0 { out.append(contentsOf: "%26".utf8) }
            appendReencoded(pair.name, to: &out)
            out.append(contentsOf: "%3D".utf8)
            appendReencoded(pair.value, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes already RFC 3986-encoded text a second time: only `%` can occur besides unreserved bytes.
    private static func appendReencoded(_ encoded: String, to out: inout [UInt8]) {
        for byte in encoded.utf8 {
            if byte == UInt8(ascii: "%") {
                out.append(contentsOf: "%25".utf8)
            } else {
                out.append(byte)
            }
        }
    }

    /// Base64 HMAC-SHA1 of the string to sign, keyed with `secret + "&"`.
    public static func signature(stringToSign: String, secret: String) -> String {
        HMAC.authenticationCode(.sha1, key: secret + "&", message: stringToSign).base64String
    }

    /// Server side: whether `signature` is the V1 signature of these parameters (constant-time compare).
    public static func isValid(
        signature: String, method: String, parameters: [(name: String, value: String)], secret: String
    ) -> Bool {
        let expected = self.signature(stringToSign: stringToSign(method: method, parameters: parameters), secret: secret)
        return constantTimeEquals(Array(expected.utf8), Array(signature.utf8))
    }

    /// Client side: returns `parameters` (API parameters plus Format/Version/Action, the caller's job) followed
    /// by `SignatureMethod`, `SignatureVersion`, `SignatureNonce`, `Timestamp`, `AccessKeyId`, `SecurityToken`
    /// (when given) and `Signature`. Any of these names already in `parameters` is replaced.
    public static func sign(
        method: String, parameters: [(name: String, value: String)], accessKeyId: String, secret: String,
        securityToken: String?, date: Date, nonce: String
    ) -> [(name: String, value: String)] {
        var all = parameters.filter { !signingParameterNames.contains($0.name) }
        all.append(("SignatureMethod", "HMAC-SHA1"))
        all.append(("SignatureVersion", "1.0"))
        all.append(("SignatureNonce", nonce))
        all.append(("Timestamp", SigningTime.iso8601(date)))
        all.append(("AccessKeyId", accessKeyId))
        if let securityToken { all.append(("SecurityToken", securityToken)) }
        all.append(("Signature", signature(stringToSign: stringToSign(method: method, parameters: all), secret: secret)))
        return all
    }
}

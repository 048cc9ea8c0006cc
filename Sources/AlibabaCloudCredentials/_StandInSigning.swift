// Stand-in for AlibabaCloudSigning's contract API until that module is merged; deleted at merge.
import Foundation
import LanyardCrypto

enum PercentEncoding {
    static func rfc3986(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

enum RPCSignatureV1 {
    static func stringToSign(method: String, parameters: [(name: String, value: String)]) -> String {
        let canonical = parameters.filter { $0.name != "Signature" }
            .map { (PercentEncoding.rfc3986($0.name), PercentEncoding.rfc3986($0.value)) }
            .sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        return method + "&%2F&" + PercentEncoding.rfc3986(canonical)
    }

    static func signature(stringToSign: String, secret: String) -> String {
        HMAC.authenticationCode(.sha1, key: secret + "&", message: stringToSign).base64String
    }

    static func sign(
        method: String, parameters: [(name: String, value: String)], accessKeyId: String, secret: String,
        securityToken: String?, date: Date, nonce: String
    ) -> [(name: String, value: String)] {
        var all = parameters
        all.append(("SignatureMethod", "HMAC-SHA1"))
        all.append(("SignatureVersion", "1.0"))
        all.append(("SignatureNonce", nonce))
        all.append(("Timestamp", ISO8601UTC.format(date)))
        all.append(("AccessKeyId", accessKeyId))
        if let securityToken { all.append(("SecurityToken", securityToken)) }
        all.append(("Signature", signature(stringToSign: stringToSign(method: method, parameters: all), secret: secret)))
        return all
    }
}

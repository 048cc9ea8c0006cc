import Foundation
import LanyardCrypto

/// A parsed `Authorization: ACS3-HMAC-SHA256 Credential=<ak>,SignedHeaders=<h1;h2>,Signature=<hex>` header.
public struct ACS3Authorization: Sendable, Hashable {
    /// The algorithm named in the header; only `ACS3-HMAC-SHA256` is accepted.
    public static let algorithm = "ACS3-HMAC-SHA256"
    /// `Credential`: the AccessKeyId.
    public let accessKeyId: String
    /// `SignedHeaders`, lower-cased, in the order the client listed them.
    public let signedHeaders: [String]
    /// `Signature`: lower-case hex.
    public let signature: String

    /// Parses the header value. Separators may be `,` or `, `; keys may come in any order.
    /// Throws code `IncompleteSignature` when the scheme is not ACS3-HMAC-SHA256 or a part is missing or empty.
    public init(parsing header: String) throws(SigningError) {
        let text = HeaderText.trimmed(header)
        let prefix = Self.algorithm + " "
        guard text.hasPrefix(prefix) else {
            throw SigningError(
                code: "IncompleteSignature",
                message: "The Authorization header must start with \(Self.algorithm) followed by a space.")
        }
        var credential: String?
        var signedHeaders: String?
        var signature: String?
        for item in text.dropFirst(prefix.count).split(separator: ",") {
            let part = HeaderText.trimmed(String(item))
            guard let equals = part.firstIndex(of: "=") else { continue }
            let value = String(part[part.index(after: equals)...])
            switch part[..<equals] {
            case "Credential": credential = value
            case "SignedHeaders": signedHeaders = value
            case "Signature": signature = value
            default: continue
            }
        }
        guard let credential, !credential.isEmpty, let signedHeaders, !signedHeaders.isEmpty, let signature,
            !signature.isEmpty
        else {
            throw SigningError(
                code: "IncompleteSignature",
                message: "The Authorization header needs non-empty Credential, SignedHeaders and Signature.")
        }
        self.accessKeyId = credential
        self.signedHeaders = signedHeaders.split(separator: ";").map { HeaderText.lowercased(String($0)) }
        self.signature = signature
    }

    /// Creates a parsed header from its parts (client side).
    public init(accessKeyId: String, signedHeaders: [String], signature: String) {
        self.accessKeyId = accessKeyId
        self.signedHeaders = signedHeaders
        self.signature = signature
    }

    /// The header value: `ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`.
    public var headerValue: String {
        "\(Self.algorithm) Credential=\(accessKeyId),SignedHeaders=\(signedHeaders.joined(separator: ";")),Signature=\(signature)"
    }
}

/// The V3 signature `ACS3-HMAC-SHA256` used by the tea_openapi SDKs by default.
public enum ACS3Signature {
    /// The SHA-256 of an empty body, the `x-acs-content-sha256` of body-less calls.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The canonical request:
    /// `METHOD\nPATH\nQUERY\nname:value\n...\nh1;h2\nPAYLOADHASH`.
    ///
    /// - `path` is used as given (the canonical URI; `/` for RPC).
    /// - `query`: decoded pairs. Values are RFC 3986-encoded; names are written as they are, like the
    ///   vendors' clients do (tea_openapi and the Go openapi-util leave keys unencoded); sorted by name bytes.
    ///   An empty value is written `name=`.
    /// - `headers`: received headers. For each signed header (matched case-insensitively) the trimmed values
    ///   are used; several values of one header are sorted and joined with `,`. A missing header gives `name:`.
    public static func canonicalRequest(
        method: String, path: String, query: [(name: String, value: String)],
        headers: [(name: String, value: String)], signedHeaders: [String], payloadHash: String
    ) -> String {
        var out = [UInt8]()
        out.reserveCapacity(512)
        out.append(contentsOf: method.utf8)
        out.append(10)
        out.append(contentsOf: (path.isEmpty ? "/" : path).utf8)
        out.append(10)
        let sortedQuery = query.sorted { a, b in
            a.name == b.name ? HeaderText.precedes(a.value, b.value) : HeaderText.precedes(a.name, b.name)
        }
        for (offset, pair) in sortedQuery.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: "&")) }
            out.append(contentsOf: pair.name.utf8)
            out.append(UInt8(ascii: "="))
            PercentEncoding.appendEncoded(pair.value, to: &out)
        }
        out.append(10)
        for name in signedHeaders {
            out.append(contentsOf: name.utf8)
            out.append(UInt8(ascii: ":"))
            var values: [String] = []
            for header in headers where HeaderText.equalsIgnoringCase(header.name, name) {
                values.append(HeaderText.trimmed(header.value))
            }
            if values.count > 1 { values.sort(by: HeaderText.precedes) }
            for (offset, value) in values.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: value.utf8)
            }
            out.append(10)
        }
        out.append(10)
        for (offset, name) in signedHeaders.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: ";")) }
            out.append(contentsOf: name.utf8)
        }
        out.append(10)
        out.append(contentsOf: payloadHash.utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request)).
    public static func stringToSign(canonicalRequest: String) -> String {
        ACS3Authorization.algorithm + "\n" + Digest.hash(.sha256, Array(canonicalRequest.utf8)).hexString
    }

    /// Lower-case hex HMAC-SHA256 of the string to sign, keyed with the secret as is.
    public static func signature(stringToSign: String, secret: String) -> String {
        HMAC.authenticationCode(.sha256, key: secret, message: stringToSign).hexString
    }

    /// Server side: whether the parsed header's signature matches the request parts (constant-time compare).
    public static func isValid(
        _ authorization: ACS3Authorization, secret: String, method: String, path: String,
        query: [(name: String, value: String)], headers: [(name: String, value: String)], payloadHash: String
    ) -> Bool {
        let canonical = canonicalRequest(
            method: method, path: path, query: query, headers: headers, signedHeaders: authorization.signedHeaders,
            payloadHash: payloadHash)
        let expected = signature(stringToSign: stringToSign(canonicalRequest: canonical), secret: secret)
        return constantTimeEquals(Array(expected.utf8), Array(authorization.signature.utf8))
    }

    /// Client side: signs a POP call with ACS3-HMAC-SHA256 and returns every header to send, all of them signed:
    /// `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256`,
    /// with STS credentials `x-acs-accesskey-id` and `x-acs-security-token`, then `extraHeaders` (names
    /// lower-cased, e.g. `content-type`, `accept`), and last `authorization`.
    ///
    /// - Parameters:
    ///   - query: decoded query parameters (the API parameters for RPC style).
    ///   - body: the exact body bytes that will be sent.
    public static func sign(
        method: String = "POST", path: String = "/", query: [(name: String, value: String)], host: String,
        action: String, version: String, extraHeaders: [(name: String, value: String)] = [], body: [UInt8] = [],
        accessKeyId: String, secret: String, securityToken: String?, date: Date, nonce: String
    ) -> [(name: String, value: String)] {
        let payloadHash = body.isEmpty ? emptyPayloadHash : Digest.hash(.sha256, body).hexString
        var headers: [(name: String, value: String)] = [
            ("host", host), ("x-acs-action", action), ("x-acs-version", version),
            ("x-acs-date", SigningTime.iso8601(date)), ("x-acs-signature-nonce", nonce),
            ("x-acs-content-sha256", payloadHash),
        ]
        if let securityToken {
            headers.append(("x-acs-accesskey-id", accessKeyId))
            headers.append(("x-acs-security-token", securityToken))
        }
        for header in extraHeaders { headers.append((HeaderText.lowercased(header.name), header.value)) }
        var signedHeaders: [String] = []
        for header in headers.sorted(by: { HeaderText.precedes($0.name, $1.name) })
        where signedHeaders.last != header.name {
            signedHeaders.append(header.name)
        }
        let canonical = canonicalRequest(
            method: method, path: path, query: query, headers: headers, signedHeaders: signedHeaders,
            payloadHash: payloadHash)
        let authorization = ACS3Authorization(
            accessKeyId: accessKeyId, signedHeaders: signedHeaders,
            signature: signature(stringToSign: stringToSign(canonicalRequest: canonical), secret: secret))
        headers.append(("authorization", authorization.headerValue))
        return headers
    }
}

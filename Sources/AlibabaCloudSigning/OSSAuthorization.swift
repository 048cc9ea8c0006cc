import Foundation
import LanyardCrypto

/// How an OSS request is authenticated, parsed from its `Authorization` header or presigned query.
///
/// Server flow: `OSSAuthorization.parse(parts)` (nil = anonymous) → look up the secret for `accessKeyId`
/// (and `securityToken`) → `verify(parts, secret:)` → check `signingTime` / `expiration` against the clock.
public struct OSSAuthorization: Sendable, Hashable {
    /// The scheme and where its inputs came from.
    public enum Kind: Sendable, Hashable {
        /// `Authorization: OSS ak:sig`; `date` is the Date line that was signed (`x-oss-date` or `Date`).
        case v1Header(date: String)
        /// Presigned V1 URL; `expires` is the `Expires` text (absolute Unix seconds), also the signed Date line.
        case v1Query(expires: String)
        /// `Authorization: OSS4-HMAC-SHA256 ...`; `timestamp` is `x-oss-date`, else the `Date` header (Go 3.x).
        case v4Header(scope: OSSV4Scope, additionalHeaders: [String], timestamp: String)
        /// Presigned V4 URL; `expiresIn` is `x-oss-expires` (seconds after `timestamp`).
        case v4Query(scope: OSSV4Scope, additionalHeaders: [String], timestamp: String, expiresIn: String)
    }

    /// The scheme and its scheme-specific inputs.
    public let kind: Kind
    /// The AccessKeyId that signed.
    public let accessKeyId: String
    /// The signature as sent (base64 for V1, hex for V4).
    public let signature: String
    /// The STS token: `x-oss-security-token` header or `security-token` header (alibabacloud-oss-v2 V1), or the
    /// `security-token` / `x-oss-security-token` query parameter for presigned URLs.
    public let securityToken: String?

    /// Creates a parsed authorization from its parts.
    public init(kind: Kind, accessKeyId: String, signature: String, securityToken: String?) {
        self.kind = kind
        self.accessKeyId = accessKeyId
        self.signature = signature
        self.securityToken = securityToken
    }

    /// Parses the authentication of a request; nil when it carries none (anonymous).
    ///
    /// Errors: a malformed or unknown `Authorization` header → `InvalidArgument`; an incomplete presigned query
    /// → `AccessDenied` (OSS's "Query-string authentication requires ..." answer).
    public static func parse(_ parts: OSSRequestParts) throws(SigningError) -> OSSAuthorization? {
        if let header = parts.header("authorization") {
            return try parseHeader(HeaderText.trimmed(header), parts: parts)
        }
        if let version = parts.queryParameter("x-oss-signature-version") {
            return try parseV4Query(version: version ?? "", parts: parts)
        }
        if parts.queryParameter("Signature") != nil || parts.queryParameter("OSSAccessKeyId") != nil
            || parts.queryParameter("Expires") != nil
        {
            return try parseV1Query(parts)
        }
        return nil
    }

    private static func invalidHeader(_ message: String) -> SigningError {
        SigningError(code: "InvalidArgument", message: message)
    }

    private static func parseHeader(_ header: String, parts: OSSRequestParts) throws(SigningError) -> OSSAuthorization {
        if header.hasPrefix("OSS ") {
            let credentials = header.dropFirst(4)
            guard let colon = credentials.lastIndex(of: ":"), colon != credentials.startIndex,
                credentials.index(after: colon) != credentials.endIndex
            else { throw invalidHeader("Authorization header is invalid.") }
            return OSSAuthorization(
                kind: .v1Header(date: OSSSignatureV1.dateLine(parts)),
                accessKeyId: String(credentials[..<colon]),
                signature: String(credentials[credentials.index(after: colon)...]),
                securityToken: parts.header("x-oss-security-token") ?? parts.header("security-token"))
        }
        if header.hasPrefix(OSSSignatureV4.algorithm + " ") {
            var credential: Substring?
            var signature: Substring?
            var additional: Substring?
            for item in header.dropFirst(OSSSignatureV4.algorithm.count + 1).split(separator: ",") {
                let part = item.drop(while: { $0 == " " })
                guard let equals = part.firstIndex(of: "=") else {
                    throw invalidHeader("Authorization header is invalid: \(part)")
                }
                let value = part[part.index(after: equals)...]
                switch part[..<equals] {
                case "Credential": credential = value
                case "Signature": signature = value
                case "AdditionalHeaders": additional = value
                default: throw invalidHeader("Authorization header has an unknown field: \(part[..<equals])")
                }
            }
            guard let credential, let signature, !signature.isEmpty else {
                throw invalidHeader("Authorization header needs Credential and Signature.")
            }
            guard let slash = credential.firstIndex(of: "/"), slash != credential.startIndex,
                let scope = OSSV4Scope(parsing: credential[credential.index(after: slash)...])
            else { throw invalidHeader("Invalid credential in Authorization header: \(credential)") }
            let additionalHeaders = try additionalHeaderList(additional)
            let timestamp = parts.header("x-oss-date") ?? parts.header("date") ?? ""
            return OSSAuthorization(
                kind: .v4Header(scope: scope, additionalHeaders: additionalHeaders, timestamp: timestamp),
                accessKeyId: String(credential[..<slash]), signature: String(signature),
                securityToken: parts.header("x-oss-security-token"))
        }
        throw invalidHeader("Authorization header is invalid: unsupported scheme.")
    }

    private static func additionalHeaderList(_ text: Substring?) throws(SigningError) -> [String] {
        guard let text else { return [] }
        let names = text.split(separator: ";").map { HeaderText.lowercased(String($0)) }
        guard !names.isEmpty else { throw invalidHeader("AdditionalHeaders must not be empty.") }
        return names
    }

    private static func parseV1Query(_ parts: OSSRequestParts) throws(SigningError) -> OSSAuthorization {
        guard case let signature?? = parts.queryParameter("Signature"), !signature.isEmpty,
            case let accessKeyId?? = parts.queryParameter("OSSAccessKeyId"), !accessKeyId.isEmpty,
            case let expires?? = parts.queryParameter("Expires"), !expires.isEmpty
        else {
            throw SigningError(
                code: "AccessDenied",
                message: "Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters")
        }
        return OSSAuthorization(
            kind: .v1Query(expires: expires), accessKeyId: accessKeyId, signature: signature,
            securityToken: parts.queryParameter("security-token") ?? nil)
    }

    private static func parseV4Query(version: String, parts: OSSRequestParts) throws(SigningError)
        -> OSSAuthorization
    {
        guard version == OSSSignatureV4.algorithm else {
            throw invalidHeader("Unsupported x-oss-signature-version: \(version)")
        }
        guard case let signature?? = parts.queryParameter("x-oss-signature"), !signature.isEmpty,
            case let credential?? = parts.queryParameter("x-oss-credential"),
            case let timestamp?? = parts.queryParameter("x-oss-date"), !timestamp.isEmpty,
            case let expires?? = parts.queryParameter("x-oss-expires"), !expires.isEmpty
        else {
            throw SigningError(
                code: "AccessDenied",
                message:
                    "Query-string authentication requires the x-oss-signature, x-oss-credential, x-oss-date and x-oss-expires parameters"
            )
        }
        guard let slash = credential.firstIndex(of: "/"), slash != credential.startIndex,
            let scope = OSSV4Scope(parsing: credential[credential.index(after: slash)...])
        else { throw invalidHeader("Invalid x-oss-credential: \(credential)") }
        let additional: Substring?
        if let value = parts.queryParameter("x-oss-additional-headers") { additional = Substring(value ?? "") } else {
            additional = nil
        }
        return OSSAuthorization(
            kind: .v4Query(
                scope: scope, additionalHeaders: try additionalHeaderList(additional), timestamp: timestamp,
                expiresIn: expires),
            accessKeyId: String(credential[..<slash]), signature: signature,
            securityToken: parts.queryParameter("x-oss-security-token") ?? nil)
    }

    /// The string to sign the server recomputes for this request, plus the V4 canonical request (nil for V1).
    public func stringToSign(for parts: OSSRequestParts) -> (stringToSign: String, canonicalRequest: String?) {
        switch kind {
        case .v1Header(let date):
            return (OSSSignatureV1.stringToSign(parts: parts, date: date), nil)
        case .v1Query(let expires):
            return (OSSSignatureV1.stringToSign(parts: parts, date: expires), nil)
        case .v4Header(let scope, let additionalHeaders, let timestamp):
            let canonical = OSSSignatureV4.canonicalRequest(parts: parts, additionalHeaders: additionalHeaders)
            return (
                OSSSignatureV4.stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical), canonical
            )
        case .v4Query(let scope, let additionalHeaders, let timestamp, _):
            let canonical = OSSSignatureV4.canonicalRequest(
                parts: parts, additionalHeaders: additionalHeaders, excludingQuery: ["x-oss-signature"])
            return (
                OSSSignatureV4.stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical), canonical
            )
        }
    }

    /// The result of checking a signature.
    public struct Verification: Sendable, Hashable {
        /// Whether the sent signature equals the recomputed one.
        public let matches: Bool
        /// The server's string to sign (OSS returns it in `SignatureDoesNotMatch` errors).
        public let stringToSign: String
        /// The V4 canonical request, nil for V1.
        public let canonicalRequest: String?
    }

    /// Recomputes the signature with `secret` and compares it in constant time.
    public func verify(_ parts: OSSRequestParts, secret: String) -> Verification {
        let (text, canonical) = stringToSign(for: parts)
        let expected: String
        switch kind {
        case .v1Header, .v1Query:
            expected = OSSSignatureV1.signature(stringToSign: text, secret: secret)
        case .v4Header(let scope, _, _), .v4Query(let scope, _, _, _):
            expected = OSSSignatureV4.signature(stringToSign: text, secret: secret, scope: scope)
        }
        return Verification(
            matches: constantTimeEquals(Array(expected.utf8), Array(signature.utf8)), stringToSign: text,
            canonicalRequest: canonical)
    }

    /// When the request was signed: the V1 header Date line (RFC 1123) or the V4 timestamp (`x-oss-date`
    /// basic ISO 8601, or RFC 1123 from `Date`). Nil for V1 presigned URLs or an unparsable text.
    public var signingTime: Date? {
        switch kind {
        case .v1Header(let date):
            SigningTime.parseRFC1123(date) ?? SigningTime.parseISO8601Basic(date)
        case .v1Query:
            nil
        case .v4Header(_, _, let timestamp), .v4Query(_, _, let timestamp, _):
            SigningTime.parseISO8601Basic(timestamp) ?? SigningTime.parseRFC1123(timestamp)
        }
    }

    /// When a presigned URL stops being valid: `Expires` (V1) or `x-oss-date + x-oss-expires` (V4). Nil for
    /// header-signed requests or unparsable values.
    public var expiration: Date? {
        switch kind {
        case .v1Header, .v4Header:
            return nil
        case .v1Query(let expires):
            return Int64(expires).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        case .v4Query(_, _, let timestamp, let expiresIn):
            guard let start = SigningTime.parseISO8601Basic(timestamp), let seconds = Int(expiresIn) else { return nil }
            return start.addingTimeInterval(TimeInterval(seconds))
        }
    }
}

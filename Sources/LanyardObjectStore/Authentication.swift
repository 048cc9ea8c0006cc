import LanyardCrypto

/// Verifies OSS signatures: V1 (`OSS ak:sig` header, presigned `Signature/Expires/OSSAccessKeyId`) and V4
/// (`OSS4-HMAC-SHA256` header, presigned `x-oss-signature...`), with STS tokens and a 15-minute skew.
struct Authenticator {
    let authority: any ObjectServiceAuthority
    /// Maximum clock skew for header-signed requests, seconds.
    var maxSkew: Int64 = 900

    /// Verifies the request's signature; `.anonymous` when it carries none.
    func authenticate(method: String, target: OSSRequestTarget, headers: HTTPHeaders, now: Int64)
        throws(OSSError) -> OSSPrincipal
    {
        let token = headers["x-oss-security-token"] ?? headers["security-token"]
            ?? target.nonEmpty("security-token") ?? target.nonEmpty("x-oss-security-token")
        if let authorization = headers["Authorization"], !authorization.isEmpty {
            if authorization.hasPrefix("OSS4-HMAC-SHA256") {
                return try verifyV4Header(authorization, method: method, target: target, headers: headers,
                                          token: token, now: now)
            }
            if authorization.hasPrefix("OSS ") {
                return try verifyV1Header(authorization, method: method, target: target, headers: headers,
                                          token: token, now: now)
            }
            throw OSSError.invalidArgument("Authorization header is invalid.", name: "Authorization",
                                           value: authorization)
        }
        if target.has("x-oss-signature") || target.has("x-oss-signature-version") {
            return try verifyV4Query(method: method, target: target, headers: headers, token: token, now: now)
        }
        if target.has("Signature") || target.has("OSSAccessKeyId") || target.has("Expires") {
            return try verifyV1Query(method: method, target: target, headers: headers, token: token, now: now)
        }
        return .anonymous
    }

    // MARK: Credentials

    private func resolve(_ accessKeyId: String, token: String?) throws(OSSError) -> ResolvedCredentials {
        do {
            return try authority.credentials(accessKeyId: accessKeyId, securityToken: token)
        } catch {
            throw Self.map(error)
        }
    }

    /// Maps a control-plane credential error to the OSS (status, Code) pair.
    static func map(_ error: RPCError) -> OSSError {
        let code = error.code
        if code.contains("Expired") {
            return OSSError(status: 403, code: "SecurityTokenExpired", message: "The security token you provided has expired.")
        }
        if code.contains("NotMatch") || code.contains("Mismatch") {
            return OSSError(status: 403, code: "AccessKeyIdAndSecurityTokenNotMatch",
                            message: "The AccessKeyId and the security token you provided do not match.")
        }
        if code.contains("MissingSecurityToken") {
            return OSSError(status: 400, code: "MissingSecurityToken", message: "SecurityToken is mandatory for this action.")
        }
        if code.contains("SecurityToken") {
            return OSSError(status: 403, code: "InvalidSecurityToken", message: "The security token you provided is invalid.")
        }
        if error.status >= 500 {
            return OSSError.internalError("credential lookup failed")
        }
        return OSSError(status: 403, code: "InvalidAccessKeyId",
                        message: "The OSS Access Key Id you provided does not exist in our records.")
    }

    private func parts(method: String, target: OSSRequestTarget, headers: HTTPHeaders,
                       dropping excluded: Set<String> = []) -> OSSRequestParts {
        var query: [(name: String, value: String?)] = []
        for item in target.query where !excluded.contains(item.name) { query.append((item.name, item.value)) }
        var list: [(name: String, value: String)] = []
        for (name, value) in headers { list.append((name, value)) }
        return OSSRequestParts(method: method, bucket: target.bucket, key: target.key, query: query, headers: list)
    }

    private func checkSkew(_ requestTime: Int64, raw: String, now: Int64) throws(OSSError) {
        guard abs(requestTime - now) <= maxSkew else {
            throw OSSError(status: 403, code: "RequestTimeTooSkewed",
                           message: "The difference between the request time and the current time is too large.",
                           extra: [.init("RequestTime", raw), .init("ServerTime", HTTPTime.iso8601(now)),
                                   .init("MaxAllowedSkewMilliseconds", String(maxSkew * 1000))])
        }
    }

    private func mismatch(_ accessKeyId: String, provided: String, stringToSign: String) -> OSSError {
        let bytes = stringToSign.utf8.map { b -> String in
            let hex = Array("0123456789ABCDEF")
            return String([hex[Int(b >> 4)], hex[Int(b & 15)]])
        }.joined(separator: " ")
        return OSSError(status: 403, code: "SignatureDoesNotMatch",
                        message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                        extra: [.init("OSSAccessKeyId", accessKeyId), .init("SignatureProvided", provided),
                                .init("StringToSign", stringToSign), .init("StringToSignBytes", bytes)])
    }

    // MARK: V1

    private func verifyV1Header(_ authorization: String, method: String, target: OSSRequestTarget,
                                headers: HTTPHeaders, token: String?, now: Int64) throws(OSSError) -> OSSPrincipal {
        let credential = authorization.dropFirst(4).trimmingSpaces
        guard let colon = credential.lastIndex(of: ":"), colon != credential.startIndex else {
            throw OSSError.invalidArgument("Authorization header is invalid.", name: "Authorization", value: authorization)
        }
        let accessKeyId = String(credential[..<colon])
        let provided = String(credential[credential.index(after: colon)...])
        // oss2 and pyv2 sign x-oss-date when they send it; Go signs Date.
        let candidates = [headers["x-oss-date"], headers["Date"]].compactMap { $0 }
        guard let first = candidates.first else { throw OSSError.accessDenied("Missing Date Header.") }
        guard let time = HTTPTime.parseRFC1123(first) else {
            throw OSSError.accessDenied("Invalid date format of header Date: \(first).")
        }
        try checkSkew(time, raw: first, now: now)
        let resolved = try resolve(accessKeyId, token: token)
        let p = parts(method: method, target: target, headers: headers)
        var firstStringToSign = ""
        for date in candidates {
            let stringToSign = OSSSignatureV1.stringToSign(parts: p, date: date)
            if firstStringToSign.isEmpty { firstStringToSign = stringToSign }
            let expected = OSSSignatureV1.signature(stringToSign: stringToSign, secret: resolved.secret)
            if constantTimeEquals(Array(expected.utf8), Array(provided.utf8)) {
                return .authenticated(resolved.caller, accessKeyId: accessKeyId)
            }
        }
        throw mismatch(accessKeyId, provided: provided, stringToSign: firstStringToSign)
    }

    private func verifyV1Query(method: String, target: OSSRequestTarget, headers: HTTPHeaders, token: String?,
                               now: Int64) throws(OSSError) -> OSSPrincipal {
        guard let accessKeyId = target.nonEmpty("OSSAccessKeyId"), let expires = target.nonEmpty("Expires"),
              let provided = target.nonEmpty("Signature") else {
            throw OSSError.accessDenied("Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters")
        }
        guard let expiry = Int64(expires) else {
            throw OSSError.accessDenied("Invalid argument: Expires.")
        }
        if now > expiry {
            throw OSSError.accessDenied("Request has expired.", extra: [
                .init("Expires", HTTPTime.iso8601(expiry)), .init("ServerTime", HTTPTime.iso8601(now)),
            ])
        }
        let resolved = try resolve(accessKeyId, token: token)
        let p = parts(method: method, target: target, headers: headers,
                      dropping: ["OSSAccessKeyId", "Expires", "Signature"])
        let stringToSign = OSSSignatureV1.stringToSign(parts: p, date: expires)
        let expected = OSSSignatureV1.signature(stringToSign: stringToSign, secret: resolved.secret)
        guard constantTimeEquals(Array(expected.utf8), Array(provided.utf8)) else {
            throw mismatch(accessKeyId, provided: provided, stringToSign: stringToSign)
        }
        return .authenticated(resolved.caller, accessKeyId: accessKeyId)
    }

    // MARK: V4

    /// `AK/yyyymmdd/region/oss/aliyun_v4_request` split into its parts.
    private struct Credential {
        var accessKeyId: String
        var date: String
        var region: String
        var scope: String

        init(_ text: String) throws(OSSError) {
            let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count == 5, !pieces[0].isEmpty, pieces[1].utf8.count == 8, pieces[3] == "oss",
                  pieces[4] == "aliyun_v4_request" else {
                throw OSSError.invalidArgument("Invalid credential in Authorization header.", name: "Credential", value: text)
            }
            accessKeyId = String(pieces[0])
            date = String(pieces[1])
            region = String(pieces[2])
            scope = pieces[1...].joined(separator: "/")
        }
    }

    private func v4Time(_ raw: String) -> Int64? { HTTPTime.parseCompact(raw) ?? HTTPTime.parseRFC1123(raw) }

    private func verifyV4Header(_ authorization: String, method: String, target: OSSRequestTarget,
                                headers: HTTPHeaders, token: String?, now: Int64) throws(OSSError) -> OSSPrincipal {
        var fields: [String: String] = [:]
        for piece in authorization.dropFirst("OSS4-HMAC-SHA256".count).split(separator: ",") {
            let item = piece.trimmingSpaces
            guard let eq = item.firstIndex(of: "=") else { continue }
            fields[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        guard let credentialText = fields["Credential"], let provided = fields["Signature"], !provided.isEmpty else {
            throw OSSError.invalidArgument("Authorization header is invalid.", name: "Authorization", value: authorization)
        }
        let credential = try Credential(credentialText)
        var additional: [String] = []
        if let list = fields["AdditionalHeaders"] {
            guard !list.isEmpty else {
                throw OSSError.invalidArgument("AdditionalHeaders is empty.", name: "AdditionalHeaders", value: "")
            }
            additional = list.split(separator: ";").map { $0.lowercased() }
        }
        guard let raw = headers["x-oss-date"] ?? headers["Date"] else {
            throw OSSError.accessDenied("Missing Date Header.")
        }
        guard let time = v4Time(raw) else { throw OSSError.accessDenied("Invalid date format: \(raw).") }
        try checkSkew(time, raw: raw, now: now)
        let resolved = try resolve(credential.accessKeyId, token: token)
        let p = parts(method: method, target: target, headers: headers)
        let canonical = OSSSignatureV4.canonicalRequest(
            parts: p, additionalHeaders: additional, payloadHash: headers["x-oss-content-sha256"] ?? "UNSIGNED-PAYLOAD")
        let stringToSign = OSSSignatureV4.stringToSign(canonicalRequest: canonical, timestamp: raw, scope: credential.scope)
        let key = OSSSignatureV4.signingKey(secret: resolved.secret, date: credential.date, region: credential.region)
        let expected = OSSSignatureV4.signature(stringToSign: stringToSign, signingKey: key)
        guard constantTimeEquals(Array(expected.utf8), Array(provided.lowercased().utf8)) else {
            throw mismatch(credential.accessKeyId, provided: provided, stringToSign: stringToSign)
        }
        return .authenticated(resolved.caller, accessKeyId: credential.accessKeyId)
    }

    private func verifyV4Query(method: String, target: OSSRequestTarget, headers: HTTPHeaders, token: String?,
                               now: Int64) throws(OSSError) -> OSSPrincipal {
        guard target.value("x-oss-signature-version") == "OSS4-HMAC-SHA256",
              let credentialText = target.nonEmpty("x-oss-credential"), let raw = target.nonEmpty("x-oss-date"),
              let expiresText = target.nonEmpty("x-oss-expires"), let provided = target.nonEmpty("x-oss-signature")
        else {
            throw OSSError.accessDenied("Query-string authentication requires the x-oss-signature-version, x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature parameters")
        }
        let credential = try Credential(credentialText)
        guard let time = HTTPTime.parseCompact(raw), let expires = Int64(expiresText), expires > 0 else {
            throw OSSError.accessDenied("Invalid x-oss-date or x-oss-expires.")
        }
        guard expires <= 7 * 86400 else {
            throw OSSError.invalidArgument("x-oss-expires must be no more than 604800 seconds.", name: "x-oss-expires",
                                           value: expiresText)
        }
        if now > time + expires {
            throw OSSError.accessDenied("Request has expired.", extra: [
                .init("Expires", HTTPTime.iso8601(time + expires)), .init("ServerTime", HTTPTime.iso8601(now)),
            ])
        }
        if time > now + maxSkew { try checkSkew(time, raw: raw, now: now) }
        let additional = target.nonEmpty("x-oss-additional-headers")?.split(separator: ";").map { $0.lowercased() } ?? []
        let resolved = try resolve(credential.accessKeyId, token: token)
        let p = parts(method: method, target: target, headers: headers, dropping: ["x-oss-signature"])
        let canonical = OSSSignatureV4.canonicalRequest(parts: p, additionalHeaders: additional,
                                                        payloadHash: "UNSIGNED-PAYLOAD")
        let stringToSign = OSSSignatureV4.stringToSign(canonicalRequest: canonical, timestamp: raw, scope: credential.scope)
        let key = OSSSignatureV4.signingKey(secret: resolved.secret, date: credential.date, region: credential.region)
        let expected = OSSSignatureV4.signature(stringToSign: stringToSign, signingKey: key)
        guard constantTimeEquals(Array(expected.utf8), Array(provided.lowercased().utf8)) else {
            throw mismatch(credential.accessKeyId, provided: provided, stringToSign: stringToSign)
        }
        return .authenticated(resolved.caller, accessKeyId: credential.accessKeyId)
    }
}

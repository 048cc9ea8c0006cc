import LanyardControlPlane
import LanyardHTTP
import AlibabaCloudSigning
import Foundation

/// Authenticates OSS requests: parses and verifies V1 (`OSS ak:sig` header, presigned `Signature/Expires/
/// OSSAccessKeyId`) and V4 (`OSS4-HMAC-SHA256` header, presigned `x-oss-signature...`) through
/// AlibabaCloudSigning, resolves the key (and STS token) through the authority, and enforces the clock rules:
/// 15-minute skew for header signatures, expiry for presigned URLs (V4 at most 7 days).
struct Authenticator {
    let authority: any ObjectServiceAuthority
    /// Maximum clock skew for header-signed requests, seconds.
    var maxSkew: Int64 = 900

    /// Verifies the request's signature; `.anonymous` when it carries none. `accessKeyId` receives the key the
    /// request names as soon as it is parsed (also when verification then fails).
    func authenticate(method: String, target: OSSRequestTarget, headers: HTTPHeaders, now: Int64,
                      accessKeyId: inout String?) throws(OSSError) -> OSSPrincipal
    {
        var query: [(name: String, value: String?)] = []
        query.reserveCapacity(target.query.count)
        for item in target.query { query.append((item.name, item.value)) }
        var list: [(name: String, value: String)] = []
        for (name, value) in headers { list.append((name, value)) }
        let parts = OSSRequestParts(method: method, bucket: target.bucket, key: target.key, query: query, headers: list)
        let parsed: OSSAuthorization?
        do {
            parsed = try OSSAuthorization.parse(parts)
        } catch {
            throw OSSError(status: error.code == "AccessDenied" ? 403 : 400, code: error.code, message: error.message)
        }
        guard let authorization = parsed else { return .anonymous }
        accessKeyId = authorization.accessKeyId
        try checkTime(authorization, now: now)
        let resolved: ResolvedCredentials
        do {
            resolved = try authority.credentials(accessKeyId: authorization.accessKeyId,
                                                 securityToken: authorization.securityToken)
        } catch {
            throw Self.map(error)
        }
        let verification = authorization.verify(parts, secret: resolved.secret)
        if verification.matches { return .authenticated(resolved.caller, accessKeyId: authorization.accessKeyId, sessionPolicy: resolved.sessionPolicy) }
        // oss2 and pyv2 sign `x-oss-date` when they send it, Go signs `Date`: when both are present, try the other.
        if case .v1Header(let signed) = authorization.kind, let date = headers["Date"], date != signed {
            let alternative = OSSAuthorization(kind: .v1Header(date: date), accessKeyId: authorization.accessKeyId,
                                               signature: authorization.signature,
                                               securityToken: authorization.securityToken)
            if alternative.verify(parts, secret: resolved.secret).matches {
                return .authenticated(resolved.caller, accessKeyId: authorization.accessKeyId, sessionPolicy: resolved.sessionPolicy)
            }
        }
        throw mismatch(authorization.accessKeyId, provided: authorization.signature,
                       stringToSign: verification.stringToSign)
    }

    private func checkTime(_ authorization: OSSAuthorization, now: Int64) throws(OSSError) {
        switch authorization.kind {
        case .v1Header(let raw), .v4Header(_, _, let raw):
            guard !raw.isEmpty else { throw OSSError.accessDenied("Missing Date Header.") }
            guard let signed = authorization.signingTime else {
                throw OSSError.accessDenied("Invalid date format of header Date: \(raw).")
            }
            try checkSkew(Int64(signed.timeIntervalSince1970), raw: raw, now: now)
        case .v1Query(let expires):
            guard let expiry = authorization.expiration else {
                throw OSSError.accessDenied("Invalid argument: Expires=\(expires).")
            }
            try checkExpiry(Int64(expiry.timeIntervalSince1970), now: now)
        case .v4Query(_, _, let raw, let expiresIn):
            guard let signed = authorization.signingTime, let expiry = authorization.expiration,
                  let seconds = Int64(expiresIn), seconds > 0 else {
                throw OSSError.accessDenied("Invalid x-oss-date or x-oss-expires.")
            }
            guard seconds <= 7 * 86400 else {
                throw OSSError.invalidArgument("x-oss-expires must be no more than 604800 seconds.",
                                               name: "x-oss-expires", value: expiresIn)
            }
            let signedSeconds = Int64(signed.timeIntervalSince1970)
            if signedSeconds > now + maxSkew { try checkSkew(signedSeconds, raw: raw, now: now) }
            try checkExpiry(Int64(expiry.timeIntervalSince1970), now: now)
        }
    }

    private func checkExpiry(_ expiry: Int64, now: Int64) throws(OSSError) {
        if now > expiry {
            throw OSSError.accessDenied("Request has expired.", extra: [
                .init("Expires", HTTPTime.iso8601(expiry)), .init("ServerTime", HTTPTime.iso8601(now)),
            ])
        }
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
        let hex = Array("0123456789abcdef")
        let bytes = stringToSign.utf8.map { String([hex[Int($0 >> 4)], hex[Int($0 & 15)]]) }.joined(separator: " ")
        return OSSError(status: 403, code: "SignatureDoesNotMatch",
                        message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                        extra: [.init("OSSAccessKeyId", accessKeyId), .init("SignatureProvided", provided),
                                .init("StringToSign", stringToSign), .init("StringToSignBytes", bytes)])
    }

    /// Maps a control-plane credential error to the OSS (status, Code) pair that OSS clients expect.
    static func map(_ error: RPCError) -> OSSError {
        switch error.code {
        case "InvalidSecurityToken.Expired":
            return OSSError(status: 403, code: "SecurityTokenExpired", message: "The security token you provided has expired.")
        case "InvalidSecurityToken.MismatchWithAccessKey":
            return OSSError(status: 403, code: "AccessKeyIdAndSecurityTokenNotMatch",
                            message: "The AccessKeyId and the security token you provided do not match.")
        case "MissingSecurityToken":
            return OSSError(status: 400, code: "MissingSecurityToken", message: "SecurityToken is mandatory for this action.")
        case "InvalidSecurityToken":
            return OSSError(status: 403, code: "InvalidSecurityToken",
                            message: "The security token you provided is invalid: its RAM role has been deleted.")
        case "InvalidSecurityToken.Malformed":
            return OSSError(status: 403, code: "InvalidSecurityToken", message: "The security token you provided is invalid.")
        case _ where error.status >= 500:
            return OSSError.internalError("credential lookup failed")
        default:
            return OSSError(status: 403, code: "InvalidAccessKeyId",
                            message: "The OSS Access Key Id you provided does not exist in our records.")
        }
    }
}

import Foundation

/// A set of Alibaba Cloud credentials: a long-term AccessKey pair, or an STS triple with an expiry.
public struct Credentials: Sendable, Hashable, CustomStringConvertible {
    /// The AccessKey ID (`STS.`-prefixed for STS credentials).
    public var accessKeyId: String
    /// The AccessKey secret.
    public var accessKeySecret: String
    /// The STS security token; nil for a long-term AccessKey.
    public var securityToken: String?
    /// When these credentials stop working; nil when they do not expire.
    public var expiration: Date?
    /// The name of the provider that produced them, e.g. `"ecs_ram_role"`.
    public var providerName: String

    /// Creates credentials from their parts.
    public init(
        accessKeyId: String, accessKeySecret: String, securityToken: String? = nil, expiration: Date? = nil,
        providerName: String
    ) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
        self.expiration = expiration
        self.providerName = providerName
    }

    /// A log-safe description: the key ID and provider, never the secret or token.
    public var description: String {
        "Credentials(accessKeyId: \(accessKeyId), provider: \(providerName)"
            + (expiration.map { ", expiration: \(ISO8601UTC.format($0))" } ?? "") + ")"
    }
}

/// Something that supplies credentials; asked before every signed request.
///
/// Implementations must be cheap to call repeatedly: providers of expiring credentials cache through
/// ``RefreshingCredentialsProvider``.
public protocol CredentialsProvider: Sendable {
    /// Returns credentials that are valid now.
    func credentials() async throws -> Credentials
}

/// An error from a credentials provider.
public struct CredentialsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A machine-readable code: the remote service's own code where it sent one (e.g. STS's
    /// `"EntityNotExist.Role"`), otherwise one of the constants below.
    public let code: String
    /// What went wrong, for people.
    public let message: String
    /// The HTTP status when the error came from an HTTP response.
    public let status: Int?

    /// Creates an error.
    public init(code: String, message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// The provider is not configured here (missing variables, file or profile).
    public static let notConfigured = "CredentialsNotConfigured"
    /// The configuration exists but is malformed.
    public static let invalidConfiguration = "InvalidCredentialsConfiguration"
    /// The metadata service is disabled by `ALIBABA_CLOUD_ECS_METADATA_DISABLED`.
    public static let metadataDisabled = "MetadataDisabled"
    /// The metadata role was not found (HTTP 404).
    public static let roleNotFound = "RoleNotFound"
    /// A remote endpoint answered with an unexpected status or could not be reached.
    public static let requestFailed = "CredentialsRequestFailed"
    /// A remote endpoint answered with a document that is not valid credentials.
    public static let invalidResponse = "InvalidCredentialsResponse"
    /// The credentials obtained had already expired.
    public static let expired = "CredentialsExpired"
    /// Every provider of a chain failed.
    public static let chainExhausted = "NoCredentialsFound"
}

/// Strict UTC timestamps `YYYY-MM-DDTHH:MM:SSZ` as used by the metadata service and STS
/// (fractional seconds are accepted on input).
public enum ISO8601UTC {
    /// Parses `2024-11-08T09:44:50Z` (or with `.sss` fractions); nil when malformed.
    public static func parse(_ text: String) -> Date? {
        let u = Array(text.utf8)
        guard u.count >= 20, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54, u[13] == 0x3A, u[16] == 0x3A,
            u.last == 0x5A
        else { return nil }
        func number(_ from: Int, _ to: Int) -> Int? {
            var n = 0
            for i in from..<to {
                let d = Int(u[i]) - 48
                guard d >= 0, d <= 9 else { return nil }
                n = n * 10 + d
            }
            return n
        }
        guard let year = number(0, 4), let month = number(5, 7), let day = number(8, 10), let hour = number(11, 13),
            let minute = number(14, 16), let second = number(17, 19), (1...12).contains(month),
            (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if u.count > 20 {
            guard u[19] == 0x2E, u.count > 21, let digits = number(20, u.count - 1) else { return nil }
            fraction = Double(digits) / pow(10, Double(u.count - 21))
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days * 86400 + hour * 3600 + minute * 60 + second) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// Formats as `YYYY-MM-DDTHH:MM:SSZ` (whole seconds, UTC).
    public static func format(_ date: Date) -> String {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
        let secondOfDay = total - days * 86400
        let (y, m, d) = civilFromDays(days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }

    // Howard Hinnant's days-from-civil algorithm (proleptic Gregorian calendar).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

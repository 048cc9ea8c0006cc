/// Canned ACLs of buckets and objects.
public enum CannedACL: String, Sendable, Hashable, CaseIterable {
    /// Objects only: inherit the bucket's ACL.
    case `default` = "default"
    case `private` = "private"
    case publicRead = "public-read"
    case publicReadWrite = "public-read-write"

    /// Whether anyone, anonymous callers included, may read under this ACL.
    var allowsPublicRead: Bool { self == .publicRead || self == .publicReadWrite }
    /// Whether anyone, anonymous callers included, may write under this ACL.
    var allowsPublicWrite: Bool { self == .publicReadWrite }

    /// Parses a bucket ACL header (`x-oss-acl`): `default` is not allowed for buckets.
    static func bucket(_ text: String) throws(OSSError) -> CannedACL {
        guard let acl = CannedACL(rawValue: text), acl != .default else {
            throw OSSError.invalidArgument("no such bucket access control exists", name: "x-oss-acl", value: text)
        }
        return acl
    }

    /// Parses an object ACL header (`x-oss-object-acl`).
    static func object(_ text: String) throws(OSSError) -> CannedACL {
        guard let acl = CannedACL(rawValue: text) else {
            throw OSSError.invalidArgument("no such object access control exists", name: "x-oss-object-acl", value: text)
        }
        return acl
    }
}

/// Bucket-name and object-key rules.
public enum OSSNames {
    /// 3–63 characters of lower-case letters, digits and `-`, starting and ending with a letter or digit.
    public static func isValidBucketName(_ name: String) -> Bool {
        let u = name.utf8
        guard (3...63).contains(u.count) else { return false }
        for b in u {
            let ok = (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 45
            if !ok { return false }
        }
        return u.first != 45 && u.last != 45
    }

    /// UTF-8, 1–1023 bytes, not starting with `/` or `\`.
    public static func isValidObjectKey(_ key: String) -> Bool {
        let u = key.utf8
        guard (1...1023).contains(u.count), let first = u.first else { return false }
        return first != UInt8(ascii: "/") && first != UInt8(ascii: "\\")
    }

    static func validateBucket(_ name: String) throws(OSSError) {
        guard isValidBucketName(name) else {
            throw OSSError(status: 400, code: "InvalidBucketName", message: "The specified bucket is not valid.",
                           extra: [.init("BucketName", name)])
        }
    }

    static func validateKey(_ key: String) throws(OSSError) {
        guard isValidObjectKey(key) else {
            throw OSSError(status: 400, code: "InvalidObjectName", message: "The specified object is not valid.",
                           extra: [.init("ObjectName", key.utf8.count > 256 ? String(key.prefix(256)) : key)])
        }
    }
}

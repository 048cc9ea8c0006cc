/// The OSS operations the service implements.
public enum OSSOperation: String, Sendable, Hashable, CaseIterable {
    case listBuckets = "ListBuckets"
    case putBucket = "PutBucket"
    case deleteBucket = "DeleteBucket"
    case getBucketInfo = "GetBucketInfo"
    case getBucketLocation = "GetBucketLocation"
    case putBucketAcl = "PutBucketAcl"
    case getBucketAcl = "GetBucketAcl"
    case listObjects = "ListObjects"
    case listObjectsV2 = "ListObjectsV2"
    case listMultipartUploads = "ListMultipartUploads"
    case deleteMultipleObjects = "DeleteMultipleObjects"
    case putObject = "PutObject"
    case copyObject = "CopyObject"
    case appendObject = "AppendObject"
    case getObject = "GetObject"
    case headObject = "HeadObject"
    case getObjectMeta = "GetObjectMeta"
    case deleteObject = "DeleteObject"
    case putObjectAcl = "PutObjectAcl"
    case getObjectAcl = "GetObjectAcl"
    case initiateMultipartUpload = "InitiateMultipartUpload"
    case uploadPart = "UploadPart"
    case completeMultipartUpload = "CompleteMultipartUpload"
    case abortMultipartUpload = "AbortMultipartUpload"
    case listParts = "ListParts"

    /// Identifies the operation from the method, the addressed target and whether `x-oss-copy-source` is set.
    public static func identify(method: String, target: OSSRequestTarget, hasCopySource: Bool)
        throws(OSSError) -> OSSOperation
    {
        let t = target
        guard t.bucket != nil else {
            if method == "GET" { return .listBuckets }
            throw OSSError(status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.")
        }
        if t.key == nil {
            switch method {
            case "GET":
                if t.has("acl") { return .getBucketAcl }
                if t.has("location") { return .getBucketLocation }
                if t.has("bucketInfo") { return .getBucketInfo }
                if t.has("uploads") { return .listMultipartUploads }
                if let unsupported = unsupportedSubresource(t) { throw notImplemented(unsupported) }
                return t.value("list-type") == "2" ? .listObjectsV2 : .listObjects
            case "PUT":
                if t.has("acl") { return .putBucketAcl }
                if let unsupported = unsupportedSubresource(t) { throw notImplemented(unsupported) }
                return .putBucket
            case "DELETE":
                if let unsupported = unsupportedSubresource(t) { throw notImplemented(unsupported) }
                return .deleteBucket
            case "POST":
                if t.has("delete") { return .deleteMultipleObjects }
            default: break
            }
            throw OSSError(status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.")
        }
        switch method {
        case "GET":
            if t.has("acl") { return .getObjectAcl }
            if t.has("uploadId") { return .listParts }
            if t.has("objectMeta") { return .getObjectMeta }
            if let unsupported = unsupportedSubresource(t) { throw notImplemented(unsupported) }
            return .getObject
        case "HEAD":
            return t.has("objectMeta") ? .getObjectMeta : .headObject
        case "PUT":
            if t.has("acl") { return .putObjectAcl }
            if t.has("partNumber") || t.has("uploadId") {
                if hasCopySource { throw notImplemented("UploadPartCopy") }
                return .uploadPart
            }
            if let unsupported = unsupportedSubresource(t) { throw notImplemented(unsupported) }
            return hasCopySource ? .copyObject : .putObject
        case "POST":
            if t.has("uploads") { return .initiateMultipartUpload }
            if t.has("uploadId") { return .completeMultipartUpload }
            if t.has("append") { return .appendObject }
        case "DELETE":
            if t.has("uploadId") { return .abortMultipartUpload }
            if let unsupported = unsupportedSubresource(t) { throw notImplemented(unsupported) }
            return .deleteObject
        default: break
        }
        throw OSSError(status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.")
    }

    /// Sub-resources of features this service does not have; answering them as plain reads or writes would
    /// silently do the wrong thing.
    private static let unsupported: Set<String> = [
        "cors", "logging", "website", "referer", "lifecycle", "tagging", "symlink", "restore", "versions",
        "versioning", "versionId", "policy", "encryption", "qos", "requestPayment", "worm", "inventory", "x-oss-process",
        "stat", "replication", "select",
    ]

    private static func unsupportedSubresource(_ t: OSSRequestTarget) -> String? {
        t.query.first { unsupported.contains($0.name) }?.name
    }

    private static func notImplemented(_ feature: String) -> OSSError {
        OSSError(status: 400, code: "NotImplemented", message: "A header or sub-resource you provided implies functionality that is not implemented.",
                 extra: [.init("Header", feature)])
    }

    /// The RAM action checked for this operation (CopyObject: the destination's; the source needs GetObject).
    public var action: String {
        switch self {
        case .listBuckets: "oss:ListBuckets"
        case .putBucket: "oss:PutBucket"
        case .deleteBucket: "oss:DeleteBucket"
        case .getBucketInfo: "oss:GetBucketInfo"
        case .getBucketLocation: "oss:GetBucketLocation"
        case .putBucketAcl: "oss:PutBucketAcl"
        case .getBucketAcl: "oss:GetBucketAcl"
        case .listObjects, .listObjectsV2: "oss:ListObjects"
        case .listMultipartUploads: "oss:ListMultipartUploads"
        case .deleteMultipleObjects, .deleteObject: "oss:DeleteObject"
        case .putObject, .copyObject, .appendObject, .initiateMultipartUpload, .uploadPart, .completeMultipartUpload:
            "oss:PutObject"
        case .getObject, .headObject, .getObjectMeta: "oss:GetObject"
        case .putObjectAcl: "oss:PutObjectAcl"
        case .getObjectAcl: "oss:GetObjectAcl"
        case .abortMultipartUpload: "oss:AbortMultipartUpload"
        case .listParts: "oss:ListParts"
        }
    }

    /// How the bucket/object ACL may grant this operation to callers the policies do not allow.
    enum ACLAccess { case none, read, write }

    var aclAccess: ACLAccess {
        switch self {
        case .listObjects, .listObjectsV2, .getObject, .headObject, .getObjectMeta: .read
        case .putObject, .copyObject, .appendObject, .deleteObject, .deleteMultipleObjects, .initiateMultipartUpload,
             .uploadPart, .completeMultipartUpload, .abortMultipartUpload, .listParts, .listMultipartUploads:
            .write
        default: .none
        }
    }

    /// Whether the operation addresses an object (its ACL may override the bucket's).
    var isObjectLevel: Bool {
        switch self {
        case .putObject, .copyObject, .appendObject, .getObject, .headObject, .getObjectMeta, .deleteObject,
             .putObjectAcl, .getObjectAcl, .initiateMultipartUpload, .uploadPart, .completeMultipartUpload,
             .abortMultipartUpload, .listParts:
            true
        default: false
        }
    }
}

/// Resource ARNs and condition keys of OSS requests.
public enum OSSAuthorizationMapping {
    /// `acs:oss:*:<account>:<bucket>[/<key>]`; `acs:oss:*:<account>:*` for service-level requests.
    public static func resource(account: String, bucket: String?, key: String?) -> String {
        guard let bucket else { return "acs:oss:*:\(account):*" }
        guard let key else { return "acs:oss:*:\(account):\(bucket)" }
        return "acs:oss:*:\(account):\(bucket)/\(key)"
    }

    /// Operation-specific condition keys: `oss:Prefix` and `oss:Delimiter` for listings (the empty string when
    /// the request does not set them, so policies can match the top level).
    public static func conditions(operation: OSSOperation, target: OSSRequestTarget) -> [String: [String]] {
        switch operation {
        case .listObjects, .listObjectsV2:
            ["oss:Prefix": [target.value("prefix") ?? ""], "oss:Delimiter": [target.value("delimiter") ?? ""]]
        default: [:]
        }
    }
}

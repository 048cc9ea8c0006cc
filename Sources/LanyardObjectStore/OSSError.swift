import LanyardHTTP
/// An OSS error response: HTTP status, the protocol's error code, a message and code-specific extra elements.
public struct OSSError: Error, Sendable, Hashable {
    /// HTTP status of the error response.
    public let status: Int
    /// OSS error code, e.g. `NoSuchKey`.
    public let code: String
    /// Human-readable message.
    public let message: String
    /// Extra elements written after `HostId`, in order (e.g. `BucketName` for `NoSuchBucket`).
    public let extra: [Extra]
    /// Headers the error response carries besides the usual ones (e.g. `x-oss-next-append-position`).
    public let headers: [Extra]

    /// One extra element or header.
    public struct Extra: Sendable, Hashable {
        /// Element or header name.
        public let name: String
        /// Text content.
        public let value: String
        /// Creates a name/value pair.
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    /// Creates an error.
    public init(status: Int, code: String, message: String, extra: [Extra] = [], headers: [Extra] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        self.headers = headers
    }

    /// Renders the `<Error>` document.
    public func xml(requestId: String, hostId: String) -> String {
        var w = XMLWriter()
        w.open("Error")
        w.element("Code", code)
        w.element("Message", message)
        w.element("RequestId", requestId)
        w.element("HostId", hostId)
        for e in extra { w.element(e.name, e.value) }
        w.close("Error")
        return w.finish()
    }
}

extension OSSError {
    static func accessDenied(_ message: String, extra: [Extra] = []) -> OSSError {
        OSSError(status: 403, code: "AccessDenied", message: message, extra: extra)
    }
    static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> OSSError {
        var extra: [Extra] = []
        if let name { extra.append(Extra("ArgumentName", name)) }
        if let value { extra.append(Extra("ArgumentValue", value)) }
        return OSSError(status: 400, code: "InvalidArgument", message: message, extra: extra)
    }
    static func noSuchBucket(_ bucket: String) -> OSSError {
        OSSError(status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist.",
                 extra: [Extra("BucketName", bucket)])
    }
    static func noSuchKey(_ key: String) -> OSSError {
        OSSError(status: 404, code: "NoSuchKey", message: "The specified key does not exist.",
                 extra: [Extra("Key", key)])
    }
    static func noSuchUpload(_ uploadId: String) -> OSSError {
        OSSError(status: 404, code: "NoSuchUpload",
                 message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
                 extra: [Extra("UploadId", uploadId)])
    }
    static let malformedXML = OSSError(
        status: 400, code: "MalformedXML",
        message: "The XML you provided was not well-formed or did not validate against our published schema.")
    static let invalidDigest = OSSError(
        status: 400, code: "InvalidDigest", message: "The Content-MD5 you specified is not valid.")
    static func internalError(_ message: String) -> OSSError {
        OSSError(status: 500, code: "InternalError", message: message)
    }
    static func notImplemented(_ message: String) -> OSSError {
        OSSError(status: 400, code: "NotImplemented", message: message)
    }
}

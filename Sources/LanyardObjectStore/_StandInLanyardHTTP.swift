// Stand-in for LanyardHTTP's contract (CONTRACTS.md), deleted when LanyardHTTP is merged.

/// Stand-in: ordered, case-insensitive headers.
public struct HTTPHeaders: Sendable, Sequence {
    private var pairs: [(String, String)]
    /// Stand-in.
    public init(_ pairs: [(String, String)] = []) { self.pairs = pairs }
    /// Stand-in.
    public subscript(name: String) -> String? {
        pairs.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
    /// Stand-in.
    public mutating func add(name: String, value: String) { pairs.append((name, value)) }
    /// Stand-in.
    public mutating func replaceOrAdd(name: String, value: String) {
        pairs.removeAll { $0.0.caseInsensitiveCompare(name) == .orderedSame }
        pairs.append((name, value))
    }
    /// Stand-in.
    public func makeIterator() -> IndexingIterator<[(String, String)]> { pairs.makeIterator() }
}

/// Stand-in.
public struct HTTPRequestHead: Sendable {
    public let method: String
    public let rawPath: String
    public let rawQuery: String?
    public let headers: HTTPHeaders
    public let remoteAddress: String
    public let connectionTag: Int?
    /// Stand-in.
    public init(method: String, rawPath: String, rawQuery: String?, headers: HTTPHeaders, remoteAddress: String,
                connectionTag: Int?) {
        self.method = method; self.rawPath = rawPath; self.rawQuery = rawQuery; self.headers = headers
        self.remoteAddress = remoteAddress; self.connectionTag = connectionTag
    }
}

/// Stand-in.
public struct HTTPRequest: Sendable {
    public let head: HTTPRequestHead
    public let body: [UInt8]
}

/// Stand-in.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: HTTPResponseBody
    /// Stand-in.
    public init(status: Int, headers: HTTPHeaders = .init(), body: HTTPResponseBody = .empty) {
        self.status = status; self.headers = headers; self.body = body
    }
}

/// Stand-in.
public enum HTTPResponseBody: Sendable {
    case empty
    case bytes([UInt8])
    case file(path: String, offset: Int64, length: Int64)
    case stream(length: Int64?, next: @Sendable () throws -> [UInt8]?)
}

/// Stand-in.
public protocol HTTPHandler: Sendable {
    func begin(_ head: HTTPRequestHead) -> HTTPBodyDisposition
}

/// Stand-in.
public enum HTTPBodyDisposition: Sendable {
    case respond(HTTPResponse)
    case collect(limit: Int, then: @Sendable (HTTPRequest) -> HTTPResponse)
    case stream(any HTTPBodySink)
}

/// Stand-in.
public protocol HTTPBodySink: AnyObject, Sendable {
    func write(_ chunk: UnsafeRawBufferPointer) -> HTTPResponse?
    func finish() -> HTTPResponse
    func abort()
}

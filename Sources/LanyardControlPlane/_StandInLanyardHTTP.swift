// Stand-in for LanyardHTTP (contract signatures only) until that module is merged; deleted at merge.
public struct HTTPHeaders: Sendable, Sequence {
    public typealias Field = (name: String, value: String)
    var fields: [Field]
    public init(_ pairs: [(String, String)] = []) { fields = pairs.map { (name: $0.0, value: $0.1) } }
    public subscript(name: String) -> String? { fields.first { $0.name.lowercased() == name.lowercased() }?.value }
    public mutating func add(name: String, value: String) { fields.append((name, value)) }
    public mutating func replaceOrAdd(name: String, value: String) { fields.append((name, value)) }
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}
public struct HTTPRequestHead: Sendable {
    public let method: String
    public let rawPath: String
    public let rawQuery: String?
    public let headers: HTTPHeaders
    public let remoteAddress: String
    public let connectionTag: Int?
    public init(method: String, rawPath: String, rawQuery: String?, headers: HTTPHeaders, remoteAddress: String,
                connectionTag: Int? = nil) {
        self.method = method; self.rawPath = rawPath; self.rawQuery = rawQuery; self.headers = headers
        self.remoteAddress = remoteAddress; self.connectionTag = connectionTag
    }
}
public struct HTTPRequest: Sendable {
    public let head: HTTPRequestHead
    public let body: [UInt8]
    public init(head: HTTPRequestHead, body: [UInt8]) { self.head = head; self.body = body }
}
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: HTTPResponseBody
    public init(status: Int, headers: HTTPHeaders = .init(), body: HTTPResponseBody = .empty) {
        self.status = status; self.headers = headers; self.body = body
    }
}
public enum HTTPResponseBody: Sendable {
    case empty
    case bytes([UInt8])
}
public protocol HTTPHandler: Sendable { func begin(_ head: HTTPRequestHead) -> HTTPBodyDisposition }
public enum HTTPBodyDisposition: Sendable {
    case respond(HTTPResponse)
    case collect(limit: Int, then: @Sendable (HTTPRequest) -> HTTPResponse)
}

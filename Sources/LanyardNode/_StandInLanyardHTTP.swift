// Stand-in for LanyardHTTP until it is merged into main (CONTRACTS.md API). Deleted at merge.
import Foundation

public struct HTTPHeaders: Sendable, Sequence {
    var fields: [(name: String, value: String)]
    public init(_ pairs: [(String, String)] = []) { fields = pairs.map { (name: $0.0, value: $0.1) } }
    public subscript(name: String) -> String? { fields.first { $0.name.lowercased() == name.lowercased() }?.value }
    public mutating func add(name: String, value: String) { fields.append((name, value)) }
    public mutating func replaceOrAdd(name: String, value: String) {
        fields.removeAll { $0.name.lowercased() == name.lowercased() }
        fields.append((name, value))
    }
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}

public struct HTTPRequestHead: Sendable {
    public let method: String
    public let rawPath: String
    public let rawQuery: String?
    public let headers: HTTPHeaders
    public let remoteAddress: String
    public let connectionTag: Int?
    public init(method: String, rawPath: String, rawQuery: String?, headers: HTTPHeaders, remoteAddress: String, connectionTag: Int?) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.connectionTag = connectionTag
    }
}

public struct HTTPRequest: Sendable {
    public let head: HTTPRequestHead
    public let body: [UInt8]
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: HTTPResponseBody
    public init(status: Int, headers: HTTPHeaders = .init(), body: HTTPResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

public enum HTTPResponseBody: Sendable {
    case empty
    case bytes([UInt8])
    case file(path: String, offset: Int64, length: Int64)
    case stream(length: Int64?, next: @Sendable () throws -> [UInt8]?)
}

public protocol HTTPHandler: Sendable {
    func begin(_ head: HTTPRequestHead) -> HTTPBodyDisposition
}

public protocol HTTPBodySink: AnyObject, Sendable {
    func write(_ chunk: UnsafeRawBufferPointer) -> HTTPResponse?
    func finish() -> HTTPResponse
    func abort()
}

public enum HTTPBodyDisposition: Sendable {
    case respond(HTTPResponse)
    case collect(limit: Int, then: @Sendable (HTTPRequest) -> HTTPResponse)
    case stream(any HTTPBodySink)
}

public struct HTTPServerError: Error, Sendable {
    public let code: String
    public let message: String
}

public struct HTTPServerConfiguration: Sendable {
    public enum Listen: Sendable {
        case address(host: String, port: Int)
        case acceptedConnections
    }
    public var listen: Listen
    public var threads: Int
    public var connectionLimit: Int
    public var timeoutSeconds: Int
    public init(listen: Listen, threads: Int = 2, connectionLimit: Int = 1024, timeoutSeconds: Int = 30) {
        self.listen = listen
        self.threads = threads
        self.connectionLimit = connectionLimit
        self.timeoutSeconds = timeoutSeconds
    }
}

public final class HTTPServer: Sendable {
    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) throws(HTTPServerError) {}
    public var port: Int { 0 }
    public func addConnection(socket: Int32, tag: Int) throws(HTTPServerError) { close(socket) }
    public func shutdown() {}
}

public final class Acceptor: Sendable {
    public init(server: HTTPServer) throws(HTTPServerError) {}
    public func addListener(socket: Int32, tag: Int) throws(HTTPServerError) {}
    @discardableResult public func removeListener(socket: Int32) -> Bool { close(socket) == 0 }
    public func shutdown() {}
}

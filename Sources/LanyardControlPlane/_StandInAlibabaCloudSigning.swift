// Stand-in for AlibabaCloudSigning (contract signatures only) until that module is merged; deleted at merge.
import Foundation
public enum PercentEncoding {
    public static func parseQuery(_ raw: String) -> [(name: String, value: String)] { fatalError("stand-in") }
}
public struct SigningError: Error, Sendable, Hashable { public let code: String; public let message: String }
public enum RPCSignatureV1 {
    public static func stringToSign(method: String, parameters: [(name: String, value: String)]) -> String { fatalError("stand-in") }
    public static func signature(stringToSign: String, secret: String) -> String { fatalError("stand-in") }
}
public struct ACS3Authorization: Sendable, Hashable {
    public let accessKeyId: String; public let signedHeaders: [String]; public let signature: String
    public init(parsing header: String) throws(SigningError) { fatalError("stand-in") }
}
public enum ACS3Signature {
    public static func canonicalRequest(method: String, path: String, query: [(name: String, value: String)],
        headers: [(name: String, value: String)], signedHeaders: [String], payloadHash: String) -> String { fatalError("stand-in") }
    public static func stringToSign(canonicalRequest: String) -> String { fatalError("stand-in") }
    public static func signature(stringToSign: String, secret: String) -> String { fatalError("stand-in") }
}

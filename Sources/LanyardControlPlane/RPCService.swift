import AlibabaCloudSigning
import Foundation
import LanyardPolicy

/// One authenticated POP RPC call, as a service sees it.
public struct RPCRequest: Sendable {
    /// The API name (`AssumeRole`, `CreateRole`, ...).
    public let action: String
    /// Query and form parameters, merged and decoded, without the signature parameters (`Signature*`,
    /// `Timestamp`, `AccessKeyId`, `SecurityToken`).
    public let parameters: [String: String]
    /// Who signed the call.
    public let caller: Caller
    /// The AccessKeyId that signed the call.
    public let accessKeyId: String
    /// For role sessions: the session policy of the caller's token.
    public let sessionPolicy: Policy?
    /// Client IP address.
    public let sourceIp: String
    /// Whether the call came over TLS.
    public let secureTransport: Bool
    /// The client's User-Agent header.
    public let userAgent: String?
    /// The RequestId the response will carry.
    public let requestId: String
    /// Whether the client stopped waiting (closed its connection): long work may stop early. Only answered
    /// for actions that ``RPCService/mayBlock(action:)``; false otherwise.
    public let clientHasLeft: @Sendable () -> Bool

    /// Creates a request (the pipeline builds these; tests of services may too).
    public init(
        action: String, parameters: [String: String], caller: Caller, accessKeyId: String = "",
        sessionPolicy: Policy? = nil, sourceIp: String, secureTransport: Bool = false, userAgent: String? = nil,
        requestId: String, clientHasLeft: @escaping @Sendable () -> Bool = { false }
    ) {
        self.clientHasLeft = clientHasLeft
        self.action = action
        self.parameters = parameters
        self.caller = caller
        self.accessKeyId = accessKeyId
        self.sessionPolicy = sessionPolicy
        self.sourceIp = sourceIp
        self.secureTransport = secureTransport
        self.userAgent = userAgent
        self.requestId = requestId
    }

    /// A parameter that must be present and non-empty, else `MissingParameter`.
    public func required(_ name: String) throws(RPCError) -> String {
        guard let value = parameters[name], !value.isEmpty else { throw .missingParameter(name) }
        return value
    }

    /// A parameter, nil when absent or empty.
    public func optional(_ name: String) -> String? {
        guard let value = parameters[name], !value.isEmpty else { return nil }
        return value
    }

    /// The global condition keys of this call (`acs:SourceIp`, `acs:CurrentTime`, `acs:SecureTransport`,
    /// `acs:UserAgent`, `acs:AccessId`), for policy evaluation.
    public func conditionContext(now: Date) -> [String: [String]] {
        var context: [String: [String]] = [
            "acs:SourceIp": [sourceIp],
            "acs:CurrentTime": [SigningTime.iso8601(now)],
            "acs:SecureTransport": [secureTransport ? "true" : "false"],
        ]
        if let userAgent { context["acs:UserAgent"] = [userAgent] }
        if !accessKeyId.isEmpty { context["acs:AccessId"] = [accessKeyId] }
        return context
    }
}

/// A product API served through the control plane's RPC pipeline (RAM, STS; ECI registers itself).
public protocol RPCService: Sendable {
    /// Handles one authenticated call; returns the result fields (RequestId is added by the pipeline).
    /// Values are String, Int, Bool, arrays and `[String: any Sendable]` dictionaries.
    func handle(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable]

    /// Whether `action` may take long (run a command to its end, start or stop processes). Such calls are
    /// answered on a thread of their own, so they never hold up the API server's workers. Default: no.
    func mayBlock(action: String) -> Bool
}

extension RPCService {
    /// No action blocks.
    public func mayBlock(action: String) -> Bool { false }
}

import Dispatch
import Foundation
import LanyardControlPlane
import LanyardHTTP
import LanyardObjectStore

/// A `HOST:PORT` listen address (`[::1]:8100` for IPv6).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// Parses `text`, naming `option` in the error.
    public init(parsing text: String, option: String) throws(CLIError) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            hostPart = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { throw .usage("--\(option) \(text): expected [IPv6]:PORT") }
            portPart = after.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .usage("--\(option) \(text): expected HOST:PORT") }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard !hostPart.isEmpty, let port = Int(portPart), (0...65535).contains(port) else {
            throw .usage("--\(option) \(text): expected HOST:PORT with a port from 0 to 65535")
        }
        host = String(hostPart)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// `lanyard up`: runs every part of Lanyard in the foreground until SIGINT or SIGTERM.
enum UpCommand {
    static let help = """
        Usage: lanyard up [--data DIR] [--api HOST:PORT] [--oss HOST:PORT] [--region REGION]

        Runs Lanyard in the foreground: the RAM 2015-05-01 and STS 2015-04-01 RPC APIs (and Prometheus metrics
        at /metrics) on the API endpoint, and the OSS-compatible object service on the OSS endpoint. State lives in an embedded SQLite database in the data directory;
        the first start creates the account and writes its root AccessKey to <data>/root-credentials.json
        (mode 0600). Logs are JSON lines on stderr; credentials issued and refusals are audited in
        <data>/audit.jsonl. SIGINT or SIGTERM shuts down cleanly.

        Options:
          --data DIR         data directory (default ./.lanyard, env LANYARD_DATA)
          --api HOST:PORT    RAM/STS API listen address (default 127.0.0.1:8100)
          --oss HOST:PORT    OSS listen address (default 127.0.0.1:8200); path-style for IP endpoints,
                             virtual-hosted for bucket.oss-REGION[-internal].aliyuncs.com
          --region REGION    region id reported to clients (default cn-hangzhou)
        """

    static func run(_ words: [String], environment: [String: String]) async throws(CLIError) -> Int32 {
        if CLI.wantsHelp(words) {
            print(help)
            return 0
        }
        var arguments = try Arguments(words)
        let data = arguments.take("data") ?? environment["LANYARD_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? ".lanyard"
        let api = try ListenAddress(parsing: arguments.take("api") ?? "127.0.0.1:8100", option: "api")
        let oss = try ListenAddress(parsing: arguments.take("oss") ?? "127.0.0.1:8200", option: "oss")
        let region = arguments.take("region") ?? "cn-hangzhou"
        try arguments.rejectUnknown()
        guard arguments.positional.isEmpty else { throw .usage("unexpected \"\(arguments.positional[0])\"") }

        let controlPlane: ControlPlane
        let apiServer: HTTPServer
        let ossServer: HTTPServer
        do {
            controlPlane = try ControlPlane(
                configuration: ControlPlaneConfiguration(dataDirectory: data, region: region))
            apiServer = try HTTPServer(
                configuration: HTTPServerConfiguration(listen: .address(host: api.host, port: api.port)),
                handler: controlPlane.handler)
            let objects = try ObjectService(
                configuration: ObjectServiceConfiguration(
                    dataDirectory: data,
                    endpointHosts: ["oss-\(region)-internal.aliyuncs.com", "oss-\(region).aliyuncs.com"],
                    region: region),
                controlPlane: controlPlane)
            ossServer = try HTTPServer(
                configuration: HTTPServerConfiguration(listen: .address(host: oss.host, port: oss.port)),
                handler: objects)
        } catch {
            throw CLIError(code: "StartFailed", message: "cannot start: \(error)")
        }
        let apiURL = "http://\(ListenAddress(host: api.host, port: apiServer.port))"
        print("lanyard: RAM/STS API  \(apiURL)")
        print("lanyard: metrics      \(apiURL)/metrics")
        print("lanyard: OSS          http://\(ListenAddress(host: oss.host, port: ossServer.port))")
        print("lanyard: account \(controlPlane.account.accountId); root AccessKey in \(data)/root-credentials.json")
        print("lanyard: ready")
        fflush(nil)

        let signal = await waitForTerminationSignal()
        print("lanyard: \(signal == SIGINT ? "SIGINT" : "SIGTERM"), shutting down")
        ossServer.shutdown()
        apiServer.shutdown()
        controlPlane.close()
        print("lanyard: stopped")
        return 0
    }

    /// Suspends until SIGINT or SIGTERM arrives and returns which.
    static func waitForTerminationSignal() async -> Int32 {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        for await number in signals { return number }
        return SIGTERM
    }
}

extension ListenAddress {
    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

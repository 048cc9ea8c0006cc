import Dispatch
import Foundation
import LanyardNode

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
                          [--credential-lifetime SECONDS] [--credential-rotation FRACTION] [--metadata-require-token]
                          [--max-pods N]

        Runs Lanyard in the foreground:
          - the RAM 2015-05-01, STS 2015-04-01 and ECI 2018-08-08 RPC APIs (and Prometheus metrics at /metrics)
            on the API endpoint;
          - the OSS-compatible object service on the OSS endpoint;
          - the pod agent: each pod in its own network, mount, IPC and pid namespaces, its containers run as
            uid 65534 without capabilities on a read-only view of the host (the data directory hidden), with a
            metadata service at 100.100.100.200 serving its RAM role's STS credentials, rotated in the
            background (needs root; without root, ECI calls are refused with RootRequired and everything else
            runs).
        State lives in the data directory (SQLite, object bodies, pod records). The first start creates the
        account and writes its root AccessKey to <data>/root-credentials.json (mode 0600). Logs are JSON lines
        on stderr; credentials issued and refusals are audited in <data>/audit.jsonl. SIGINT or SIGTERM shuts
        down cleanly; pods keep running and the next `lanyard up` on the same data directory adopts them.

        Options:
          --data DIR                     data directory (default ./.lanyard, env LANYARD_DATA)
          --api HOST:PORT                RAM/STS/ECI API listen address (default 127.0.0.1:8100)
          --oss HOST:PORT                OSS listen address (default 127.0.0.1:8200); path style for IP
                                         endpoints, virtual-hosted for BUCKET.oss-REGION[-internal].aliyuncs.com
          --region REGION                region id reported to clients (default cn-hangzhou)
          --credential-lifetime SECONDS  lifetime of pod credentials, 900..43200 (default 21600, 6 h)
          --credential-rotation FRACTION rotate pod credentials after this fraction of their lifetime,
                                         0.05..0.95 (default 0.5)
          --metadata-require-token       pods' metadata services require hardened-mode tokens
          --max-pods N                   most pods the node runs at once, 1..10000 (default 250); more
                                         CreateContainerGroup calls are refused (403 QuotaExceeded.ContainerGroup)
        """

    /// The options `up` takes.
    static let options = OptionSpec(
        command: "up", valued: ["data", "api", "oss", "region", "credential-lifetime", "credential-rotation", "max-pods"],
        flags: ["metadata-require-token"])

    static func run(_ words: [String], environment: [String: String]) async throws(CLIError) -> Int32 {
        var arguments = try Arguments(words, spec: options)
        if arguments.wantsHelp {
            print(help)
            return 0
        }
        let data = arguments.take("data") ?? environment["LANYARD_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? ".lanyard"
        let api = try ListenAddress(parsing: arguments.take("api") ?? "127.0.0.1:8100", option: "api")
        let oss = try ListenAddress(parsing: arguments.take("oss") ?? "127.0.0.1:8200", option: "oss")
        let region = arguments.take("region") ?? "cn-hangzhou"
        // The region becomes part of host names (oss-<region>-internal.aliyuncs.com in every pod) and of ARNs.
        guard !region.isEmpty, region.count <= 63, region.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }),
            region.first != "-", region.last != "-"
        else {
            throw .usage("--region \"\(region)\" is not a region id: lower-case letters, digits and '-', like cn-hangzhou")
        }
        let lifetime = try number(arguments.take("credential-lifetime"), option: "credential-lifetime", default: 21600,
                                  range: 900...43200)
        let rotation = try number(arguments.take("credential-rotation"), option: "credential-rotation", default: 0.5,
                                  range: 0.05...0.95)
        let requireToken = arguments.takeFlag("metadata-require-token")
        let maximumPods = try count(arguments.take("max-pods"), option: "max-pods",
                                    default: NodeConfiguration.defaultMaximumPods, range: 1...10_000)
        guard arguments.positional.isEmpty else { throw .usage("unexpected \"\(arguments.positional[0])\"") }

        let services: Services
        do throws(Services.StartError) {
            services = try Services.start(
                data: data, api: api, oss: oss, region: region,
                node: { apiPort, ossPort, buckets in
                    NodeConfiguration(
                        dataDirectory: data, regionId: region, ossPort: ossPort, apiPort: apiPort,
                        credentialLifetime: lifetime, rotationFraction: rotation, requireMetadataToken: requireToken,
                        bucketNames: buckets, maximumPods: maximumPods)
                })
        } catch {
            throw CLIError(code: error.code, message: "cannot start: \(error.message)")
        }
        let apiURL = "http://\(ListenAddress(host: api.host, port: services.api.port))"
        print("lanyard: version \(CLI.version)")
        print("lanyard: RAM/STS/ECI API  \(apiURL)")
        print("lanyard: metrics          \(apiURL)/metrics")
        print("lanyard: OSS              http://\(ListenAddress(host: oss.host, port: services.oss.port))")
        if let node = services.node {
            let pods = node.list().count
            print("lanyard: pods             metadata at 100.100.100.200 in each pod; \(pods) pod(s) running")
        } else if let reason = services.nodeUnavailable {
            print("lanyard: pods             disabled: \(reason)")
        }
        print("lanyard: account \(services.controlPlane.account.accountId); root AccessKey in \(data)/root-credentials.json")
        print("lanyard: ready")
        fflush(nil)

        let signal = await waitForTerminationSignal()
        print("lanyard: \(signal == SIGINT ? "SIGINT" : "SIGTERM"), shutting down")
        services.stop()
        print("lanyard: stopped")
        return 0
    }

    /// Parses an optional numeric option within `range`.
    static func number(_ text: String?, option: String, default value: Double, range: ClosedRange<Double>)
        throws(CLIError) -> Double
    {
        guard let text else { return value }
        guard let parsed = Double(text), range.contains(parsed) else {
            throw .usage("--\(option) \(text): expected a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return parsed
    }

    /// Parses an optional whole-number option within `range`.
    static func count(_ text: String?, option: String, default value: Int, range: ClosedRange<Int>) throws(CLIError) -> Int {
        guard let text else { return value }
        guard let parsed = Int(text), range.contains(parsed) else {
            throw .usage("--\(option) \(text): expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return parsed
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

import Foundation

/// `lanyard-bench`: the load generator and client of `make bench` (scripts/bench.sh). Every command prints
/// one JSON object on stdout. Requests are signed (or shaped, for moto) before the clock starts when the
/// run is small enough to hold them, so the generator's own work stays out of the figures.
let usage = """
    Usage: lanyard-bench COMMAND [options]

      rpc          --endpoint H:P --credentials F Name=Value...     one signed POP RPC call (V1); prints the body
      request      --flavor lanyard|moto --endpoint H:P [--credentials F] METHOD /bucket[/key] [--body-file F]
                                                                    one object-store request; prints status and body
      assume-role  --flavor lanyard|moto --endpoint H:P [--credentials F] --role-arn ARN   closed-loop STS AssumeRole
      put          --flavor lanyard|moto --endpoint H:P [--credentials F] --bucket B [--size BYTES] [--key-prefix P]
      get          --flavor lanyard|moto|plain --endpoint H:P [--credentials F] (--bucket B --key K | --target PATH)
      list         --flavor lanyard|moto --endpoint H:P [--credentials F] --bucket B --keys N [--key-prefix P]
                   [--repeat R]                                     first and last page of 1000 (median ms)

    Load options (assume-role, put, get): --connections N (16) --seconds S (10) --max-requests N (1000000)
    """

/// Requests up to this many are prepared before the clock starts; larger runs prepare each request on the fly.
let prebuildLimit = 300_000

func loadPlan(
    _ options: Options, endpoint: Endpoint, prebuild: Bool = true,
    request: @escaping @Sendable (Int) -> PreparedRequest
) throws -> LoadPlan {
    let maxRequests = try options.int("max-requests", default: 1_000_000)
    var source = request
    if prebuild && maxRequests <= prebuildLimit {
        let prepared = (0..<maxRequests).map(request)
        source = { prepared[$0] }
    }
    return LoadPlan(
        host: endpoint.host, port: endpoint.port, connections: try options.int("connections", default: 16),
        seconds: try options.double("seconds", default: 10), maxRequests: maxRequests, request: source)
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    FileHandle.standardOutput.write(try encoder.encode(value) + Data("\n".utf8))
}

/// Sends one request on a fresh connection and returns the response with its body.
func exchange(_ endpoint: Endpoint, _ request: PreparedRequest) throws -> ResponseSummary {
    let connection = try HTTPConnection(host: endpoint.host, port: endpoint.port)
    try connection.send(head: request.head, body: request.body)
    return try connection.readResponse(keepBody: true)
}

struct ExchangeOutput: Encodable {
    var status: Int
    var body: String
}

struct ListOutput: Encodable {
    var firstPageMilliseconds: Double
    var lastPageMilliseconds: Double
    var firstPageKeys: Int
    var lastPageKeys: Int
}

/// Times `repeat` fetches of one listing page (on a kept-alive connection where the server keeps it);
/// returns the median time and the number of keys on the page. Connecting is not part of the time.
func timePage(_ endpoint: Endpoint, _ request: PreparedRequest, repeat count: Int) throws -> (Double, Int) {
    var times: [Double] = []
    var keys = 0
    var connection: HTTPConnection?
    for _ in 0..<count {
        let open = try connection ?? HTTPConnection(host: endpoint.host, port: endpoint.port)
        let started = monotonicNanoseconds()
        try open.send(head: request.head, body: request.body)
        let response = try open.readResponse(keepBody: true)
        times.append(Double(monotonicNanoseconds() - started) / 1e6)
        connection = response.keepAlive ? open : nil
        guard response.status == 200 else {
            throw UsageError("listing answered \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
        keys = String(decoding: response.body, as: UTF8.self).components(separatedBy: "<Key>").count - 1
    }
    times.sort()
    return (times[times.count / 2], keys)
}

func main() throws -> Int32 {
    let arguments = CommandLine.arguments.dropFirst()
    guard let command = arguments.first, command != "help", command != "--help" else {
        print(usage)
        return 0
    }
    let options = try Options(arguments.dropFirst())
    let endpoint = try Endpoint(parsing: options.string("endpoint"))
    let now = Date()
    switch command {
    case "rpc":
        let key = try AccessKey(file: options.string("credentials"))
        let parameters = try options.positional.map { word -> (name: String, value: String) in
            guard let equals = word.firstIndex(of: "=") else { throw UsageError("\(word): expected Name=Value") }
            return (String(word[..<equals]), String(word[word.index(after: equals)...]))
        }
        let defaults = [("Format", "JSON"), ("RegionId", "cn-hangzhou")].filter { d in !parameters.contains { $0.name == d.0 } }
        let response = try exchange(
            endpoint,
            Workloads.rpc(
                endpoint: endpoint, key: key, parameters: parameters + defaults.map { (name: $0.0, value: $0.1) },
                nonce: UUID().uuidString, date: now))
        try printJSON(ExchangeOutput(status: response.status, body: String(decoding: response.body, as: UTF8.self)))
        return response.status < 300 ? 0 : 1

    case "request":
        let flavor = try options.flavor()
        guard options.positional.count == 2, let path = options.positional.last, path.hasPrefix("/") else {
            throw UsageError("request: expected METHOD /bucket[/key]")
        }
        let components = path.dropFirst().split(separator: "/", maxSplits: 1).map(String.init)
        let body = try options.string("body-file", default: "").isEmpty
            ? [] : [UInt8](Data(contentsOf: URL(fileURLWithPath: options.string("body-file"))))
        let response = try exchange(
            endpoint,
            Workloads.object(
                flavor: flavor, endpoint: endpoint, key: options.accessKey(for: flavor),
                method: options.positional[0].uppercased(), bucket: components[0],
                objectKey: components.count > 1 ? components[1] : nil, body: body, date: now))
        try printJSON(
            ExchangeOutput(status: response.status, body: String(decoding: response.body.prefix(4096), as: UTF8.self)))
        return response.status < 300 ? 0 : 1

    case "assume-role":
        let flavor = try options.flavor()
        let key = try options.accessKey(for: flavor)
        let roleArn = try options.string("role-arn")
        try printJSON(
            LoadRunner.run(
                loadPlan(options, endpoint: endpoint) { index in
                    Workloads.assumeRole(
                        flavor: flavor, endpoint: endpoint, key: key, roleArn: roleArn, index: index, date: now)
                }))

    case "put":
        let flavor = try options.flavor()
        let key = try options.accessKey(for: flavor)
        let bucket = try options.string("bucket")
        let prefix = options.string("key-prefix", default: "put/")
        let first = try options.int("start-index", default: 0)
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: try options.int("size", default: 4096))
        try printJSON(
            LoadRunner.run(
                loadPlan(options, endpoint: endpoint) { index in
                    Workloads.object(
                        flavor: flavor, endpoint: endpoint, key: key, method: "PUT", bucket: bucket,
                        objectKey: Workloads.objectKey(prefix: prefix, index: first + index), body: body, date: now)
                }))

    case "get":
        let flavorText = options.string("flavor", default: "plain")
        let request: PreparedRequest
        if flavorText == "plain" {
            request = PreparedRequest(method: "GET", target: try options.string("target"), host: endpoint.hostHeader)
        } else {
            let flavor = try options.flavor()
            let bucket = try options.string("bucket")
            let objectKey = try options.string("key")
            if let key = try options.accessKey(for: flavor) {
                let target = Workloads.presignedTarget(key: key, bucket: bucket, objectKey: objectKey, date: now)
                request = PreparedRequest(method: "GET", target: target, host: endpoint.hostHeader)
            } else {
                request = Workloads.object(
                    flavor: flavor, endpoint: endpoint, key: nil, method: "GET", bucket: bucket, objectKey: objectKey,
                    date: now)
            }
        }
        try printJSON(LoadRunner.run(loadPlan(options, endpoint: endpoint, prebuild: false) { _ in request }))

    case "list":
        let flavor = try options.flavor()
        let key = try options.accessKey(for: flavor)
        let bucket = try options.string("bucket")
        let prefix = options.string("key-prefix", default: "list/")
        let keys = try options.int("keys", default: 10_000)
        let count = try options.int("repeat", default: 9)
        func page(after marker: String?) -> PreparedRequest {
            var query: [(name: String, value: String?)] = []
            if let marker { query.append(("marker", marker)) }
            query.append(("max-keys", "1000"))
            query.append(("prefix", prefix))
            return Workloads.object(
                flavor: flavor, endpoint: endpoint, key: key, method: "GET", bucket: bucket, objectKey: nil,
                query: query, date: Date())
        }
        let (firstTime, firstKeys) = try timePage(endpoint, page(after: nil), repeat: count)
        let lastMarker = keys > 1000 ? Workloads.objectKey(prefix: prefix, index: keys - 1001) : nil
        let (lastTime, lastKeys) = try timePage(endpoint, page(after: lastMarker), repeat: count)
        try printJSON(
            ListOutput(
                firstPageMilliseconds: firstTime, lastPageMilliseconds: lastTime, firstPageKeys: firstKeys,
                lastPageKeys: lastKeys))

    default:
        throw UsageError("unknown command \(command)\n\(usage)")
    }
    return 0
}

do {
    exit(try main())
} catch {
    FileHandle.standardError.write(Data("lanyard-bench: \(error)\n".utf8))
    exit(2)
}

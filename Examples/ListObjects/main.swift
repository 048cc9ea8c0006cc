// list-objects: the seed's Go example (ECI pod, RAM role, list an OSS bucket) written with the Swift SDK.
//
// The Go original reads the role's STS credentials once and builds its OSS client from them, with a note to
// "refresh the OSS client before credentials expire". Here the client holds the ECS RAM role provider itself
// and asks it before every request; the provider caches the credentials and refreshes them ahead of expiry,
// so a long listing keeps working across credential rotations without rebuilding anything.

import AlibabaCloudCredentials
import AlibabaCloudOSS
import Foundation

/// The command line: `--endpoint`, `--bucket`, `--region`, `--metadata-url` (Go-style `-name` works too).
struct Options {
    static let defaultEndpoint = "oss-cn-hangzhou-internal.aliyuncs.com"
    static let usage = """
        Usage: list-objects --bucket BUCKET [--endpoint ENDPOINT] [--region REGION]

        Lists every object of BUCKET with the STS credentials of the pod's RAM role, read from the
        instance metadata service (the role is discovered), printing one "Object: <key>" line per object.
          --endpoint      OSS endpoint (default \(defaultEndpoint)); without a scheme, http:// is used,
                          as the Go SDK of the original example does
          --region        region for signing when the endpoint is not oss-<region>[-internal].aliyuncs.com
                          (default cn-hangzhou)
          --metadata-url  for tests only: a loopback metadata server (default http://100.100.100.200)
        """

    var endpoint = defaultEndpoint
    var bucket = ""
    var region: String?
    var metadataURL: URL?

    init(_ words: [String]) throws(UsageError) {
        var index = 0
        while index < words.count {
            var word = words[index]
            index += 1
            if word == "-h" || word == "--help" || word == "-help" { throw UsageError(message: nil) }
            guard word.hasPrefix("-") else { throw UsageError(message: "unexpected argument \"\(word)\"") }
            word = String(word.drop { $0 == "-" })
            let value: String
            if let equals = word.firstIndex(of: "=") {
                value = String(word[word.index(after: equals)...])
                word = String(word[..<equals])
            } else {
                guard index < words.count else { throw UsageError(message: "-\(word) needs a value") }
                value = words[index]
                index += 1
            }
            switch word {
            case "endpoint": endpoint = value
            case "bucket": bucket = value
            case "region": region = value
            case "metadata-url":
                guard let url = URL(string: value), let host = url.host, Self.isLoopback(host) else {
                    throw UsageError(message: "--metadata-url is for tests and must name a loopback address")
                }
                metadataURL = url
            default: throw UsageError(message: "unknown option -\(word)")
            }
        }
        if endpoint.isEmpty { throw UsageError(message: "please give an OSS endpoint, e.g. \(Self.defaultEndpoint)") }
        if bucket.isEmpty { throw UsageError(message: "please give an OSS bucket name with --bucket") }
    }

    /// The endpoint as a URL: like the Go SDK that the original example uses, no scheme means `http://`.
    var endpointURL: String { endpoint.contains("://") ? endpoint : "http://\(endpoint)" }

    /// The region in `oss-<region>[-internal].aliyuncs.com`, else `--region`, else cn-hangzhou.
    var signingRegion: String { Self.region(fromEndpoint: endpoint) ?? region ?? "cn-hangzhou" }

    static func region(fromEndpoint endpoint: String) -> String? {
        var host = Substring(endpoint)
        if let scheme = host.range(of: "://") { host = host[scheme.upperBound...] }
        host = host.prefix { $0 != "/" && $0 != ":" }
        let suffix = ".aliyuncs.com"
        guard host.hasPrefix("oss-"), host.hasSuffix(suffix) else { return nil }
        var region = host.dropFirst(4).dropLast(suffix.count)
        if region.hasSuffix("-internal") { region = region.dropLast("-internal".count) }
        guard !region.isEmpty, !region.contains("."), !region.hasPrefix("accelerate") else { return nil }
        return String(region)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}

struct UsageError: Error {
    /// nil for `--help`.
    var message: String?
}

func fail(_ text: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("list-objects: \(text)\n".utf8))
    exit(status)
}

let options: Options
do {
    options = try Options(Array(CommandLine.arguments.dropFirst()))
} catch {
    guard let message = error.message else {
        print(Options.usage)
        exit(0)
    }
    fail("\(message) (see list-objects --help)", status: 2)
}

do {
    // The pod's RAM role: discovered from the metadata service, credentials cached and refreshed before expiry.
    let credentials =
        if let metadataURL = options.metadataURL {
            try ECSRAMRoleCredentialsProvider(metadataURL: metadataURL)
        } else {
            try ECSRAMRoleCredentialsProvider()
        }
    let oss = try OSSClient(
        region: options.signingRegion, endpoint: options.endpointURL, credentialsProvider: credentials)

    // Every object, page by page (ListObjects with markers, 100 keys a page, as in the Go example).
    for try await page in oss.listObjectsPages(bucket: options.bucket) {
        var lines = ""
        for object in page.objects { lines += "Object: \(object.key)\n" }
        FileHandle.standardOutput.write(Data(lines.utf8))
    }
} catch {
    fail("failed to list objects in bucket \"\(options.bucket)\": \(error)", status: 1)
}

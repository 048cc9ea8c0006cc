import AlibabaCloudCredentials
import AlibabaCloudOSS
import AlibabaCloudSigning
import Foundation

/// `lanyard oss mb|rb|ls|cp|cat|rm|stat|presign`: ossutil-style commands with `oss://bucket/key` URLs.
///
/// Every request goes through the SDK's ``OSSClient`` with a credentials provider built from the same
/// sources as the other client commands (``Invocation/resolve(_:environment:)``).
enum OSSCommand {
    static let help = """
        Usage: lanyard oss <command> [arguments] [options]

        Object storage commands (ossutil style) with oss://bucket/key URLs:
          mb oss://BUCKET [--acl ACL]            create a bucket
          rb oss://BUCKET                        delete an empty bucket
          ls [oss://BUCKET[/PREFIX]] [-d]        list buckets, or every object under a prefix (all pages)
          cp SOURCE DEST [-r]                    copy local→oss, oss→local or oss→oss; -r copies a folder
          cat oss://BUCKET/KEY                   write an object to stdout
          rm oss://BUCKET/KEY | -r oss://BUCKET[/PREFIX]   delete an object, or everything under a prefix
          stat oss://BUCKET/KEY                  show an object's size, ETag, CRC64, dates, type and metadata
          presign oss://BUCKET/KEY [--expires S] print a presigned URL

        Options for every command:
          --sign-version v1|v4   OSS signature version (default v4)
          --oss-endpoint H:P     OSS endpoint (default 127.0.0.1:8200, env LANYARD_OSS_ENDPOINT, or the
                                 profile's); without a scheme, https:// for a host name without a port
                                 (or with :443), http:// otherwise
          --profile, --region, --data   as for the other client commands (see `lanyard --help`)
        Global options may also stand before `oss`, and these options before the command:
        `lanyard --profile dev oss --sign-version v1 ls`.

        Transfers draw a progress bar on stderr once they have run for a second, when stderr is a terminal.
        Errors print one line, `lanyard: <Code>: <Message>`, and exit 1; usage errors exit 2.
        `lanyard oss <command> --help` describes each command.
        """

    static let commandHelp: [String: String] = [
        "mb": """
        Usage: lanyard oss mb oss://BUCKET [--acl private|public-read|public-read-write]

        Creates a bucket (PutBucket). Creating a bucket you already own succeeds and applies --acl.
        """,
        "rb": """
        Usage: lanyard oss rb oss://BUCKET

        Deletes an empty bucket (DeleteBucket); a bucket with objects or unfinished multipart uploads fails
        with BucketNotEmpty (empty it first with `lanyard oss rm -r oss://BUCKET`, which removes both).
        """,
        "ls": """
        Usage: lanyard oss ls [oss://BUCKET[/PREFIX]] [-d|--directory]

        Without a URL, lists your buckets: creation time, location and name.
        With a URL, lists every object whose key starts with PREFIX, following all pages (ListObjectsV2,
        1000 keys a page): last modified, size, storage class, ETag and URL, one object a line on stdout,
        then a count on stderr. -d shows one level only: keys up to the next / are folded into folder lines.
        Control characters in keys are printed as escapes (\\n, \\t, \\r, \\xHH, \\u{HH}) and backslashes
        doubled, as `ls -b` does.
        """,
        "cp": """
        Usage: lanyard oss cp SOURCE DEST [-r|--recursive] [--content-type TYPE] [--meta NAME=VALUE ...]
                              [--part-size BYTES] [--jobs N]

        SOURCE and DEST are local paths or oss://BUCKET/KEY URLs (local→oss, oss→local, oss→oss).
        A DEST that is a folder (an existing directory, a path or key ending in /, or a bucket) receives the
        source under its own name: `cp a.txt oss://b/docs/` writes docs/a.txt.
        -r copies a folder and keeps relative paths: `cp -r dir oss://b/p` uploads dir/x/y as p/x/y,
        `cp -r oss://b/p dir` downloads p/x/y as dir/x/y (an OSS prefix is read as a folder: p means p/).
        Keys that cannot be local paths (empty, . or .. components) are skipped with a warning.
        Files larger than --part-size (default 8 MiB, at least 100 KiB) upload as parallel multipart parts;
        downloads over 8 MiB run as parallel ranged reads checked against the object's ETag, into a
        temporary file renamed into place when complete. --jobs (default 4) sets the parts or ranges in
        flight per file and the files in flight for -r. The Content-Type is guessed from the file extension
        unless --content-type is given; --meta adds x-oss-meta-NAME (repeatable).
        A failed or interrupted multipart upload is aborted so no parts are left behind: the first SIGINT or
        SIGTERM stops the copy, cleans up and exits 130 (a second one quits at once).
        """,
        "cat": """
        Usage: lanyard oss cat oss://BUCKET/KEY

        Writes the object to stdout, streamed in 8 MiB ranged reads (never held whole in memory).
        """,
        "rm": """
        Usage: lanyard oss rm oss://BUCKET/KEY
               lanyard oss rm -r|--recursive oss://BUCKET[/PREFIX]

        Deletes one object (deleting a missing object succeeds, as in OSS). With -r, deletes every object
        under PREFIX read as a folder (PREFIX/), or every object in the bucket, 1000 keys per request, and
        aborts the unfinished multipart uploads there.
        """,
        "stat": """
        Usage: lanyard oss stat oss://BUCKET/KEY

        Shows the object's headers (HeadObject): size, ETag, CRC64, last modified, content type, object
        type, storage class and x-oss-meta-* metadata.
        """,
        "presign": """
        Usage: lanyard oss presign oss://BUCKET/KEY [--expires SECONDS] [--method GET|PUT|HEAD|DELETE]

        Prints a URL that lets anyone holding it perform the method (default GET) on the object until it
        expires (default 900 seconds; at most 604800 with signature V4). Presigning is local: no request is sent.
        """,
    ]

    /// Each command's own options (besides the global ones and `--sign-version`), valued and flags.
    static let commandOptions: [String: (valued: Set<String>, flags: Set<String>)] = [
        "mb": (["acl"], []), "rb": ([], []), "ls": ([], ["directory"]),
        "cp": (["content-type", "meta", "part-size", "jobs"], ["recursive"]), "cat": ([], []), "rm": ([], ["recursive"]),
        "stat": ([], []), "presign": (["expires", "method"], []),
    ]

    /// The options `command` takes: its own, the global ones and `--sign-version`; `-r` and `-d` where it has them.
    static func options(_ command: String) -> OptionSpec {
        let own = commandOptions[command] ?? ([], [])
        return OptionSpec(
            command: "oss \(command)", valued: own.valued.union(OptionSpec.globalNames).union(["sign-version"]), flags: own.flags,
            short: ["r": "recursive", "d": "directory"].filter { own.flags.contains($0.value) })
    }

    static func run(_ words: [String], environment: [String: String]) async throws(CLIError) -> Int32 {
        // Global options and --sign-version may come before the command too: `lanyard oss --profile dev ls`.
        let (globals, words) = try LeadingOptions.split(words, group: "oss", extra: ["sign-version"])
        guard let command = words.first, !["--help", "-h", "help"].contains(command) else {
            print(help)
            return words.isEmpty ? 2 : 0
        }
        guard let commandHelp = commandHelp[command] else {
            throw .usage("unknown oss command \"\(command)\"; see `lanyard oss --help`")
        }
        var arguments = try Arguments(globals + words.dropFirst(), spec: options(command))
        if arguments.wantsHelp {
            print(commandHelp)
            return 0
        }
        let invocation = try Invocation.resolve(&arguments, environment: environment)
        let version = try signatureVersion(arguments.take("sign-version"))
        let context = try Context(client: makeClient(invocation, version: version), endpoint: invocation.ossEndpoint)
        do {
            switch command {
            case "mb": return try await makeBucket(&arguments, context)
            case "rb": return try await removeBucket(&arguments, context)
            case "ls": return try await list(&arguments, context)
            case "cp":
                // SIGINT/SIGTERM cancel the copy, so a multipart upload in flight is aborted rather than left behind.
                let words = arguments
                return try await Interruption.cancellingOnSignal {
                    var arguments = words
                    return try await copy(&arguments, context)
                }
            case "cat": return try await cat(&arguments, context)
            case "rm": return try await remove(&arguments, context)
            case "stat": return try await showStat(&arguments, context)
            default: return try await presign(&arguments, context)
            }
        } catch {
            throw context.cliError(error)
        }
    }

    /// What every subcommand works with.
    struct Context: Sendable {
        var client: OSSClient
        var endpoint: String

        /// Any failure as the CLI's one-line error.
        func cliError(_ error: any Error) -> CLIError {
            switch error {
            case let error as CLIError:
                return error
            case let error as OSSError where error.code == OSSError.requestFailed:
                return CLIError(
                    code: error.code,
                    message: "\(error.code): no answer from OSS at \(endpoint): \(Self.reason(error.message)) (is `lanyard up` running?)")
            case let error as OSSError:
                let message = error.message.isEmpty ? "HTTP \(error.status)" : error.message
                return CLIError(code: error.code, message: "\(error.code): \(Self.oneLine(message))")
            case let error as CredentialsError:
                return CLIError(code: error.code, message: "\(error.code): \(Self.oneLine(error.message))")
            default:
                return CLIError(code: "Error", message: "Error: \(Self.oneLine(String(describing: error)))")
            }
        }

        /// The readable part of a transport failure (URLSession's `NSLocalizedDescription`), else the whole text.
        static func reason(_ text: String) -> String {
            guard let start = text.range(of: "NSLocalizedDescription=", options: .backwards) else { return oneLine(text) }
            return oneLine(String(text[start.upperBound...].prefix { $0 != "," && $0 != "}" }))
        }

        static func oneLine(_ text: String) -> String {
            text.split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }

    static func signatureVersion(_ text: String?) throws(CLIError) -> OSSClient.SignatureVersion {
        switch text?.lowercased() {
        case nil, "v4", "4": return .v4
        case "v1", "1": return .v1
        case let other?: throw .usage("--sign-version \(other): expected v1 or v4")
        }
    }

    static func makeClient(_ invocation: Invocation, version: OSSClient.SignatureVersion) throws(CLIError)
        -> OSSClient
    {
        let credentials = invocation.credentials
        let provider: any CredentialsProvider =
            if let token = credentials.securityToken {
                StaticSTSCredentialsProvider(
                    accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret,
                    securityToken: token)
            } else {
                StaticAccessKeyCredentialsProvider(
                    accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret)
            }
        do {
            return try OSSClient(
                region: invocation.region, endpoint: OSSEndpoint.url(invocation.ossEndpoint),
                credentialsProvider: provider, signatureVersion: version)
        } catch {
            throw .configuration("\(error.code): \(error.message) (--oss-endpoint \(invocation.ossEndpoint))")
        }
    }

    // MARK: - Argument helpers

    /// Exactly `count` positional arguments, else a usage error quoting `usage`.
    static func positionals(_ arguments: Arguments, _ count: ClosedRange<Int>, _ command: String) throws(CLIError)
        -> [String]
    {
        guard count.contains(arguments.positional.count) else {
            let firstLine = commandHelp[command]?.split(separator: "\n").first.map(String.init) ?? ""
            throw .usage(
                arguments.positional.count < count.lowerBound
                    ? "missing arguments. \(firstLine)"
                    : "too many arguments (\(arguments.positional.joined(separator: " "))). \(firstLine)")
        }
        return arguments.positional
    }

    /// An `oss://` URL naming a bucket only.
    static func bucketURL(_ text: String, _ command: String) throws(CLIError) -> OSSURL {
        let url = try OSSURL(parsing: text)
        guard url.key.isEmpty else { throw .usage("\(command) takes a bucket (oss://\(url.bucket)), not an object key") }
        return url
    }

    /// An `oss://` URL naming one object.
    static func objectURL(_ text: String, _ command: String) throws(CLIError) -> OSSURL {
        let url = try OSSURL(parsing: text)
        guard !url.key.isEmpty else { throw .usage("\(command) needs an object: oss://\(url.bucket)/KEY") }
        return url
    }

    static func integer(_ arguments: inout Arguments, _ name: String, default value: Int, minimum: Int)
        throws(CLIError) -> Int
    {
        guard let text = arguments.take(name) else { return value }
        guard let number = Int(text), number >= minimum else {
            throw .usage("--\(name) \(text): expected a whole number of at least \(minimum)")
        }
        return number
    }

    // MARK: - Buckets

    static func makeBucket(_ arguments: inout Arguments, _ context: Context) async throws -> Int32 {
        let acl = arguments.take("acl")
        let url = try bucketURL(positionals(arguments, 1...1, "mb")[0], "mb")
        if let acl, !["private", "public-read", "public-read-write"].contains(acl) {
            throw CLIError.usage("--acl \(acl): expected private, public-read or public-read-write")
        }
        try await context.client.createBucket(bucket: url.bucket, acl: acl)
        return 0
    }

    static func removeBucket(_ arguments: inout Arguments, _ context: Context) async throws -> Int32 {
        let url = try bucketURL(positionals(arguments, 1...1, "rb")[0], "rb")
        do {
            try await context.client.deleteBucket(bucket: url.bucket)
        } catch let error as OSSError where error.code == "BucketNotEmpty" {
            throw CLIError(
                code: error.code,
                message: "BucketNotEmpty: \(url) still holds objects or unfinished multipart uploads; "
                    + "`lanyard oss rm -r \(url)` removes both")
        }
        return 0
    }

    // MARK: - Listing

    static func list(_ arguments: inout Arguments, _ context: Context) async throws -> Int32 {
        let folders = arguments.takeFlag("directory")
        let words = try positionals(arguments, 0...1, "ls")
        guard let text = words.first else {
            guard !folders else { throw CLIError.usage("-d applies to object listings: ls -d oss://BUCKET[/PREFIX]") }
            let buckets = try await context.client.listAllBuckets()
            for bucket in buckets {
                let created = bucket.creationDate.map(SigningTime.iso8601) ?? ""
                print("\(pad(created, 20))  \(pad(bucket.location ?? "", 16, left: true))  oss://\(bucket.name)")
            }
            FileHandle.standardError.write(Data("\(buckets.count) bucket\(buckets.count == 1 ? "" : "s")\n".utf8))
            return 0
        }
        let url = try OSSURL(parsing: text)
        var objects = 0
        var prefixes = 0
        var bytes: Int64 = 0
        let pages = context.client.listObjectsV2Pages(
            bucket: url.bucket, prefix: url.key.isEmpty ? nil : url.key, delimiter: folders ? "/" : nil, maxKeys: 1000)
        for try await page in pages {
            var text = ""
            for prefix in page.commonPrefixes {
                text += "\(pad("", 20))  \(pad("DIR", 14))  \(pad("", 8, left: true))  \(pad("", 34, left: true))  \(url.with(key: prefix).displayed)\n"
            }
            for object in page.objects {
                let modified = object.lastModified.map(SigningTime.iso8601) ?? ""
                let etag = object.etag.replacingOccurrences(of: "\"", with: "")
                text += "\(pad(modified, 20))  \(pad(String(object.size), 14))  \(pad(object.storageClass ?? "", 8, left: true))  \(pad(etag, 34, left: true))  \(url.with(key: object.key).displayed)\n"
                bytes += object.size
            }
            objects += page.objects.count
            prefixes += page.commonPrefixes.count
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        let folderText = folders ? ", \(prefixes) folder\(prefixes == 1 ? "" : "s")" : ""
        FileHandle.standardError.write(
            Data("\(objects) object\(objects == 1 ? "" : "s")\(folderText), \(ByteCount.format(bytes))\n".utf8))
        return 0
    }

    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }

    // MARK: - Objects

    static func cat(_ arguments: inout Arguments, _ context: Context) async throws -> Int32 {
        let url = try objectURL(positionals(arguments, 1...1, "cat")[0], "cat")
        let transfer = OSSTransfer(client: context.client, partSize: 8 * 1024 * 1024, jobs: 4)
        try await transfer.stream(url, to: FileHandle.standardOutput)
        return 0
    }

    static func remove(_ arguments: inout Arguments, _ context: Context) async throws -> Int32 {
        let recursive = arguments.takeFlag("recursive")
        let url = try OSSURL(parsing: positionals(arguments, 1...1, "rm")[0])
        guard recursive else {
            guard !url.key.isEmpty else {
                throw CLIError.usage(
                    "rm needs an object: oss://\(url.bucket)/KEY (rm -r \(url) removes every object, rb removes the bucket)")
            }
            try await context.client.deleteObject(bucket: url.bucket, key: url.key)
            return 0
        }
        let prefix = url.folderPrefix
        var removed = 0
        let pages = context.client.listObjectsV2Pages(
            bucket: url.bucket, prefix: prefix.isEmpty ? nil : prefix, maxKeys: 1000)
        for try await page in pages where !page.objects.isEmpty {
            try await context.client.deleteObjects(bucket: url.bucket, keys: page.objects.map(\.key))
            removed += page.objects.count
        }
        // Unfinished multipart uploads hold parts (and keep a bucket from being deleted) without being objects.
        let uploads = try await context.client.listMultipartUploads(bucket: url.bucket, prefix: prefix.isEmpty ? nil : prefix)
        for upload in uploads {
            try await context.client.abortMultipartUpload(bucket: url.bucket, key: upload.key, uploadId: upload.uploadId)
        }
        let aborted = uploads.isEmpty ? "" : " and aborted \(uploads.count) multipart upload\(uploads.count == 1 ? "" : "s")"
        print("removed \(removed) object\(removed == 1 ? "" : "s")\(aborted) under \(url.with(key: prefix))")
        return 0
    }

    static func showStat(_ arguments: inout Arguments, _ context: Context) async throws -> Int32 {
        let url = try objectURL(positionals(arguments, 1...1, "stat")[0], "stat")
        let head = try await context.client.headObject(bucket: url.bucket, key: url.key)
        var rows: [(String, String)] = [
            ("URL", url.description), ("Size", String(head.contentLength)), ("ETag", head.etag ?? ""),
            ("CRC64", head.crc64 ?? ""), ("Last-Modified", head.lastModified.map(SigningTime.rfc1123) ?? ""),
            ("Content-Type", head.contentType ?? ""), ("Object-Type", head.objectType ?? ""),
            ("Storage-Class", head.storageClass ?? ""),
        ]
        if let version = head.versionId { rows.append(("Version-Id", version)) }
        for (name, value) in head.userMetadata.sorted(by: { $0.key < $1.key }) {
            rows.append(("x-oss-meta-\(name)", value))
        }
        let width = rows.map(\.0.count).max() ?? 0
        print(rows.map { "\(pad($0.0 + ":", width + 1, left: true)) \($0.1)" }.joined(separator: "\n"))
        return 0
    }

    static func presign(_ arguments: inout Arguments, _ context: Context) async throws -> Int32 {
        let expires = try integer(&arguments, "expires", default: 900, minimum: 1)
        let method = (arguments.take("method") ?? "GET").uppercased()
        let url = try objectURL(positionals(arguments, 1...1, "presign")[0], "presign")
        guard ["GET", "PUT", "HEAD", "DELETE"].contains(method) else {
            throw CLIError.usage("--method \(method): expected GET, PUT, HEAD or DELETE")
        }
        if context.client.signatureVersion == .v4, expires > 604_800 {
            throw CLIError.usage("--expires \(expires): signature V4 allows at most 604800 seconds (7 days)")
        }
        let signed = try await context.client.presignedURL(
            method: method, bucket: url.bucket, key: url.key, expiresIn: expires)
        print(signed.absoluteString)
        return 0
    }
}

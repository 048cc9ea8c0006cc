import AlibabaCloudOSS
import Foundation

/// `lanyard oss cp`: single and recursive copies in the three directions.
extension OSSCommand {
    static func copy(_ arguments: inout Arguments, _ context: Context) async throws -> Int32 {
        let recursive = arguments.takeFlag("recursive")
        let contentType = arguments.take("content-type")
        let metadata = try metadataOptions(&arguments)
        let partSize = try integer(&arguments, "part-size", default: 8 * 1024 * 1024, minimum: OSSClient.minimumPartSize)
        let jobs = try integer(&arguments, "jobs", default: 4, minimum: 1)
        let words = try positionals(arguments, 2...2, "cp")
        let source = try TransferLocation(parsing: words[0])
        let destination = try TransferLocation(parsing: words[1])
        let job = CopyJob(
            context: context, transfer: OSSTransfer(client: context.client, partSize: partSize, jobs: jobs),
            jobs: jobs, recursive: recursive, contentType: contentType, metadata: metadata)
        switch (source, destination) {
        case (.local(let path), .oss(let url)): try await job.upload(path, to: url)
        case (.oss(let url), .local(let path)): try await job.download(url, to: path)
        case (.oss(let from), .oss(let to)): try await job.copy(from, to: to)
        case (.local, .local):
            throw CLIError.usage("cp needs an oss:// URL on at least one side; use cp(1) for local copies")
        }
        return 0
    }

    /// `--meta NAME=VALUE` options, in order.
    static func metadataOptions(_ arguments: inout Arguments) throws(CLIError) -> [String: String] {
        var metadata: [String: String] = [:]
        for option in arguments.options where option.name == "meta" {
            let text = option.value ?? ""
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw .usage("--meta \(text): expected NAME=VALUE")
            }
            let name = text[..<equals], value = text[text.index(after: equals)...]
            // Sent as x-oss-meta-NAME: VALUE, so both must be what an HTTP header can carry unchanged.
            guard name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") })
            else { throw .usage("--meta \(text): the name may hold only ASCII letters, digits, '-' and '_'") }
            guard value.unicodeScalars.allSatisfy({ $0 == "\t" || (0x20..<0x7F).contains($0.value) }) else {
                throw .usage("--meta \(text): the value may hold only printable ASCII (encode other text yourself)")
            }
            // HTTP drops a header value's surrounding blanks (and an empty header), so it would not arrive as given.
            guard let first = value.first, let last = value.last, !first.isWhitespace, !last.isWhitespace else {
                throw .usage("--meta \(text): the value must be non-empty and not start or end with blanks")
            }
            guard metadata.updateValue(String(value), forKey: name.lowercased()) == nil else {
                throw .usage("--meta \(text): \(name.lowercased()) is given twice (names are case-insensitive)")
            }
        }
        _ = arguments.take("meta")
        return metadata
    }

    /// Runs `body` for every item, `jobs` at a time, and returns the items that failed with their errors.
    static func forEachConcurrently<Item: Sendable>(
        _ items: [Item], jobs: Int, _ body: @escaping @Sendable (Item) async throws -> Void
    ) async -> [(Item, any Error)] {
        await withTaskGroup(of: (Item, (any Error)?).self) { group in
            var pending = items.makeIterator()
            var failures: [(Item, any Error)] = []
            func launch() {
                guard let item = pending.next() else { return }
                group.addTask {
                    do {
                        try await body(item)
                        return (item, nil)
                    } catch {
                        return (item, error)
                    }
                }
            }
            for _ in 0..<max(1, jobs) { launch() }
            for await (item, error) in group {
                if let error { failures.append((item, error)) }
                launch()
            }
            return failures
        }
    }
}

/// One `cp` invocation.
struct CopyJob: Sendable {
    let context: OSSCommand.Context
    let transfer: OSSTransfer
    let jobs: Int
    let recursive: Bool
    let contentType: String?
    let metadata: [String: String]

    // MARK: local → OSS

    func upload(_ path: String, to url: OSSURL) async throws {
        switch LocalFile.kind(path) {
        case .missing:
            throw CLIError(code: "NoSuchFile", message: "NoSuchFile: \(path): no such file or directory")
        case .other:
            throw CLIError.usage("\(path) is not a regular file or a directory")
        case .directory:
            guard recursive else { throw CLIError.usage("\(path) is a directory; use -r to copy it") }
            try await uploadFolder(path, to: url)
        case .file(let size):
            let target = url.with(key: TransferPlanner.uploadKey(localPath: path, destination: url))
            let progress = ProgressReporter(totalBytes: size, totalFiles: 1)
            defer { progress.finish() }
            try await transfer.upload(
                file: URL(fileURLWithPath: path), to: target,
                contentType: contentType ?? TransferPlanner.contentType(forPath: path), metadata: metadata,
                progress: progress)
        }
    }

    private func uploadFolder(_ path: String, to url: OSSURL) async throws {
        let tree = try LocalFile.tree(under: path)
        for entry in tree.skipped { warn("skipping \(TransferPlanner.join(path, entry.relative)): \(entry.reason)") }
        let files = tree.files
        let items = files.map { file in
            (
                local: TransferPlanner.join(path, file.relative),
                target: url.with(key: TransferPlanner.recursiveUploadKey(relativePath: file.relative, destination: url))
            )
        }
        let progress = ProgressReporter(totalBytes: files.reduce(0) { $0 + $1.size }, totalFiles: files.count)
        let failures = await OSSCommand.forEachConcurrently(items, jobs: jobs) { [self] item in
            try await transfer.upload(
                file: URL(fileURLWithPath: item.local), to: item.target,
                contentType: contentType ?? TransferPlanner.contentType(forPath: item.local), metadata: metadata,
                progress: progress)
        }
        progress.finish()
        report(failures.map { ($0.0.local, $0.1) })
        print("uploaded \(items.count - failures.count) of \(items.count) files to \(url.with(key: url.folderPrefix))")
        try conclude(failed: failures.count, skipped: 0, total: items.count)
    }

    // MARK: OSS → local

    func download(_ url: OSSURL, to path: String) async throws {
        guard recursive else {
            guard !url.isFolder else {
                throw CLIError.usage("\(url) is a bucket or folder; use -r to copy everything under it")
            }
            let kind = LocalFile.kind(path)
            if kind == .missing, path.hasSuffix("/") { try LocalFile.makeDirectory(path) }
            let target = TransferPlanner.downloadPath(
                key: url.key, destination: path, destinationIsDirectory: kind == .directory || path.hasSuffix("/"))
            let progress = ProgressReporter(totalBytes: nil, totalFiles: 1)
            defer { progress.finish() }
            try await transfer.download(url, to: URL(fileURLWithPath: target), progress: progress)
            return
        }
        switch LocalFile.kind(path) {
        case .missing: try LocalFile.makeDirectory(path)
        case .directory: break
        case .file, .other: throw CLIError.usage("\(path) exists and is not a directory")
        }
        let prefix = url.folderPrefix
        var items: [(source: OSSURL, local: String, size: Int64)] = []
        var skipped = 0
        let pages = context.client.listObjectsV2Pages(
            bucket: url.bucket, prefix: prefix.isEmpty ? nil : prefix, maxKeys: 1000)
        for try await object in pages.objects {
            switch TransferPlanner.localEntry(key: object.key, sourcePrefix: prefix) {
            case .file(let relative):
                items.append((url.with(key: object.key), TransferPlanner.join(path, relative), object.size))
            case .directory(let relative):
                try LocalFile.makeDirectory(TransferPlanner.join(path, relative))
            case .skipped(let reason):
                skipped += 1
                warn("skipped \(url.with(key: object.key)): \(reason)")
            }
        }
        let progress = ProgressReporter(totalBytes: items.reduce(0) { $0 + $1.size }, totalFiles: items.count)
        let failures = await OSSCommand.forEachConcurrently(items, jobs: jobs) { [transfer] item in
            let local = URL(fileURLWithPath: item.local)
            try LocalFile.makeDirectory(local.deletingLastPathComponent().path)
            try await transfer.download(item.source, to: local, progress: progress)
        }
        progress.finish()
        report(failures.map { ($0.0.source.description, $0.1) })
        print("downloaded \(items.count - failures.count) of \(items.count + skipped) objects to \(path)")
        try conclude(failed: failures.count, skipped: skipped, total: items.count + skipped)
    }

    // MARK: OSS → OSS

    func copy(_ from: OSSURL, to: OSSURL) async throws {
        guard recursive else {
            guard !from.isFolder else {
                throw CLIError.usage("\(from) is a bucket or folder; use -r to copy everything under it")
            }
            let target = to.with(key: TransferPlanner.copyKey(sourceKey: from.key, destination: to))
            let progress = ProgressReporter(totalBytes: nil, totalFiles: 1, enabled: false)
            try await transfer.copy(from, to: target, size: 0, progress: progress)
            return
        }
        let prefix = from.folderPrefix
        if from.bucket == to.bucket, to.folderPrefix.hasPrefix(prefix) {
            throw CLIError.usage(
                "\(to.with(key: to.folderPrefix)) is inside \(from.with(key: prefix)); a recursive copy into itself would not end")
        }
        var items: [(source: OSSURL, target: OSSURL, size: Int64)] = []
        let pages = context.client.listObjectsV2Pages(
            bucket: from.bucket, prefix: prefix.isEmpty ? nil : prefix, maxKeys: 1000)
        for try await object in pages.objects {
            let key = TransferPlanner.recursiveCopyKey(key: object.key, sourcePrefix: prefix, destination: to)
            items.append((from.with(key: object.key), to.with(key: key), object.size))
        }
        let progress = ProgressReporter(totalBytes: items.reduce(0) { $0 + $1.size }, totalFiles: items.count)
        let failures = await OSSCommand.forEachConcurrently(items, jobs: jobs) { [transfer] item in
            try await transfer.copy(item.source, to: item.target, size: item.size, progress: progress)
        }
        progress.finish()
        report(failures.map { ($0.0.source.description, $0.1) })
        print("copied \(items.count - failures.count) of \(items.count) objects to \(to.with(key: to.folderPrefix))")
        try conclude(failed: failures.count, skipped: 0, total: items.count)
    }

    // MARK: Reporting

    private func warn(_ text: String) {
        FileHandle.standardError.write(Data("lanyard: \(text)\n".utf8))
    }

    /// One stderr line per failed item, in the CLI's error format.
    private func report(_ failures: [(String, any Error)]) {
        for (item, error) in failures { warn("\(context.cliError(error).message) (\(item))") }
    }

    /// Fails the command when anything was not copied.
    private func conclude(failed: Int, skipped: Int, total: Int) throws {
        guard failed + skipped > 0 else { return }
        let parts = [failed > 0 ? "\(failed) failed" : nil, skipped > 0 ? "\(skipped) skipped" : nil].compactMap { $0 }
        throw CLIError(
            code: "IncompleteCopy", message: "IncompleteCopy: \(parts.joined(separator: ", ")) of \(total)")
    }
}

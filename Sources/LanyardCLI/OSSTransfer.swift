import AlibabaCloudOSS
import Foundation

/// Moves bytes between files and OSS through the SDK's ``OSSClient``.
///
/// Uploads use the SDK's `uploadFile` (one PutObject, or parallel multipart parts for files larger than a
/// part). Downloads and `cat` read objects larger than ``chunkSize`` as ranged GETs, `jobs` at a time, each
/// streamed to disk by the SDK and checked against the ETag the HEAD reported (so an object replaced mid-way
/// fails instead of mixing two versions); nothing is ever held whole in memory. A download is written to a
/// temporary file beside the destination and renamed over it only when complete.
struct OSSTransfer: Sendable {
    /// Bytes per ranged GET.
    static let chunkSize: Int64 = 8 * 1024 * 1024

    let client: OSSClient
    /// Upload part size.
    let partSize: Int
    /// Requests in flight for one transfer (parts or ranges), and files in flight for recursive copies.
    let jobs: Int

    /// Uploads one local file to `url`.
    func upload(
        file: URL, to url: OSSURL, contentType: String, metadata: [String: String], progress: ProgressReporter
    ) async throws {
        _ = try await client.uploadFile(
            bucket: url.bucket, key: url.key, file: file, partSize: partSize, concurrency: jobs,
            contentType: contentType, metadata: metadata, progress: progress.tracker())
        progress.fileDone()
    }

    /// Downloads `url` to the local file `destination`, replacing it only once every byte has arrived.
    func download(_ url: OSSURL, to destination: URL, progress: ProgressReporter) async throws {
        let head = try await client.headObject(bucket: url.bucket, key: url.key)
        progress.setTotalIfUnknown(head.contentLength)
        let directory = destination.deletingLastPathComponent()
        try LocalFile.makeDirectory(directory.path)  // like `aws s3 cp`: missing parent directories are created
        let partial = directory.appendingPathComponent(".\(destination.lastPathComponent).lanyard-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: partial) }
        if head.contentLength <= Self.chunkSize {
            try await client.getObject(bucket: url.bucket, key: url.key, to: partial)
            progress.add(bytes: head.contentLength)
        } else {
            guard FileManager.default.createFile(atPath: partial.path, contents: nil),
                let output = try? FileHandle(forWritingTo: partial)
            else { throw CLIError(code: "LocalWriteFailed", message: "LocalWriteFailed: cannot create \(partial.path)") }
            defer { try? output.close() }
            try await fetchChunks(url, size: head.contentLength, etag: head.etag, progress: progress) { chunk in
                try Self.append(chunk, to: output)
            }
        }
        guard rename(partial.path, destination.path) == 0 else {
            throw CLIError(
                code: "LocalWriteFailed",
                message: "LocalWriteFailed: cannot write \(destination.path): \(String(cString: strerror(errno)))")
        }
        progress.fileDone()
    }

    /// Writes the object's bytes, in order, to `output` (stdout for `cat`).
    func stream(_ url: OSSURL, to output: FileHandle) async throws {
        let head = try await client.headObject(bucket: url.bucket, key: url.key)
        let progress = ProgressReporter(totalBytes: head.contentLength, totalFiles: 1, enabled: false)
        if head.contentLength <= Self.chunkSize {
            let scratch = Self.scratchDirectory()
            defer { try? FileManager.default.removeItem(at: scratch) }
            let file = scratch.appendingPathComponent("object")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            try await client.getObject(bucket: url.bucket, key: url.key, to: file)
            try Self.append(file, to: output)
        } else {
            try await fetchChunks(url, size: head.contentLength, etag: head.etag, progress: progress) { chunk in
                try Self.append(chunk, to: output)
            }
        }
    }

    /// Copies an object inside OSS (CopyObject, server side).
    func copy(_ source: OSSURL, to destination: OSSURL, size: Int64, progress: ProgressReporter) async throws {
        _ = try await client.copyObject(
            sourceBucket: source.bucket, sourceKey: source.key, bucket: destination.bucket, key: destination.key)
        progress.add(bytes: size)
        progress.fileDone()
    }

    /// Fetches `size` bytes of `url` as ranged GETs, `jobs` at a time, handing each chunk's file to `deliver`
    /// in order. At most `jobs` chunks are in flight or waiting, so disk use stays bounded too.
    private func fetchChunks(
        _ url: OSSURL, size: Int64, etag: String?, progress: ProgressReporter,
        deliver: (URL) throws -> Void
    ) async throws {
        let scratch = Self.scratchDirectory()
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let count = Int((size + Self.chunkSize - 1) / Self.chunkSize)
        let client = client
        try await withThrowingTaskGroup(of: (Int, URL).self) { group in
            var launched = 0
            var delivered = 0
            var ready: [Int: URL] = [:]
            func launch() {
                guard launched < count else { return }
                let index = launched
                launched += 1
                group.addTask {
                    let first = Int64(index) * Self.chunkSize
                    let last = min(size, first + Self.chunkSize) - 1
                    let file = scratch.appendingPathComponent("chunk-\(index)")
                    let metadata = try await client.getObject(
                        bucket: url.bucket, key: url.key, to: file, range: .bytes(first...last))
                    if let etag, metadata.etag != etag {
                        throw CLIError(
                            code: "ObjectChanged",
                            message: "ObjectChanged: \(url) was replaced while it was being read; try again")
                    }
                    guard metadata.contentLength == last - first + 1 else {
                        throw CLIError(
                            code: "InvalidResponse",
                            message: "InvalidResponse: asked for bytes \(first)-\(last) of \(url), got \(metadata.contentLength)")
                    }
                    progress.add(bytes: metadata.contentLength)
                    return (index, file)
                }
            }
            for _ in 0..<max(1, jobs) { launch() }
            while let (index, file) = try await group.next() {
                ready[index] = file
                while let next = ready.removeValue(forKey: delivered) {
                    try deliver(next)
                    try? FileManager.default.removeItem(at: next)
                    delivered += 1
                    launch()
                }
            }
        }
    }

    private static func scratchDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lanyard-oss-\(UUID().uuidString)")
    }

    /// Copies `file` to the end of `output` in 1 MiB blocks.
    private static func append(_ file: URL, to output: FileHandle) throws {
        let input = try FileHandle(forReadingFrom: file)
        defer { try? input.close() }
        while let block = try input.read(upToCount: 1024 * 1024), !block.isEmpty {
            try output.write(contentsOf: block)
        }
    }
}

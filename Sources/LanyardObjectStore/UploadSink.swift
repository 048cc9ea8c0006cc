import LanyardHTTP
/// Streams a request body into a `BlobWriter` (MD5 and CRC-64 on the fly), then hands the finished file to
/// `complete`, which commits it and builds the response. On any failure or abort the file is discarded, so
/// no partial body is ever visible. The server calls one sink from one thread at a time.
final class UploadSink: HTTPBodySink, @unchecked Sendable {
    private let writer: BlobWriter
    private let expectedMD5: [UInt8]?
    private let limit: Int64
    private let fail: @Sendable (OSSError) -> HTTPResponse
    private let discard: @Sendable () -> Void
    private let complete: (BlobWriter, [UInt8]) throws(OSSError) -> HTTPResponse
    private var failed = false

    init(writer: BlobWriter, expectedMD5: [UInt8]?, limit: Int64, fail: @escaping @Sendable (OSSError) -> HTTPResponse,
         discard: @escaping @Sendable () -> Void,
         complete: @escaping (BlobWriter, [UInt8]) throws(OSSError) -> HTTPResponse) {
        self.writer = writer
        self.expectedMD5 = expectedMD5
        self.limit = limit
        self.fail = fail
        self.discard = discard
        self.complete = complete
    }

    private func failure(_ error: OSSError) -> HTTPResponse {
        if !failed {
            failed = true
            writer.abandon()
            discard()
        }
        return fail(error)
    }

    func write(_ chunk: UnsafeRawBufferPointer) -> HTTPResponse? {
        if failed { return fail(.internalError("upload already failed")) }
        if writer.count + Int64(chunk.count) > limit {
            return failure(OSSError(status: 400, code: "EntityTooLarge",
                                    message: "Your proposed upload exceeds the maximum allowed size."))
        }
        do {
            try writer.write(chunk)
            return nil
        } catch {
            return failure(error)
        }
    }

    func finish() -> HTTPResponse {
        if failed { return fail(.internalError("upload already failed")) }
        do {
            let md5 = try writer.finish()
            if let expectedMD5, expectedMD5 != md5 { return failure(.invalidDigest) }
            return try complete(writer, md5)
        } catch {
            return failure(error)
        }
    }

    func abort() {
        if !failed {
            failed = true
            writer.abandon()
            discard()
        }
    }
}

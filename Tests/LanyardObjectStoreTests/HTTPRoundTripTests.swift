import AlibabaCloudSigning
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LanyardCrypto
import LanyardHTTP
import Testing
@testable import LanyardObjectStore

/// The service behind the real HTTP server, driven by URLSession over loopback.
@Suite struct HTTPRoundTripTests {
    static func send(_ port: Int, _ method: String, _ path: String, query: String? = nil,
                     headers: [(String, String)] = [], body: [UInt8]? = nil, sign: Bool = true) async throws
        -> (HTTPURLResponse, [UInt8])
    {
        var url = "http://127.0.0.1:\(port)\(path)"
        if let query { url += "?" + query }
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        var all = headers
        if body != nil { all.append(("Content-Type", "application/octet-stream")) }
        if sign {
            let target = try OSSRequestTarget.parse(host: nil, rawPath: path, rawQuery: query, endpointHosts: [])
            let parts = OSSRequestParts(method: method, bucket: target.bucket, key: target.key,
                                        query: target.query.map { ($0.name, $0.value) }, headers: all)
            all += OSSSignatureV1.sign(parts, accessKeyId: "root-ak", secret: "root-secret", securityToken: nil,
                                       date: Date()).map { ($0.name, $0.value) }
        }
        for (name, value) in all { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return (response as! HTTPURLResponse, Array(data))
    }

    @Test func objectsOverLoopback() async throws {
        let f = try Fixture()
        defer { f.cleanUp() }
        let server = try HTTPServer(configuration: HTTPServerConfiguration(listen: .address(host: "127.0.0.1", port: 0), threads: 2),
                                    handler: f.service)
        defer { server.shutdown() }
        let port = server.port
        #expect(try await Self.send(port, "PUT", "/bkt/").0.statusCode == 200)
        let body = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let (put, _) = try await Self.send(port, "PUT", "/bkt/dir%2Fbig%20file", body: body)
        #expect(put.statusCode == 200)
        #expect(put.value(forHTTPHeaderField: "ETag") == "\"\(md5Hex(body))\"")

        let (get, data) = try await Self.send(port, "GET", "/bkt/dir/big%20file")
        #expect(get.statusCode == 200)
        #expect(data == body)
        #expect(get.value(forHTTPHeaderField: "Date").flatMap(HTTPTime.parseRFC1123) != nil)
        #expect(get.value(forHTTPHeaderField: "x-oss-request-id")?.utf8.count == 24)
        #expect(get.value(forHTTPHeaderField: "x-oss-hash-crc64ecma") == crc(body))

        let (ranged, part) = try await Self.send(port, "GET", "/bkt/dir/big%20file", headers: [("Range", "bytes=-100")])
        #expect(ranged.statusCode == 206 && part == Array(body.suffix(100)))

        let (head, headBody) = try await Self.send(port, "HEAD", "/bkt/dir/big%20file")
        #expect(head.statusCode == 200 && headBody.isEmpty)
        #expect(head.value(forHTTPHeaderField: "Content-Length") == String(body.count))

        let (missing, _) = try await Self.send(port, "HEAD", "/bkt/nothing")
        #expect(missing.statusCode == 404)
        let err = missing.value(forHTTPHeaderField: "x-oss-err").flatMap { Data(base64Encoded: $0) }
        #expect(err.map { String(decoding: $0, as: UTF8.self).contains("<Code>NoSuchKey</Code>") } == true)

        let (anonymous, denial) = try await Self.send(port, "GET", "/bkt/", sign: false)
        #expect(anonymous.statusCode == 403)
        #expect(String(decoding: denial, as: UTF8.self).contains("<Code>AccessDenied</Code>"))
        #expect(anonymous.value(forHTTPHeaderField: "Date") != nil)
    }
}

import Foundation
import Testing

@testable import LanyardControlPlane

@Suite struct BatchedLineWriterTests {
    /// Lines from many threads reach the descriptor whole, each once, in each thread's order, without a flush
    /// from the caller; a flush writes at once what is still buffered.
    @Test func linesArriveWholeAndInOrder() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        let writer = BatchedLineWriter(descriptor: fds[1])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0..<200 {
                writer.append("{\"thread\":\(thread),\"line\":\(i),\"pad\":\"\(String(repeating: "x", count: i))\"}")
            }
        }
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(5)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received.filter({ $0 == 10 }).count < 1600 && Date() < deadline {
            let n = read(fds[0], &buffer, buffer.count)
            if n > 0 { received += buffer[0..<n] } else { usleep(1000) }
        }
        let lines = String(decoding: received, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1600)
        var next = [Int](repeating: 0, count: 8)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let thread = try #require(object["thread"] as? Int)
            #expect(object["line"] as? Int == next[thread])
            next[thread] += 1
        }
        writer.append("last")
        writer.flush()
        let n = read(fds[0], &buffer, buffer.count)
        #expect(n == 5 && String(decoding: buffer[0..<5], as: UTF8.self) == "last\n")
    }
}

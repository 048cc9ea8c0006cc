import Foundation
import Testing

@testable import LanyardNode

@Suite struct SpawnTests {
    /// Each child descriptor is the file its mapping names, even when the parent's sources sit at high numbers
    /// where a fixed scratch range would overlap them (a busy server holds hundreds of descriptors).
    @Test func mappingsSurviveSourcesAtHighNumbers() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lanyard-spawn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var opened: [Int32] = []
        defer { opened.forEach { close($0) } }
        for index in 0..<4 {
            let fd = open(directory.appendingPathComponent("f\(index)").path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
            try #require(fd >= 0)
            opened.append(fd)
        }
        // Sources at 200...203, the numbers the child uses as its scratch range in a naive scheme, in an order
        // where each mapping's source is another mapping's scratch slot.
        var sources: [Int32] = []
        for (index, fd) in opened.enumerated() {
            let high = fcntl(fd, F_DUPFD_CLOEXEC, 200 + Int32(3 - index))
            try #require(high == 200 + Int32(3 - index))
            opened.append(high)
            sources.append(high)
        }
        let output = directory.appendingPathComponent("out").path
        let log = open(output, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        try #require(log >= 0)
        opened.append(log)
        let pid = try Spawn.start(
            executable: "/bin/sh", arguments: ["sh", "-c", "for n in 3 4 5 6; do readlink /proc/self/fd/$n; done"],
            environment: ["PATH=/usr/bin:/bin"], fds: [(log, 1)] + sources.enumerated().map { ($0.element, Int32(3 + $0.offset)) },
            newProcessGroup: false)
        _ = Spawn.wait(pid)
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map { String($0.split(separator: "/").last ?? "") }
        #expect(lines == ["f0", "f1", "f2", "f3"])
    }
}

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
        // Sources at four adjacent high numbers in descending order (200...203 unless other tests running in this
        // process hold some of them), where a naive fixed scratch range would have each mapping's source be
        // another mapping's scratch slot.
        let sources = try #require(Self.descendingBlock(duplicating: opened, from: 200))
        opened += sources
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

    /// Duplicates `fds` onto the first block of adjacent free numbers at or above `base`, the first file at the
    /// highest number. Another test may open a descriptor between two of these calls; then the block is released
    /// and the next one tried.
    private static func descendingBlock(duplicating fds: [Int32], from base: Int32) -> [Int32]? {
        let count = Int32(fds.count)
        var start = base
        while start < base + 800 {
            var block: [Int32] = []
            for (index, fd) in fds.enumerated() {
                let wanted = start + count - 1 - Int32(index)
                let copy = fcntl(fd, F_DUPFD_CLOEXEC, wanted)
                guard copy >= 0 else { break }
                block.append(copy)
                guard copy == wanted else { break }
            }
            if block.count == fds.count, block.last == start { return block }
            block.forEach { close($0) }
            start += count
        }
        return nil
    }
}

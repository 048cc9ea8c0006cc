import LanyardCLI
import Testing

@Suite struct TransferProgressTests {
    static let byteCountCases: [(Int64, String)] = [
        (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (10_485_760, "10.0 MiB"),
        (1_048_575, "1.0 MiB"), (5_905_580_032, "5.5 GiB"),
    ]

    @Test(arguments: byteCountCases)
    func byteCounts(bytes: Int64, text: String) {
        #expect(ByteCount.format(bytes) == text)
    }

    @Test func lineWithKnownTotal() {
        let progress = TransferProgress(
            totalBytes: 32 * 1024 * 1024, doneBytes: 12 * 1024 * 1024, totalFiles: 10, doneFiles: 3, elapsed: 3)
        #expect(progress.line == "[#########...............]  37%  12.0 MiB/32.0 MiB  4.0 MiB/s  3/10 files  00:03")
    }

    @Test func singleFileOmitsTheFileCount() {
        let progress = TransferProgress(totalBytes: 2048, doneBytes: 2048, totalFiles: 1, doneFiles: 1, elapsed: 2)
        #expect(progress.line == "[########################] 100%  2.0 KiB/2.0 KiB  1.0 KiB/s  00:02")
    }

    @Test func unknownTotalShowsBytesOnly() {
        let progress = TransferProgress(totalBytes: nil, doneBytes: 1024, totalFiles: 1, doneFiles: 0, elapsed: 0)
        #expect(progress.fraction == nil)
        #expect(progress.line == "1.0 KiB  0 B/s  00:00")
    }

    @Test func fractionIsClampedAndEmptyIsComplete() {
        #expect(TransferProgress(totalBytes: 0, doneBytes: 0, totalFiles: 1, doneFiles: 0, elapsed: 1).fraction == 1)
        #expect(TransferProgress(totalBytes: 10, doneBytes: 15, totalFiles: 1, doneFiles: 0, elapsed: 1).fraction == 1)
    }

    @Test(arguments: [(0.0, "00:00"), (59.9, "00:59"), (61, "01:01"), (3600, "1:00:00"), (7322, "2:02:02")])
    func clock(seconds: Double, text: String) {
        #expect(TransferProgress.clock(seconds) == text)
    }
}

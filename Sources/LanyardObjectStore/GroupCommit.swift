import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes the small bodies of one commit batch into a single file before their rows commit.
protocol BodyPacker: Sendable {
    /// Writes `bodies` back to back into a new file, fsynced and renamed into place; returns the file's name,
    /// the directory holding it (which the commit fsyncs) and each body's offset.
    func pack(_ bodies: [[UInt8]]) throws(OSSError) -> (file: String, directory: String, offsets: [Int64])
    /// Removes a pack none of whose rows committed.
    func removePack(_ file: String)
}

/// Where the leader put a packed body: the pack file and the body's offset in it.
struct PackedBody {
    let file: String
    let offset: Int64
}

/// The only writer of the object database, committing concurrent write transactions together.
///
/// A writer that arrives while no batch is being committed leads: it takes every writer waiting at that
/// moment (itself included), writes the small bodies they carry into one pack file (fsynced and renamed into
/// place), fsyncs each directory they renamed blobs into once, runs their bodies in one SQLite transaction
/// (each in a savepoint of its own, so a refusal undoes only its own changes), commits once — one WAL fsync
/// for the whole batch — wakes them, and hands the lead to a writer that arrived in the meantime. N
/// concurrent small uploads thus cost one file, one file fsync, one commit and one fsync per distinct
/// directory instead of N of each, and no writer ever sleeps in SQLite's busy handler waiting for another
/// connection's write lock. Nothing is acknowledged before the commit that holds it is durable.
final class GroupCommit: Sendable {
    /// One waiting write. Its mutable fields are written by the leader before `wake` is signalled and read by
    /// the writer after, so the semaphore orders every access. The leader drops `body` once it has run (the
    /// body only borrows the caller's closure, see `write`).
    private final class Job: @unchecked Sendable {
        var directories: [String]
        /// A small body to pack, and where the leader put it.
        let payload: [UInt8]?
        var packed: PackedBody?
        var body: ((SQLiteConnection, PackedBody?) throws(OSSError) -> Void)?
        var error: OSSError?
        var finished = false
        let wake = DispatchSemaphore(value: 0)

        init(directories: [String], payload: [UInt8]?,
             body: @escaping (SQLiteConnection, PackedBody?) throws(OSSError) -> Void) {
            self.directories = directories
            self.payload = payload
            self.body = body
        }
    }

    private struct State {
        var waiting: [Job] = []
        var leading = false
    }

    private final class ConnectionBox: @unchecked Sendable {  // used by the current leader only
        let connection: SQLiteConnection
        init(_ c: SQLiteConnection) { connection = c }
    }

    private let state = Mutex(State())
    private let box: ConnectionBox
    private let packer: (any BodyPacker)?

    /// Takes `connection` as the writing connection (nothing else may write through it); `packer` writes the
    /// small bodies of a batch.
    init(connection: SQLiteConnection, packer: (any BodyPacker)?) {
        box = ConnectionBox(connection)
        self.packer = packer
    }

    /// Runs `body` in a write transaction that commits before this returns, after fsyncing `directories`
    /// (where the body's new blobs were renamed). An error from `body` undoes only its own changes.
    func write<T>(syncing directories: [String] = [], _ body: (SQLiteConnection) throws(OSSError) -> T)
        throws(OSSError) -> T
    {
        try write(syncing: directories, packing: nil) { c, _ throws(OSSError) in try body(c) }
    }

    /// `write`, with `payload` (a small body) first written into the batch's pack file, which `body` is told.
    func write<T>(syncing directories: [String] = [], packing payload: [UInt8]?,
                  _ body: (SQLiteConnection, PackedBody?) throws(OSSError) -> T) throws(OSSError) -> T
    {
        if payload != nil && packer == nil { throw OSSError.internalError("database: no packer for small bodies") }
        var result: T?
        try withoutActuallyEscaping(body) { (body) throws(OSSError) in
            let job = Job(directories: directories, payload: payload) { c, packed throws(OSSError) in
                result = try body(c, packed)
            }
            try run(job)
        }
        guard let result else { throw OSSError.internalError("database: write finished without a result") }
        return result
    }

    private func run(_ job: Job) throws(OSSError) {
        let leads = state.withLock { state in
            state.waiting.append(job)
            if state.leading { return false }
            state.leading = true
            return true
        }
        if !leads {
            job.wake.wait()
            // Woken either with its batch committed, or to lead the next batch (which includes it).
        }
        if !job.finished { lead() }
        if let error = job.error { throw error }
    }

    /// Commits everything waiting, wakes those writers, and passes the lead on (or gives it up).
    private func lead() {
        let batch = state.withLock { state in
            defer { state.waiting = [] }
            return state.waiting
        }
        commit(batch)
        let next = state.withLock { state -> Job? in
            if state.waiting.isEmpty { state.leading = false }
            return state.waiting.first
        }
        for job in batch {
            job.body = nil
            job.finished = true
        }
        for job in batch { job.wake.signal() }  // the leader's own signal is never waited for: harmless
        next?.wake.signal()
    }

    private func commit(_ batch: [Job]) {
        let pack = writePack(batch)
        transact(batch)
        // A pack none of whose rows committed is garbage.
        if let pack, !batch.contains(where: { $0.packed != nil && $0.error == nil }) { packer?.removePack(pack) }
    }

    /// Syncs the batch's directories and runs its live jobs in one transaction.
    private func transact(_ batch: [Job]) {
        var failedDirectories: [String: OSSError] = [:]
        var synced = Set<String>()
        for job in batch {
            for directory in job.directories where !synced.contains(directory) {
                synced.insert(directory)
                if let error = Self.syncDirectory(directory) { failedDirectories[directory] = error }
            }
        }
        var live: [Job] = []
        for job in batch where job.error == nil {
            if let failed = job.directories.lazy.compactMap({ failedDirectories[$0] }).first {
                job.error = failed
            } else {
                live.append(job)
            }
        }
        guard !live.isEmpty else { return }
        let c = box.connection
        do throws(OSSError) {
            try c.run("BEGIN IMMEDIATE")
        } catch {
            for job in live { job.error = error }
            return
        }
        // A body's error undoes its savepoint only; a savepoint that cannot be undone or released fails them all.
        var broken: OSSError?
        for job in live {
            do throws(OSSError) {
                try c.run("SAVEPOINT job")
            } catch {
                broken = error
                break
            }
            do throws(OSSError) {
                try job.body?(c, job.packed)
            } catch {
                job.error = error
                do throws(OSSError) { try c.run("ROLLBACK TO job") } catch {
                    broken = error
                    break
                }
            }
            do throws(OSSError) { try c.run("RELEASE job") } catch {
                broken = error
                break
            }
        }
        if broken == nil {
            do throws(OSSError) { try c.run("COMMIT") } catch { broken = error }
        }
        if let broken {
            try? c.exec("ROLLBACK")
            for job in live where job.error == nil { job.error = broken }
        }
    }

    /// Writes the batch's small bodies into one pack and tells each job where its body went (or fails them
    /// all); returns the pack's file name.
    private func writePack(_ batch: [Job]) -> String? {
        let carrying = batch.filter { $0.payload != nil }
        guard let packer, !carrying.isEmpty else { return nil }
        do throws(OSSError) {
            let pack = try packer.pack(carrying.map { $0.payload ?? [] })
            for (job, offset) in zip(carrying, pack.offsets) {
                job.packed = PackedBody(file: pack.file, offset: offset)
                job.directories.append(pack.directory)
            }
            return pack.file
        } catch {
            for job in carrying { job.error = error }
            return nil
        }
    }

    /// Makes the entries of `directory` durable; nil on success.
    private static func syncDirectory(_ directory: String) -> OSSError? {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return OSSError.internalError("cannot open \(directory)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { return OSSError.internalError("fsync of \(directory) failed") }
        return nil
    }
}

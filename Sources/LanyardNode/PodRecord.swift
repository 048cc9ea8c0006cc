import Foundation
import LanyardManifests

/// ECI container group states Lanyard uses.
public enum PodPhase: String, Sendable, Hashable, Codable {
    case pending = "Pending", running = "Running", succeeded = "Succeeded", failed = "Failed", restarting = "Restarting"
}

/// One event in a pod's history (ECI `Events`).
public struct PodEvent: Sendable, Hashable, Codable {
    /// `Normal` or `Warning`.
    public var type: String
    /// Short reason, e.g. `Created`, `Started`, `CredentialsRotated`.
    public var reason: String
    /// Message (never a secret).
    public var message: String
    /// How many times it happened in a row.
    public var count: Int
    /// First occurrence.
    public var firstTimestamp: Date
    /// Latest occurrence.
    public var lastTimestamp: Date
}

/// State of one container.
public struct ContainerStatus: Sendable, Hashable, Codable {
    /// The container's spec.
    public var spec: ContainerSpec
    /// The running process, if any.
    public var process: ProcessStamp?
    /// Times the container was started again after the first start.
    public var restartCount: Int
    /// `Waiting`, `Running` or `Terminated`.
    public var state: String
    /// Exit code of the last run, when terminated.
    public var exitCode: Int32?
    /// Why the last run ended (`Completed`, `Error`, `Signaled`, `Unknown`).
    public var reason: String?
    /// When the current run started.
    public var startedAt: Date?
    /// When the last run ended.
    public var finishedAt: Date?
}

/// Everything persisted about a pod: what it is (spec, role) and where it lives (holder, namespaces). No secrets.
public struct PodRecord: Sendable, Hashable, Codable {
    /// `eci-…` id.
    public var id: String
    /// Container group name.
    public var name: String
    /// Namespace (Kubernetes-style grouping).
    public var namespace: String
    /// Region the pod was created in.
    public var regionId: String
    /// Role bound at creation; never changed afterwards.
    public var roleName: String?
    /// That role's RoleId at creation (nil in records written before pods remembered it): the pod's sessions are
    /// minted only while the role still has this id.
    public var roleId: String?
    /// Labels (ECI tags).
    public var labels: [String: String]
    /// Annotations (stored; the role annotation is read only at creation).
    public var annotations: [String: String]
    /// Restart policy.
    public var restartPolicy: RestartPolicy
    /// Idempotency token of the creating call.
    public var clientToken: String?
    /// Creation time.
    public var createdAt: Date
    /// Current phase.
    public var phase: PodPhase
    /// Holder process.
    public var holder: ProcessStamp?
    /// Network namespace inode.
    public var networkNamespace: UInt64?
    /// Mount namespace inode.
    public var mountNamespace: UInt64?
    /// Pid namespace inode (absent in records of pods made before pods had their own: those are not adopted).
    public var pidNamespace: UInt64?
    /// Expiry of the credentials currently served (for display).
    public var credentialExpiration: Date?
    /// Containers in spec order.
    public var containers: [ContainerStatus]
    /// Events, oldest first (bounded).
    public var events: [PodEvent]

    /// Role ARN in `acs:ram::<account>:role/<name>` form.
    public func roleArn(accountId: String) -> String? { roleName.map { "acs:ram::\(accountId):role/\($0)" } }

    mutating func record(_ type: String, _ reason: String, _ message: String, at time: Date) {
        if var last = events.last, last.reason == reason, last.message == message {
            last.count += 1
            last.lastTimestamp = time
            events[events.count - 1] = last
        } else {
            events.append(PodEvent(type: type, reason: reason, message: message, count: 1, firstTimestamp: time, lastTimestamp: time))
            if events.count > 50 { events.removeFirst(events.count - 50) }
        }
    }
}

/// Pod records on disk: `<root>/<id>/pod.json`, written atomically (temp file, fsync, rename).
struct PodRecordStore: Sendable {
    let root: String

    func directory(of id: String) -> String { "\(root)/\(id)" }

    func save(_ record: PodRecord) throws(NodeError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        let path = "\(directory(of: record.id))/pod.json"
        do {
            let data = try encoder.encode(record)
            let temporary = path + ".tmp"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw NodeError.posix("StoreFailed", "writing \(temporary)", errno: errno) }
            FD.writeAll(fd, Array(data))
            fsync(fd)
            close(fd)
            guard rename(temporary, path) == 0 else { throw NodeError.posix("StoreFailed", "renaming \(temporary)", errno: errno) }
        } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError(code: "StoreFailed", message: "encoding pod \(record.id): \(error)")
        }
    }

    /// Every readable record, and the directories that hold none (left by a crash mid-creation).
    func loadAll() -> (records: [PodRecord], strays: [String]) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        var records: [PodRecord] = []
        var strays: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            guard let data = FileManager.default.contents(atPath: "\(root)/\(name)/pod.json"),
                let record = try? decoder.decode(PodRecord.self, from: data), record.id == name
            else {
                strays.append("\(root)/\(name)")
                continue
            }
            records.append(record)
        }
        return (records, strays)
    }

    func remove(_ id: String) {
        try? FileManager.default.removeItem(atPath: directory(of: id))
    }
}

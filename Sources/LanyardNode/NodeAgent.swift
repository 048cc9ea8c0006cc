import LanyardPolicy
import LanyardControlPlane
import Foundation
import LanyardCrypto
import LanyardManifests
import LanyardHTTP
import Synchronization

/// What the node needs from the control plane: the account, authorization, roles' trust policies and role sessions.
public protocol NodeControlPlane: Sendable {
    /// The account that owns pods and roles.
    var accountId: String { get }
    /// Evaluates the caller's current policies, intersected with a role session's session policy (root: allow).
    func authorize(_ caller: Caller, sessionPolicy: Policy?, _ request: AuthorizationRequest) -> Decision
    /// What a role's trust policy says about `principal` assuming it (`Policy.evaluateTrust`), or nil if the role
    /// does not exist.
    func trustDecision(roleName: String, principal: TrustPrincipal) throws(RPCError) -> Decision?
    /// The RoleId of role `roleName`, or nil if the role does not exist.
    func roleId(named roleName: String) throws(RPCError) -> String?
    /// Mints an STS session of `roleName`, which must still be the role `roleId` (else `EntityNotExist.Role`). No
    /// calling principal: the node acts after admission.
    func issueRoleSession(roleName: String, roleId: String, sessionName: String, duration: TimeInterval) throws(NodeError)
        -> PodCredentials
}

/// Node settings.
public struct NodeConfiguration: Sendable {
    /// In-pod address of the metadata service.
    public static let metadataAddress = "100.100.100.200"
    /// In-pod address that forwards to the host's OSS port.
    public static let ossAddress = "100.100.100.201"
    /// In-pod address that forwards to the host's API port (RAM, STS, ECI).
    public static let apiAddress = "100.100.100.202"

    /// Pods live under `<dataDirectory>/pods`.
    public var dataDirectory: String
    /// Region of this node (`region-id`, endpoint names).
    public var regionId: String
    /// Zone served as `zone-id`.
    public var zoneId: String
    /// Host loopback port of the object service, forwarded from `ossAddress:80` in every pod.
    public var ossPort: UInt16?
    /// Host loopback port of the API, forwarded from `apiAddress:80` in every pod.
    public var apiPort: UInt16?
    /// Lifetime of pod credentials (default 6 h, like the ECI documentation's example).
    public var credentialLifetime: TimeInterval
    /// Fraction of the lifetime after which credentials are replaced (default 0.5: at half-life).
    public var rotationFraction: Double
    /// `HttpTokens=required` for every pod's metadata service.
    public var requireMetadataToken: Bool
    /// Bucket names for the pods' hosts files (`<bucket>.oss-<region>-internal.aliyuncs.com`).
    public var bucketNames: @Sendable () -> [String]
    /// Most pods this node runs at once (every pod holds descriptors and threads): creations beyond it are refused.
    public var maximumPods: Int

    /// The default of ``maximumPods``.
    public static let defaultMaximumPods = 250

    /// Creates a configuration with the defaults above.
    public init(
        dataDirectory: String, regionId: String = "cn-hangzhou", zoneId: String? = nil, ossPort: UInt16? = nil, apiPort: UInt16? = nil,
        credentialLifetime: TimeInterval = 6 * 3600, rotationFraction: Double = 0.5, requireMetadataToken: Bool = false,
        bucketNames: @escaping @Sendable () -> [String] = { [] }, maximumPods: Int = NodeConfiguration.defaultMaximumPods
    ) {
        self.dataDirectory = dataDirectory
        self.regionId = regionId
        self.zoneId = zoneId ?? "\(regionId)-a"
        self.ossPort = ossPort
        self.apiPort = apiPort
        self.credentialLifetime = credentialLifetime
        self.rotationFraction = rotationFraction
        self.requireMetadataToken = requireMetadataToken
        self.bucketNames = bucketNames
        self.maximumPods = maximumPods
    }

    /// When credentials minted at `issued` and expiring at `expiration` should be replaced.
    public func rotationDate(issued: Date, expiration: Date) -> Date {
        issued.addingTimeInterval(expiration.timeIntervalSince(issued) * min(max(rotationFraction, 0.05), 0.95))
    }

    /// The pod's `/etc/hosts`: the region's internal endpoint names point at the in-pod forwarders.
    public func hostsFile(podName: String, buckets: [String]) -> String {
        let region = regionId
        var lines = [
            "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "127.0.1.1\t\(podName)",
            "\(Self.ossAddress)\toss-\(region)-internal.aliyuncs.com oss-\(region).aliyuncs.com",
            "\(Self.apiAddress)\tsts-vpc.\(region).aliyuncs.com sts.\(region).aliyuncs.com sts.aliyuncs.com ram.aliyuncs.com "
                + "eci.\(region).aliyuncs.com eci-vpc.\(region).aliyuncs.com",
        ]
        for bucket in buckets.sorted() where Self.isHostLabel(bucket) {
            lines.append("\(Self.ossAddress)\t\(bucket).oss-\(region)-internal.aliyuncs.com \(bucket).oss-\(region).aliyuncs.com")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func isHostLabel(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 63 && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }
}

/// A pod to create (after admission).
public struct PodRequest: Sendable {
    /// Container group name (DNS-1123 label).
    public var name: String
    /// Namespace.
    public var namespace: String
    /// Labels, annotations and spec.
    public var template: PodTemplate
    /// Role to bind (already admitted), or nil.
    public var roleName: String?
    /// Idempotency token: a second create with the same token returns the first pod.
    public var clientToken: String?

    /// Creates a request.
    public init(name: String, namespace: String = "default", template: PodTemplate, roleName: String?, clientToken: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.template = template
        self.roleName = roleName
        self.clientToken = clientToken
    }
}

/// Runs pods on this machine: sandboxes, containers, the metadata service and credential rotation.
public final class NodeAgent: Sendable {
    /// Settings.
    public let configuration: NodeConfiguration
    /// The metadata HTTP handler (exposed for tests and diagnostics).
    public let metadata: MetadataService
    private let controlPlane: any NodeControlPlane
    private let store: PodRecordStore
    private let server: HTTPServer
    private let acceptor: Acceptor
    private let pods = Mutex<[String: PodRuntime]>([:])
    private let nextTag = Atomic<Int>(1)
    private let reservedNames = Mutex<Set<String>>([])

    /// Creates the agent and its metadata server (no pods yet: call `recover()` to take over persisted ones).
    public init(configuration: NodeConfiguration, controlPlane: any NodeControlPlane) throws(NodeError) {
        try PodSandbox.requireRoot()
        self.configuration = configuration
        self.controlPlane = controlPlane
        self.store = PodRecordStore(root: configuration.dataDirectory + "/pods")
        do {
            try FileManager.default.createDirectory(atPath: store.root, withIntermediateDirectories: true)
        } catch {
            throw NodeError(code: "StoreFailed", message: "creating \(store.root): \(error)")
        }
        self.metadata = MetadataService(tokenKey: SecureRandom.bytes(32), roleIsCurrent: { [controlPlane] identity in
            guard let roleName = identity.roleName, let roleId = identity.roleId else { return true }
            do {
                return try controlPlane.roleId(named: roleName) == roleId
            } catch {
                return true  // a store failure is no proof that the role is gone
            }
        })
        do {
            self.server = try HTTPServer(
                configuration: HTTPServerConfiguration(listen: .acceptedConnections, threads: 2, connectionLimit: 1024, timeoutSeconds: 30),
                handler: metadata)
            self.acceptor = try Acceptor(server: server)
        } catch {
            throw NodeError(code: "MetadataServerFailed", message: "\(error.code): \(error.message)")
        }
        metadata.onRevoked { [weak self] tag in
            guard let self, let runtime = self.pods.withLock({ $0.values.first { $0.tag == tag } }) else { return }
            self.roleDeleted(runtime)
        }
    }

    // MARK: Queries

    /// Every pod, by creation time.
    public func list() -> [PodRecord] {
        pods.withLock { Array($0.values) }.map { $0.snapshot() }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// One pod by id.
    public func pod(id: String) -> PodRecord? { runtime(id)?.snapshot() }

    /// The metadata listener tag of a pod (what the metadata service knows it by).
    func tag(of id: String) -> Int? { runtime(id)?.tag }

    /// The sandbox of a pod (for a local, streaming `exec`); nil when unknown.
    public func sandbox(id: String) -> PodSandbox? { runtime(id)?.sandbox }

    private func runtime(_ id: String) -> PodRuntime? { pods.withLock { $0[id] } }

    // MARK: Create

    /// Creates a pod: credentials first (no start race), then the sandbox, the metadata listener and forwarders,
    /// and only then the containers. On any failure nothing is left behind.
    public func create(_ request: PodRequest) throws(NodeError) -> PodRecord {
        if let token = request.clientToken, let existing = list().first(where: { $0.clientToken == token }) { return existing }
        try Self.validate(request)
        let key = "\(request.namespace)/\(request.name)"
        let limit = configuration.maximumPods
        // Capacity and name are reserved together, before anything exists: pods being created count as pods.
        let reservation = reservedNames.withLock { reserved -> (inserted: Bool, full: Bool) in
            guard !reserved.contains(key) else { return (false, false) }
            guard pods.withLock({ $0.count }) + reserved.count < limit else { return (false, true) }
            reserved.insert(key)
            return (true, false)
        }
        guard !reservation.full else {
            throw NodeError(
                code: Self.quotaExceeded,
                message: "this node already runs its maximum of \(limit) pods (lanyard up --max-pods); delete pods first")
        }
        guard reservation.inserted else {
            throw NodeError(code: "ContainerGroupName.Duplicated", message: "a pod named \(request.name) is being created in \(request.namespace)")
        }
        defer { _ = reservedNames.withLock { $0.remove(key) } }
        guard !list().contains(where: { $0.name == request.name && $0.namespace == request.namespace }) else {
            throw NodeError(code: "ContainerGroupName.Duplicated", message: "a pod named \(request.name) already exists in \(request.namespace)")
        }
        let now = Date()
        let roleId = try request.roleName.map { (role) throws(NodeError) -> String in
            let id: String?
            do throws(RPCError) {
                id = try controlPlane.roleId(named: role)
            } catch {
                throw NodeError(code: error.code, message: error.message)
            }
            guard let id else { throw NodeError(code: "EntityNotExist.Role", message: "RAM role \(role) does not exist") }
            return id
        }
        let record = PodRecord(
            id: "eci-" + SecureRandom.string(count: 20, alphabet: "abcdefghijklmnopqrstuvwxyz0123456789"), name: request.name,
            namespace: request.namespace, regionId: configuration.regionId, roleName: request.roleName, roleId: roleId,
            labels: request.template.labels, annotations: request.template.annotations, restartPolicy: request.template.spec.restartPolicy,
            clientToken: request.clientToken, createdAt: now, phase: .pending, holder: nil, networkNamespace: nil, mountNamespace: nil, pidNamespace: nil,
            credentialExpiration: nil,
            containers: request.template.spec.containers.map {
                ContainerStatus(spec: $0, process: nil, restartCount: 0, state: "Waiting", exitCode: nil, reason: nil, startedAt: nil, finishedAt: nil)
            },
            events: [])
        let credentials = try mint(pod: record)
        let runtime = try launch(record, credentials: credentials, adopting: nil, replacing: nil)
        return runtime.snapshot()
    }

    private static func validate(_ request: PodRequest) throws(NodeError) {
        func label(_ s: String) -> Bool {
            let b = Array(s.utf8)
            func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
            return !b.isEmpty && b.count <= 63 && alnum(b.first!) && alnum(b.last!) && b.allSatisfy { alnum($0) || $0 == 0x2D }
        }
        guard label(request.name) else {
            throw NodeError(code: "InvalidParameter.ContainerGroupName", message: "invalid pod name \"\(request.name)\" (DNS-1123 label)")
        }
        guard label(request.namespace) else {
            throw NodeError(code: "InvalidParameter.Namespace", message: "invalid namespace \"\(request.namespace)\"")
        }
        let containers = request.template.spec.containers
        guard !containers.isEmpty else { throw NodeError(code: "InvalidParameter.Container", message: "a pod needs at least one container") }
        for container in containers {
            guard label(container.name), containers.filter({ $0.name == container.name }).count == 1 else {
                throw NodeError(code: "InvalidParameter.Container", message: "invalid or repeated container name \"\(container.name)\"")
            }
            guard !container.command.isEmpty else {
                throw NodeError(
                    code: "InvalidParameter.Command",
                    message: "container \(container.name) has no command: images are not pulled, so an image's entrypoint is unknown")
            }
            if let problem = container.processSizeProblem { throw NodeError(code: "InvalidParameter.Container", message: problem) }
        }
    }

    /// A session of the pod's role (nil without one), only while the role still has the pod's RoleId.
    private func mint(pod: PodRecord) throws(NodeError) -> PodCredentials? {
        guard let role = pod.roleName else { return nil }
        guard let roleId = pod.roleId else {
            throw NodeError(code: "EntityNotExist.Role", message: "the RoleId of RAM role \(role) is unknown")
        }
        // Session names allow [\w.@-], 2..64 characters; the pod's name is a DNS label, so it fits.
        return try controlPlane.issueRoleSession(
            roleName: role, roleId: roleId, sessionName: pod.name, duration: configuration.credentialLifetime)
    }

    /// The pod's role was deleted (or replaced by a new role of the same name): stop serving its credentials and
    /// stop rotating, once, with a `RoleDeleted` warning. The pod keeps running.
    private func roleDeleted(_ runtime: PodRuntime) {
        metadata.revoke(tag: runtime.tag)
        let changed = runtime.state.withLock { state -> Bool in
            guard state.active, state.credentials != nil else { return false }
            state.credentials = nil
            state.rotationGeneration += 1
            state.record.credentialExpiration = nil
            state.record.record("Warning", "RoleDeleted", Self.roleDeletedMessage(state.record), at: Date())
            return true
        }
        if changed { persist(runtime) }
    }

    private static func roleDeletedMessage(_ record: PodRecord) -> String {
        "RAM role \(record.roleName ?? "") (\(record.roleId ?? "unknown id")) no longer exists: its credentials are no longer served"
    }

    /// Builds the sandbox (new or adopted), listeners and forwarders, registers the pod, persists it and starts or
    /// adopts its containers. On failure everything built is undone, and the pod's files are removed unless it
    /// is `replacing` a runtime of the same pod (a pod being recreated stays listed, as failed). A replacement
    /// registers only while that runtime is still the pod's: a pod deleted meanwhile stays deleted.
    private func launch(
        _ initial: PodRecord, credentials: PodCredentials?, adopting sandbox: PodSandbox?, replacing: PodRuntime?
    ) throws(NodeError) -> PodRuntime {
        let keepRecordOnFailure = replacing != nil
        var record = initial
        let directory = store.directory(of: record.id)
        let sandboxToUse: PodSandbox
        if let sandbox {
            sandboxToUse = sandbox
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
                try configuration.hostsFile(podName: record.name, buckets: configuration.bucketNames())
                    .write(toFile: directory + "/hosts", atomically: false, encoding: .utf8)
            } catch {
                if !keepRecordOnFailure { store.remove(record.id) }
                throw NodeError(code: "SandboxFailed", message: "preparing \(directory): \(error)")
            }
            do {
                sandboxToUse = try PodSandbox.create(
                    hostsFile: directory + "/hosts", hiddenDirectory: configuration.dataDirectory,
                    addresses: [NodeConfiguration.metadataAddress, NodeConfiguration.ossAddress, NodeConfiguration.apiAddress],
                    logFile: directory + "/holder.log")
            } catch {
                if !keepRecordOnFailure { store.remove(record.id) }
                throw error
            }
        }
        record.holder = sandboxToUse.holder
        record.networkNamespace = sandboxToUse.networkNamespace
        record.mountNamespace = sandboxToUse.mountNamespace
        record.pidNamespace = sandboxToUse.pidNamespace
        record.credentialExpiration = credentials?.expiration

        let tag = nextTag.add(1, ordering: .relaxed).oldValue
        var forwarders: [TCPForwarder] = []
        var metadataListener: Int32 = -1
        func undo() {
            metadata.unregister(tag: tag)
            if metadataListener >= 0 && !acceptor.removeListener(socket: metadataListener) { close(metadataListener) }
            forwarders.forEach { $0.stop() }
            sandboxToUse.destroy()
            if !keepRecordOnFailure { store.remove(record.id) }
        }
        do throws(NodeError) {
            let identity = PodIdentity(
                podId: record.id, podName: record.name, regionId: configuration.regionId, zoneId: configuration.zoneId,
                privateIPv4: "127.0.0.1", ownerAccountId: controlPlane.accountId, roleName: record.roleName,
                roleId: record.roleId)
            metadata.register(
                tag: tag, identity: identity, settings: MetadataSettings(requireToken: configuration.requireMetadataToken),
                credentials: credentials)
            metadataListener = try sandboxToUse.openListener(address: NodeConfiguration.metadataAddress, port: 80)
            do {
                try acceptor.addListener(socket: metadataListener, tag: tag)
            } catch {
                throw NodeError(code: "ListenerFailed", message: "\(error.code): \(error.message)")
            }
            for (address, port) in [(NodeConfiguration.ossAddress, configuration.ossPort), (NodeConfiguration.apiAddress, configuration.apiPort)] {
                guard let port else { continue }
                forwarders.append(try TCPForwarder(listener: try sandboxToUse.openListener(address: address, port: 80), targetPort: port))
            }
            record.record("Normal", sandbox == nil ? "SandboxCreated" : "SandboxAdopted", "pod sandbox holder pid \(sandboxToUse.holder.pid)", at: Date())
            if let credentials {
                record.record(
                    "Normal", "CredentialsIssued",
                    "STS session for role \(record.roleName ?? "") expires \(MetadataTime.format(credentials.expiration))", at: Date())
            }
            try store.save(record)
        } catch {
            undo()
            throw error
        }
        let runtime = PodRuntime(
            record: record, sandbox: sandboxToUse, tag: tag, metadataListener: metadataListener, forwarders: forwarders,
            credentials: credentials, directory: directory)
        let registered = pods.withLock { pods -> Bool in
            if let replacing, pods[record.id] !== replacing { return false }
            pods[record.id] = runtime
            return true
        }
        guard registered else {
            undo()
            store.remove(record.id)
            throw NodeError(code: "PodGone", message: "pod \(record.id) was deleted while it was being recreated")
        }
        sandboxToUse.whenHolderEnds { [weak self] in self?.sandboxLost(runtime) }
        for index in record.containers.indices {
            let status = record.containers[index]
            if sandbox == nil {
                startContainer(runtime, index: index, isRestart: false)
            } else if let process = status.process, process.isRunning {
                adoptContainer(runtime, index: index, process: process)
            } else if status.state == "Running" {
                // Ended while no server watched it: its exit status is lost; the restart policy decides.
                containerEnded(runtime, index: index, generation: 0, status: .unknown)
            } else if status.state == "Waiting" || Self.shouldRestart(record.restartPolicy, status: status) {
                startContainer(runtime, index: index, isRestart: status.state != "Waiting" || status.reason == "CrashLoopBackOff")
            }
        }
        if let credentials { scheduleRotation(runtime, after: credentials) }
        persist(runtime)
        return runtime
    }

    // MARK: Containers

    private static let basePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    private func environment(_ spec: ContainerSpec, pod: PodRecord) -> [String] {
        // Containers run as nobody (see PodSandbox): their home is the pod's private /tmp.
        var env = [Self.basePath, "HOSTNAME=\(pod.name)", "HOME=/tmp"]
        for variable in spec.env {
            env.removeAll { $0.hasPrefix(variable.name + "=") }
            env.append("\(variable.name)=\(variable.value)")
        }
        return env
    }

    private func startContainer(_ runtime: PodRuntime, index: Int, isRestart: Bool) {
        let (spec, record, generation) = runtime.state.withLock { state in
            state.generations[index] += 1
            return (state.record.containers[index].spec, state.record, state.generations[index])
        }
        let now = Date()
        do throws(NodeError) {
            let log = try FD.openLog("\(runtime.directory)/logs/\(spec.name).log")
            defer { close(log) }
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer { close(null) }
            let pid = try runtime.sandbox.spawn(
                arguments: spec.command + spec.args, environment: environment(spec, pod: record), workingDirectory: spec.workingDir,
                stdin: null, stdout: log, stderr: log)
            let stamp = ProcessStamp.of(pid: pid)
            runtime.state.withLock { state in
                var status = state.record.containers[index]
                if isRestart { status.restartCount += 1 }
                status.process = stamp
                status.state = "Running"
                status.startedAt = now
                status.exitCode = nil
                status.reason = nil
                state.record.containers[index] = status
                state.record.phase = .running
                state.record.record("Normal", isRestart ? "Restarted" : "Started", "container \(spec.name) started", at: now)
            }
            Spawn.reap(pid) { [weak self] status in self?.containerEnded(runtime, index: index, generation: generation, status: status) }
        } catch {
            runtime.state.withLock { state in
                state.record.containers[index].state = "Terminated"
                state.record.containers[index].reason = "StartError"
                state.record.containers[index].finishedAt = now
                state.record.record("Warning", "Failed", "container \(spec.name) could not start: \(error.message)", at: now)
            }
            updatePhase(runtime)
        }
        persist(runtime)
    }

    /// A container left running by a previous server process: not our child, so watch it until it ends.
    private func adoptContainer(_ runtime: PodRuntime, index: Int, process: ProcessStamp) {
        let generation = runtime.state.withLock { state in
            state.generations[index] += 1
            return state.generations[index]
        }
        Thread.detachNewThread { [weak self] in
            while process.isRunning && runtime.isActive { usleep(200_000) }
            self?.containerEnded(runtime, index: index, generation: generation, status: .unknown)
        }
    }

    private func containerEnded(_ runtime: PodRuntime, index: Int, generation: Int, status: ExitStatus) {
        let now = Date()
        // One lock for the verdict and the phase: a sandbox lost in between must not be marked running again.
        let restartAfter = runtime.state.withLock { state -> Int? in
            guard state.active, state.generations[index] == generation else { return nil }
            var container = state.record.containers[index]
            container.process = nil
            container.state = "Terminated"
            container.finishedAt = now
            switch status {
            case .exited(let code):
                container.exitCode = code
                container.reason = code == 0 ? "Completed" : "Error"
            case .signaled(let signal):
                container.exitCode = 128 + signal
                container.reason = "Signaled"
            case .unknown:
                container.reason = "Unknown"
            }
            let failed = container.reason != "Completed"
            state.record.record(
                failed ? "Warning" : "Normal", "Terminated",
                "container \(container.spec.name) ended (\(container.reason ?? "")\(container.exitCode.map { ", exit code \($0)" } ?? ""))",
                at: now)
            let restart = Self.shouldRestart(state.record.restartPolicy, status: container)
            if restart, failed, container.restartCount > 0 {
                // Failed again after a restart: waiting out the back-off, as kubelet's CrashLoopBackOff.
                container.state = "Waiting"
                container.reason = "CrashLoopBackOff"
                state.record.record(
                    "Warning", "BackOff", "back-off restarting failed container \(container.spec.name)", at: now)
            }
            state.record.containers[index] = container
            guard restart else { return nil }
            state.record.phase = .running
            return container.restartCount
        }
        if let restarts = restartAfter {
            let delay = min(pow(2.0, Double(min(restarts, 10))), 60)
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
                guard let self, runtime.state.withLock({ $0.active && $0.generations[index] == generation }) else { return }
                self.startContainer(runtime, index: index, isRestart: true)
            }
        } else {
            updatePhase(runtime)
        }
        persist(runtime)
    }

    private static func shouldRestart(_ policy: RestartPolicy, status: ContainerStatus) -> Bool {
        switch policy {
        case .always: true
        case .onFailure: status.exitCode != 0
        case .never: false
        }
    }

    private func updatePhase(_ runtime: PodRuntime) {
        runtime.state.withLock { state in
            let containers = state.record.containers
            guard containers.allSatisfy({ $0.state == "Terminated" }) else { return }
            state.record.phase = containers.allSatisfy({ $0.exitCode == 0 }) ? .succeeded : .failed
        }
    }

    private func persist(_ runtime: PodRuntime) {
        let (record, active) = runtime.state.withLock { ($0.record, $0.active) }
        guard active else { return }
        try? store.save(record)
    }

    // MARK: Rotation

    private func scheduleRotation(_ runtime: PodRuntime, after credentials: PodCredentials) {
        let due = configuration.rotationDate(issued: credentials.lastUpdated, expiration: credentials.expiration)
        schedule(runtime, at: due)
    }

    private func schedule(_ runtime: PodRuntime, at due: Date) {
        let generation = runtime.state.withLock { state in
            state.rotationGeneration += 1
            return state.rotationGeneration
        }
        let delay = max(due.timeIntervalSinceNow, 0)
        DispatchQueue.global().asyncAfter(wallDeadline: .now() + delay) { [weak self] in
            guard let self, runtime.state.withLock({ $0.active && $0.rotationGeneration == generation }) else { return }
            self.rotate(runtime)
        }
    }

    /// Mints the next session; the previous one stays valid until its own expiry. On failure the current
    /// credentials keep being served and a retry is scheduled.
    private func rotate(_ runtime: PodRuntime) {
        let record = runtime.snapshot()
        do {
            guard let fresh = try mint(pod: record) else { return }
            runtime.state.withLock { state in
                state.credentials = fresh
                state.record.credentialExpiration = fresh.expiration
                state.record.record("Normal", "CredentialsRotated", "new STS session expires \(MetadataTime.format(fresh.expiration))", at: Date())
            }
            metadata.update(tag: runtime.tag, credentials: fresh)
            persist(runtime)
            scheduleRotation(runtime, after: fresh)
        } catch {
            if error.code == "EntityNotExist.Role" {
                roleDeleted(runtime)
                return
            }
            runtime.state.withLock { $0.record.record("Warning", "CredentialRotationFailed", error.message, at: Date()) }
            persist(runtime)
            let remaining = runtime.state.withLock { $0.credentials?.expiration.timeIntervalSinceNow } ?? 0
            schedule(runtime, at: Date().addingTimeInterval(min(max(remaining / 4, 1), 30)))
        }
    }

    /// The credentials a pod is being served now (nil without a role). Secret: for in-process callers only.
    public func currentCredentials(id: String) -> PodCredentials? { runtime(id)?.state.withLock { $0.credentials } }

    // MARK: Lifecycle

    /// Deletes a pod: stops serving it, kills everything in its namespaces, removes its files.
    public func delete(id: String) throws(NodeError) {
        guard let runtime = pods.withLock({ $0.removeValue(forKey: id) }) else { throw Self.notFound(id) }
        teardown(runtime, removeFiles: true)
    }

    /// Stops serving a pod (once: its listener descriptor is not touched again after the acceptor closed it) and,
    /// with `removeFiles`, kills it and removes its files.
    private func teardown(_ runtime: PodRuntime, removeFiles: Bool) {
        let wasActive = runtime.state.withLock { state -> Bool in
            defer { state.active = false }
            return state.active
        }
        if wasActive {
            metadata.unregister(tag: runtime.tag)
            acceptor.removeListener(socket: runtime.metadataListener)
            runtime.forwarders.forEach { $0.stop() }
        }
        if removeFiles {
            runtime.sandbox.destroy()
            store.remove(runtime.id)
        }
    }

    /// Restarts every container of a pod (same sandbox, same credentials).
    public func restart(id: String) throws(NodeError) {
        guard let runtime = runtime(id) else { throw Self.notFound(id) }
        guard runtime.sandbox.isAlive else { throw NodeError(code: "PodGone", message: "the sandbox of pod \(id) is gone") }
        let processes = runtime.state.withLock { state -> [ProcessStamp?] in
            state.record.phase = .restarting
            for index in state.generations.indices { state.generations[index] += 1 }
            return state.record.containers.map(\.process)
        }
        let old = processes.compactMap { $0 }.filter(\.isRunning)
        for process in old { kill(-process.pid, SIGKILL) }
        // The old processes are gone before the new ones start (bounded: SIGKILL cannot be caught, only delayed).
        var waited = 0
        while waited < 10_000 && old.contains(where: \.isRunning) {
            usleep(1_000)
            waited += 1
        }
        for index in processes.indices { startContainer(runtime, index: index, isRestart: true) }
    }

    /// The holder of a live pod died while this server ran (killed, or its namespaces torn down): the pod is not
    /// `Running` any more. Its containers are marked terminated and a `SandboxLost` event recorded; then, per
    /// restart policy, the pod is recreated in a new sandbox with its current credentials (`Always`, `OnFailure`:
    /// losing the sandbox is a failure) or left `Failed` (`Never`). `exec` into it fails closed meanwhile.
    private func sandboxLost(_ runtime: PodRuntime) {
        let now = Date()
        guard pods.withLock({ $0[runtime.id] === runtime }),
            let (record, credentials) = runtime.state.withLock({ state -> (PodRecord, PodCredentials?)? in
                guard state.active else { return nil }
                for index in state.record.containers.indices {
                    state.generations[index] += 1
                    var container = state.record.containers[index]
                    if container.state != "Terminated" {
                        container.state = "Terminated"
                        container.reason = "SandboxLost"
                        container.exitCode = container.exitCode ?? 137
                        container.finishedAt = now
                    }
                    container.process = nil
                    state.record.containers[index] = container
                }
                state.record.phase = .failed
                state.record.record(
                    "Warning", "SandboxLost", "the pod's holder process \(runtime.sandbox.holder.pid) ended while the pod ran", at: now)
                return (state.record, state.credentials)
            })
        else { return }
        persist(runtime)
        teardown(runtime, removeFiles: false)
        runtime.sandbox.destroy()
        guard record.restartPolicy != .never else { return }
        var fresh = record
        fresh.phase = .pending
        fresh.containers = record.containers.map {
            ContainerStatus(
                // Each container starts again in the new sandbox: a restart, as Kubernetes counts one.
                spec: $0.spec, process: nil, restartCount: $0.restartCount + 1, state: "Waiting", exitCode: nil, reason: nil, startedAt: nil,
                finishedAt: nil)
        }
        fresh.record("Normal", "SandboxRecreating", "recreating the pod in a new sandbox (restart policy \(record.restartPolicy.rawValue))", at: Date())
        do {
            _ = try launch(fresh, credentials: credentials, adopting: nil, replacing: runtime)
        } catch {
            var failed = record
            failed.record("Warning", "Failed", "the pod could not be recreated: \(error.message)", at: Date())
            runtime.state.withLock { $0.record = failed }
            // Under the lock that delete takes first: a deleted pod's files are not written again.
            pods.withLock { pods in
                if pods[runtime.id] === runtime { try? store.save(failed) }
            }
        }
    }

    /// Runs a command in a pod (with a container's environment and working directory when `container` is given),
    /// killing it after `timeout` seconds, or as soon as `abandoned` says nobody waits for it any more.
    public func exec(
        id: String, container: String?, command: [String], input: [UInt8], timeout: TimeInterval? = nil,
        stopWhen abandoned: (@Sendable () -> Bool)? = nil
    ) throws(NodeError) -> ExecResult {
        guard let runtime = runtime(id) else { throw Self.notFound(id) }
        let record = runtime.snapshot()
        let spec = try container.map { (name) throws(NodeError) -> ContainerSpec in
            guard let spec = record.containers.first(where: { $0.spec.name == name })?.spec else {
                throw NodeError(code: "InvalidParameter.ContainerName", message: "pod \(record.name) has no container \(name)")
            }
            return spec
        } ?? record.containers.first?.spec
        let env = spec.map { environment($0, pod: record) } ?? [Self.basePath]
        return try runtime.sandbox.execute(
            arguments: command, environment: env, workingDirectory: spec?.workingDir, input: input, timeout: timeout,
            stopWhen: abandoned)
    }

    /// The log of a container (stdout and stderr interleaved): the last `tailLines` lines, at most `limitBytes`.
    public func logs(id: String, container: String?, tailLines: Int? = nil, limitBytes: Int? = nil) throws(NodeError) -> String {
        guard let runtime = runtime(id) else { throw Self.notFound(id) }
        let record = runtime.snapshot()
        guard let name = container ?? record.containers.first?.spec.name, record.containers.contains(where: { $0.spec.name == name }) else {
            throw NodeError(code: "InvalidParameter.ContainerName", message: "pod \(record.name) has no container \(container ?? "")")
        }
        let data = FileManager.default.contents(atPath: "\(runtime.directory)/logs/\(name).log") ?? Data()
        var text = String(decoding: data, as: UTF8.self)
        if let tailLines, tailLines >= 0 {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last == "" { lines.removeLast() }
            text = lines.suffix(tailLines).map { $0 + "\n" }.joined()
        }
        if let limitBytes, limitBytes >= 0, text.utf8.count > limitBytes {
            text = String(decoding: text.utf8.suffix(limitBytes), as: UTF8.self)
        }
        return text
    }

    /// Changes annotations (nil value removes one). The role stays as it was bound at creation.
    public func annotate(id: String, changes: [String: String?]) throws(NodeError) -> PodRecord {
        guard let runtime = runtime(id) else { throw Self.notFound(id) }
        runtime.state.withLock { state in
            for (key, value) in changes { state.record.annotations[key] = value }
            state.record.record("Normal", "Annotated", "annotations changed; the RAM role is fixed at creation", at: Date())
        }
        persist(runtime)
        return runtime.snapshot()
    }

    /// Rewrites every pod's hosts file in place (e.g. after a bucket was created), so new bucket names resolve.
    public func refreshHosts() {
        let buckets = configuration.bucketNames()
        for runtime in pods.withLock({ Array($0.values) }) {
            let text = configuration.hostsFile(podName: runtime.snapshot().name, buckets: buckets)
            let fd = open("\(runtime.directory)/hosts", O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { continue }
            FD.writeAll(fd, Array(text.utf8))
            close(fd)
        }
    }

    // MARK: Restart of the server

    /// Takes over the pods a previous server process left: live holders are adopted (listeners reopened,
    /// running containers watched, fresh credentials minted); pods whose holder died are cleaned up (every
    /// leftover process in their namespaces killed) and recreated from their record. Returns the pod ids
    /// adopted and recreated.
    @discardableResult
    public func recover() -> (adopted: [String], recreated: [String], failed: [String]) {
        let (records, strays) = store.loadAll()
        for stray in strays { try? FileManager.default.removeItem(atPath: stray) }
        var adopted: [String] = []
        var recreated: [String] = []
        var failed: [String] = []
        for record in records where runtime(record.id) == nil {
            var sandbox: PodSandbox?
            if let holder = record.holder, let net = record.networkNamespace, let mnt = record.mountNamespace {
                // A record without a pid namespace is from a pod without one: it is recreated, isolated.
                sandbox = try? record.pidNamespace.map { (pid) throws(NodeError) -> PodSandbox in
                    try PodSandbox.adopt(holder: holder, networkNamespace: net, mountNamespace: mnt, pidNamespace: pid)
                }
                if sandbox == nil {
                    if holder.isRunning { kill(holder.pid, SIGKILL) }
                    for pid in ProcFS.pids(inNetwork: net, mount: mnt) { kill(pid, SIGKILL) }
                }
            }
            var fresh = record
            if sandbox == nil {
                fresh.containers = record.containers.map {
                    ContainerStatus(spec: $0.spec, process: nil, restartCount: $0.restartCount, state: "Waiting", exitCode: nil, reason: nil, startedAt: nil, finishedAt: nil)
                }
                fresh.phase = .pending
                fresh.record("Warning", "SandboxLost", "the pod's holder was gone after a server restart; recreating the pod", at: Date())
            }
            if fresh.roleName != nil, fresh.roleId == nil {
                // A record from before pods remembered their RoleId: bind it to the role of that name now.
                fresh.roleId = fresh.roleName.flatMap { try? controlPlane.roleId(named: $0) }
            }
            var credentials: PodCredentials?
            do {
                credentials = try mint(pod: fresh)
            } catch {
                if error.code == "EntityNotExist.Role" {
                    fresh.credentialExpiration = nil
                    fresh.record("Warning", "RoleDeleted", Self.roleDeletedMessage(fresh), at: Date())
                }
            }
            do {
                _ = try launch(fresh, credentials: credentials, adopting: sandbox, replacing: nil)
                (sandbox == nil ? { recreated.append(record.id) } : { adopted.append(record.id) })()
            } catch {
                failed.append(record.id)
            }
        }
        return (adopted, recreated, failed)
    }

    /// Stops serving without touching the pods (a server shutdown: the next `recover()` adopts them).
    public func detach() {
        for runtime in pods.withLock({ state -> [PodRuntime] in
            defer { state = [:] }
            return Array(state.values)
        }) {
            teardown(runtime, removeFiles: false)
        }
        acceptor.shutdown()
        server.shutdown()
    }

    /// Deletes every pod and stops the metadata server.
    public func shutdown() {
        for record in list() { try? delete(id: record.id) }
        acceptor.shutdown()
        server.shutdown()
    }

    /// The code of a creation refused because the node is full (``NodeConfiguration/maximumPods``).
    public static let quotaExceeded = "QuotaExceeded.ContainerGroup"

    static func notFound(_ id: String) -> NodeError {
        NodeError(code: "InvalidContainerGroup.NotFound", message: "container group \(id) does not exist")
    }
}

/// A live pod inside the agent.
final class PodRuntime: Sendable {
    struct State {
        var record: PodRecord
        var credentials: PodCredentials?
        var generations: [Int]
        var rotationGeneration = 0
        var active = true
    }

    let id: String
    let sandbox: PodSandbox
    let tag: Int
    let metadataListener: Int32
    let forwarders: [TCPForwarder]
    let directory: String
    let state: Mutex<State>

    init(record: PodRecord, sandbox: PodSandbox, tag: Int, metadataListener: Int32, forwarders: [TCPForwarder], credentials: PodCredentials?, directory: String) {
        self.id = record.id
        self.sandbox = sandbox
        self.tag = tag
        self.metadataListener = metadataListener
        self.forwarders = forwarders
        self.directory = directory
        self.state = Mutex(State(record: record, credentials: credentials, generations: Array(repeating: 0, count: record.containers.count)))
    }

    func snapshot() -> PodRecord { state.withLock { $0.record } }
    var isActive: Bool { state.withLock { $0.active } }
}

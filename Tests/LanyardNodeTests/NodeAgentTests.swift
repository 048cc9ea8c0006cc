import LanyardPolicy
import LanyardControlPlane
import Foundation
import LanyardHTTP
import LanyardManifests
import Synchronization
import Testing

@testable import LanyardNode

/// A control plane double: roles with a trust decision for ecs.aliyuncs.com, a PassRole table, numbered sessions.
final class FakeControlPlane: NodeControlPlane {
    let accountId = "1234567890123456"
    let trust: [String: Decision]
    let passRoleAllowed: Set<String>
    let eciAllowed: Set<String>
    let sessions = Mutex<[(role: String, session: String)]>([])
    /// RoleId by role name: each trusted role starts as `id-<name>`; tests delete or recreate roles here.
    let roleIds: Mutex<[String: String]>

    init(trust: [String: Decision], passRoleAllowed: Set<String> = [], eciAllowed: Set<String> = []) {
        self.trust = trust
        self.passRoleAllowed = passRoleAllowed
        self.eciAllowed = eciAllowed
        roleIds = Mutex(Dictionary(uniqueKeysWithValues: trust.keys.map { ($0, "id-\($0)") }))
    }

    func roleId(named roleName: String) throws(RPCError) -> String? { roleIds.withLock { $0[roleName] } }

    func authorize(_ caller: Caller, sessionPolicy: Policy?, _ request: AuthorizationRequest) -> Decision {
        guard case .user(_, let name, _) = caller else { return .allow }
        if request.action == "ram:PassRole" {
            return passRoleAllowed.contains("\(name) \(request.resource)") ? .allow : .implicitDeny
        }
        return request.action.hasPrefix("eci:") && eciAllowed.contains(name) ? .allow : .implicitDeny
    }

    func trustDecision(roleName: String, principal: TrustPrincipal) throws(RPCError) -> Decision? { trust[roleName] }

    func issueRoleSession(roleName: String, roleId: String, sessionName: String, duration: TimeInterval) throws(NodeError)
        -> PodCredentials
    {
        guard roleIds.withLock({ $0[roleName] }) == roleId else {
            throw NodeError(code: "EntityNotExist.Role", message: "no role \(roleName)")
        }
        let n = sessions.withLock {
            $0.append((roleName, sessionName))
            return $0.count
        }
        let now = Date()
        return PodCredentials(
            accessKeyId: "STS.\(roleName).\(n)", accessKeySecret: "secret-\(roleName)-\(n)", securityToken: "CAIS-\(roleName)-\(n)",
            expiration: now.addingTimeInterval(duration), lastUpdated: now)
    }
}

enum AgentFixture {
    static func agent(
        _ dir: String, controlPlane: FakeControlPlane, lifetime: TimeInterval = 3600, ossPort: UInt16? = nil,
        maximumPods: Int = NodeConfiguration.defaultMaximumPods
    ) throws -> NodeAgent {
        try NodeAgent(
            configuration: NodeConfiguration(
                dataDirectory: dir, regionId: "cn-hangzhou", ossPort: ossPort, credentialLifetime: lifetime, bucketNames: { ["examplebucket"] },
                maximumPods: maximumPods),
            controlPlane: controlPlane)
    }

    static func template(_ command: [String], restart: RestartPolicy = .always, env: [EnvVar] = []) -> PodTemplate {
        PodTemplate(labels: ["app": "t"], spec: PodSpec(containers: [ContainerSpec(name: "main", image: "centos:7", command: command, env: env)], restartPolicy: restart))
    }

    static func get(_ agent: NodeAgent, pod id: String, _ path: String, headers: [(String, String)] = []) -> (Int, String) {
        let head = HTTPRequestHead(
            method: "GET", rawPath: path, rawQuery: nil, headers: HTTPHeaders(headers), remoteAddress: "127.0.0.1", connectionTag: agent.tag(of: id))
        let response = agent.metadata.response(for: head)
        guard case .bytes(let body) = response.body else { return (response.status, "") }
        return (response.status, String(decoding: body, as: UTF8.self))
    }

    /// Waits (bounded) for a condition that a background event makes true.
    static func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<3000 {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}

@Suite(.serialized, .enabled(if: SandboxFixture.isRoot, "pod sandboxes need root"))
struct NodeAgentTests {
    @Test func credentialsExistBeforeContainersAndMetadataServesThePodsRole() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let controlPlane = FakeControlPlane(trust: ["ECIRamRoleTest": .allow])
        let agent = try AgentFixture.agent(dir, controlPlane: controlPlane)
        defer { agent.shutdown() }
        let pod = try agent.create(PodRequest(name: "test", template: AgentFixture.template(["sleep", "3600"]), roleName: "ECIRamRoleTest"))
        #expect(pod.phase == .running)
        #expect(pod.containers.first?.process != nil)
        #expect(controlPlane.sessions.withLock { $0.map(\.session) } == ["test"])
        let (status, body) = AgentFixture.get(agent, pod: pod.id, "/latest/meta-data/ram/security-credentials/ECIRamRoleTest")
        #expect(status == 200)
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String]
        #expect(json?["AccessKeyId"] == "STS.ECIRamRoleTest.1")
        #expect(json?["Code"] == "Success")
        #expect(AgentFixture.get(agent, pod: pod.id, "/latest/meta-data/ram/security-credentials/") == (200, "ECIRamRoleTest"))
        #expect(AgentFixture.get(agent, pod: pod.id, "/latest/meta-data/instance-id") == (200, pod.id))
        #expect(AgentFixture.get(agent, pod: pod.id, "/latest/meta-data/hostname") == (200, "test"))
        // The pod resolves the internal endpoint names through its own hosts file.
        let hosts = try agent.exec(id: pod.id, container: nil, command: ["getent", "hosts", "examplebucket.oss-cn-hangzhou-internal.aliyuncs.com", "sts-vpc.cn-hangzhou.aliyuncs.com"], input: [])
        #expect(String(decoding: hosts.output, as: UTF8.self).split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["100.100.100.201", "100.100.100.202"])
    }

    @Test func aDeletedOrRecreatedRoleIsNoLongerServedNorRotated() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let controlPlane = FakeControlPlane(trust: ["Tmp": .allow])
        let agent = try AgentFixture.agent(dir, controlPlane: controlPlane)
        defer { agent.shutdown() }
        let pod = try agent.create(PodRequest(name: "tmp", template: AgentFixture.template(["sleep", "3600"]), roleName: "Tmp"))
        #expect(pod.roleId == "id-Tmp")
        let path = "/latest/meta-data/ram/security-credentials/Tmp"
        #expect(AgentFixture.get(agent, pod: pod.id, path).0 == 200)
        // Deleted, then created again under the same name: another role, so the pod's sessions stay dead.
        controlPlane.roleIds.withLock { $0["Tmp"] = "id-Tmp-2" }
        #expect(AgentFixture.get(agent, pod: pod.id, path).0 == 404)
        #expect(AgentFixture.get(agent, pod: pod.id, path).0 == 404)
        let record = try #require(agent.pod(id: pod.id))
        #expect(record.phase == .running)
        #expect(record.credentialExpiration == nil)
        #expect(record.events.filter { $0.reason == "RoleDeleted" }.map(\.type) == ["Warning"])
        #expect(agent.currentCredentials(id: pod.id) == nil)
        #expect(controlPlane.sessions.withLock { $0.count } == 1)
        // Nothing is minted for the new role of the same name, not even when the pod is adopted again.
        agent.detach()
        let second = try AgentFixture.agent(dir, controlPlane: controlPlane)
        defer { second.shutdown() }
        #expect(second.recover().adopted == [pod.id])
        #expect(second.currentCredentials(id: pod.id) == nil)
        #expect(AgentFixture.get(second, pod: pod.id, path).0 == 404)
        #expect(controlPlane.sessions.withLock { $0.count } == 1)
    }

    @Test func theNodeRefusesPodsBeyondItsCapacityBeforeCreatingAnything() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let controlPlane = FakeControlPlane(trust: ["R": .allow])
        let agent = try AgentFixture.agent(dir, controlPlane: controlPlane, maximumPods: 2)
        defer { agent.shutdown() }
        let first = try agent.create(PodRequest(name: "one", template: AgentFixture.template(["sleep", "3600"]), roleName: "R"))
        _ = try agent.create(PodRequest(name: "two", template: AgentFixture.template(["sleep", "3600"]), roleName: nil))
        let error = #expect(throws: NodeError.self) {
            try agent.create(PodRequest(name: "three", template: AgentFixture.template(["sleep", "3600"]), roleName: "R"))
        }
        #expect(error?.code == "QuotaExceeded.ContainerGroup")
        #expect(agent.list().map(\.name) == ["one", "two"])
        #expect(controlPlane.sessions.withLock { $0.count } == 1, "no session minted for a refused pod")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/pods").count == 2)
        try agent.delete(id: first.id)
        _ = try agent.create(PodRequest(name: "three", template: AgentFixture.template(["sleep", "3600"]), roleName: "R"))
    }

    @Test func curlInsideEachPodReachesItsOwnMetadataService() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let agent = try AgentFixture.agent(dir, controlPlane: FakeControlPlane(trust: ["RoleA": .allow, "RoleB": .allow]))
        defer { agent.shutdown() }
        let a = try agent.create(PodRequest(name: "pod-a", template: AgentFixture.template(["sleep", "3600"]), roleName: "RoleA"))
        let b = try agent.create(PodRequest(name: "pod-b", template: AgentFixture.template(["sleep", "3600"]), roleName: "RoleB"))
        func curl(_ pod: String, _ arguments: [String]) throws -> String {
            let result = try agent.exec(
                id: pod, container: nil, command: ["curl", "-s", "--max-time", "10", "-w", " %{http_code}"] + arguments, input: [])
            return String(decoding: result.output, as: UTF8.self)
        }
        let base = "http://100.100.100.200/latest/meta-data/ram/security-credentials/"
        #expect(try curl(a.id, [base]) == "RoleA 200")
        #expect(try curl(b.id, [base]) == "RoleB 200")
        let document = try curl(a.id, [base + "RoleA"])
        #expect(document.hasPrefix("{\n  \"AccessKeyId\": \"STS.RoleA.1\",") && document.hasSuffix("\"Code\": \"Success\"\n} 200"))
        #expect(try curl(a.id, [base + "RoleB"]) == "404 - Not Found 404")
        #expect(try curl(a.id, ["-H", "X-Forwarded-For: 1.2.3.4", base + "RoleA"]) == "Forbidden 403")
        // Hardened mode from inside the pod: token PUT, then GET with it; pod B's token fails in pod A.
        let tokenA = String(try curl(a.id, ["-X", "PUT", "-H", "X-aliyun-ecs-metadata-token-ttl-seconds: 21600", "http://100.100.100.200/latest/api/token"]).dropLast(4))
        let tokenB = String(try curl(b.id, ["-X", "PUT", "-H", "X-aliyun-ecs-metadata-token-ttl-seconds: 60", "http://100.100.100.200/latest/api/token"]).dropLast(4))
        #expect(try curl(a.id, ["-H", "X-aliyun-ecs-metadata-token: \(tokenA)", base]) == "RoleA 200")
        #expect(try curl(a.id, ["-H", "X-aliyun-ecs-metadata-token: \(tokenB)", base]) == "Unauthorized 401")
        #expect(try curl(a.id, ["-X", "PUT", "-H", "X-aliyun-ecs-metadata-token-ttl-seconds: 21601", "http://100.100.100.200/latest/api/token"]) == "Missing or Invalid Parameters 400")
    }

    @Test func podWithoutRoleAndUnknownRole() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let controlPlane = FakeControlPlane(trust: [:])
        let agent = try AgentFixture.agent(dir, controlPlane: controlPlane)
        defer { agent.shutdown() }
        let plain = try agent.create(PodRequest(name: "plain", template: AgentFixture.template(["sleep", "3600"]), roleName: nil))
        #expect(AgentFixture.get(agent, pod: plain.id, "/latest/meta-data/ram/security-credentials/").0 == 404)
        // Minting fails: no pod, no directory, no process.
        #expect(throws: NodeError.self) {
            try agent.create(PodRequest(name: "ghost", template: AgentFixture.template(["sleep", "3600"]), roleName: "Missing"))
        }
        #expect(agent.list().map(\.name) == ["plain"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/pods") == [plain.id])
    }

    @Test func exitCodesLogsAndExec() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let agent = try AgentFixture.agent(dir, controlPlane: FakeControlPlane(trust: [:]))
        defer { agent.shutdown() }
        let pod = try agent.create(
            PodRequest(
                name: "job", template: AgentFixture.template(["/bin/sh", "-c", "echo line1; echo \"$WHO\" >&2; exit 3"], restart: .never, env: [EnvVar(name: "WHO", value: "me")]),
                roleName: nil))
        #expect(AgentFixture.eventually { agent.pod(id: pod.id)?.phase == .failed })
        let record = try #require(agent.pod(id: pod.id))
        #expect(record.containers[0].exitCode == 3)
        #expect(record.containers[0].reason == "Error")
        #expect(try agent.logs(id: pod.id, container: nil) == "line1\nme\n")
        #expect(try agent.logs(id: pod.id, container: "main", tailLines: 1) == "me\n")
        let exec = try agent.exec(id: pod.id, container: "main", command: ["/bin/sh", "-c", "read x; echo \"$WHO:$x\"; exit 5"], input: Array("in\n".utf8))
        #expect(exec.status == .exited(5))
        #expect(exec.output == Array("me:in\n".utf8))
        #expect(throws: NodeError.self) { try agent.logs(id: pod.id, container: "nope") }
    }

    @Test func rotationReplacesCredentialsBeforeTheyExpire() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let agent = try AgentFixture.agent(dir, controlPlane: FakeControlPlane(trust: ["R": .allow]), lifetime: 2)
        defer { agent.shutdown() }
        let pod = try agent.create(PodRequest(name: "rot", template: AgentFixture.template(["sleep", "3600"]), roleName: "R"))
        let first = try #require(agent.currentCredentials(id: pod.id))
        #expect(AgentFixture.eventually { agent.currentCredentials(id: pod.id)?.accessKeyId != first.accessKeyId })
        let second = try #require(agent.currentCredentials(id: pod.id))
        #expect(second.accessKeyId == "STS.R.2")
        // Rotated at half-life: before the first credentials expired.
        #expect(second.lastUpdated < first.expiration)
        #expect(second.expiration > first.expiration)
        let (_, body) = AgentFixture.get(agent, pod: pod.id, "/latest/meta-data/ram/security-credentials/R")
        #expect(body.contains("\"AccessKeyId\": \"STS.R.") && !body.contains("STS.R.1\""))
        #expect(agent.pod(id: pod.id)?.events.contains { $0.reason == "CredentialsRotated" } == true)
    }

    @Test func podsAreIsolatedFromEachOther() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let agent = try AgentFixture.agent(dir, controlPlane: FakeControlPlane(trust: ["RoleA": .allow, "RoleB": .allow]))
        defer { agent.shutdown() }
        let a = try agent.create(PodRequest(name: "pod-a", template: AgentFixture.template(["sleep", "3600"]), roleName: "RoleA"))
        let b = try agent.create(PodRequest(name: "pod-b", template: AgentFixture.template(["sleep", "3600"]), roleName: "RoleB"))
        let secretB = try #require(agent.currentCredentials(id: b.id))

        // Every path and header combination on pod A's connections: never pod B's credentials.
        let paths = [
            "/latest/meta-data/ram/security-credentials/RoleB", "/latest/meta-data/ram/security-credentials/RoleA",
            "/latest/meta-data/ram/security-credentials/", "/2016-01-01/meta-data/ram/security-credentials/RoleB",
            "/latest/meta-data/ram/security-credentials/RoleB?pod=\(b.id)", "/latest/meta-data/instance-id",
        ]
        let headerSets: [[(String, String)]] = [
            [], [("Host", "100.100.100.200")], [("X-Forwarded-For", "127.0.0.1")], [("X-Real-IP", "127.0.0.2")],
            [("Host", b.id)], [("X-aliyun-ecs-metadata-token", "x")],
        ]
        for path in paths {
            for headers in headerSets {
                let (_, body) = AgentFixture.get(agent, pod: a.id, path, headers: headers)
                #expect(!body.contains(secretB.accessKeySecret) && !body.contains(secretB.accessKeyId) && !body.contains(b.id), "\(path) \(headers)")
            }
        }
        // A token minted for pod B is useless on pod A's connections.
        let tokenHead = HTTPRequestHead(
            method: "PUT", rawPath: "/latest/api/token", rawQuery: nil, headers: HTTPHeaders([("X-aliyun-ecs-metadata-token-ttl-seconds", "60")]),
            remoteAddress: "127.0.0.1", connectionTag: agent.tag(of: b.id))
        guard case .bytes(let token) = agent.metadata.response(for: tokenHead).body else { throw NodeError(code: "x", message: "no token") }
        #expect(AgentFixture.get(agent, pod: a.id, "/latest/meta-data/ram/security-credentials/RoleA", headers: [("X-aliyun-ecs-metadata-token", String(decoding: token, as: UTF8.self))]).0 == 401)
        // A connection with no pod tag (not accepted on a pod listener) gets nothing.
        let untagged = HTTPRequestHead(
            method: "GET", rawPath: "/latest/meta-data/ram/security-credentials/RoleB", rawQuery: nil, headers: HTTPHeaders(),
            remoteAddress: "127.0.0.1", connectionTag: nil)
        #expect(agent.metadata.response(for: untagged).status == 404)

        // By address: each pod's metadata listener lives in its own namespace, and pod A cannot reach
        // anything on the host's loopback (where pod B's secrets could be served) except through forwarders.
        let sandboxA = try #require(agent.sandbox(id: a.id))
        let sandboxB = try #require(agent.sandbox(id: b.id))
        #expect(sandboxA.networkNamespace != sandboxB.networkNamespace)
        let hostListener = try Sockets.listen(address: "127.0.0.1", port: 0, backlog: 1)
        defer { close(hostListener) }
        let port = Sockets.localAddress(hostListener)!.split(separator: ":").last!
        let probe = try agent.exec(id: a.id, container: nil, command: ["curl", "-s", "--max-time", "3", "http://127.0.0.1:\(port)/"], input: [])
        #expect(probe.status != .exited(0))
        // Nor can a process in pod A see pod B's processes' environment or namespaces as its own.
        let ns = try agent.exec(id: a.id, container: nil, command: ["readlink", "/proc/self/ns/net"], input: [])
        #expect(String(decoding: ns.output, as: UTF8.self) == "net:[\(sandboxA.networkNamespace)]\n")
    }

    @Test func restartedServerAdoptsLivePodsAndRecreatesDeadOnes() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let controlPlane = FakeControlPlane(trust: ["R": .allow])
        let first = try AgentFixture.agent(dir, controlPlane: controlPlane)
        let live = try first.create(PodRequest(name: "live", template: AgentFixture.template(["sleep", "3600"]), roleName: "R"))
        let dead = try first.create(PodRequest(name: "dead", template: AgentFixture.template(["sleep", "3600"]), roleName: nil))
        let liveProcess = try #require(live.containers[0].process)
        let deadNamespaces = (dead.networkNamespace!, dead.mountNamespace!)
        first.detach()
        // While no server runs, the holder of "dead" dies (its container keeps the namespace alive).
        kill(dead.holder!.pid, SIGKILL)
        #expect(AgentFixture.eventually { !dead.holder!.isRunning })

        let second = try AgentFixture.agent(dir, controlPlane: controlPlane)
        let outcome = second.recover()
        #expect(outcome.adopted == [live.id])
        #expect(outcome.recreated == [dead.id])
        #expect(outcome.failed.isEmpty)
        // Live pod: same holder, same container process, served again with fresh credentials.
        let adopted = try #require(second.pod(id: live.id))
        #expect(adopted.holder == live.holder)
        #expect(adopted.containers[0].process == liveProcess)
        #expect(AgentFixture.get(second, pod: live.id, "/latest/meta-data/ram/security-credentials/").1 == "R")
        #expect(try second.exec(id: live.id, container: nil, command: ["true"], input: []).status == .exited(0))
        // Exec into the adopted pod enters its pid namespace too, as nobody with the container's environment.
        let inside = try second.exec(id: live.id, container: nil, command: ["/bin/sh", "-c", "readlink /proc/self/ns/pid; id -u; echo $HOME"], input: [])
        #expect(String(decoding: inside.output, as: UTF8.self) == "pid:[\(try #require(live.pidNamespace))]\n65534\n/tmp\n")
        // Dead pod: its leftover processes were killed and a new sandbox runs it.
        #expect(ProcFS.pids(inNetwork: deadNamespaces.0, mount: deadNamespaces.1).isEmpty)
        let recreated = try #require(second.pod(id: dead.id))
        #expect(recreated.holder != dead.holder)
        #expect(recreated.containers[0].process != nil)

        let sandboxes = [second.sandbox(id: live.id)!, second.sandbox(id: dead.id)!]
        second.shutdown()
        for sandbox in sandboxes { #expect(sandbox.processes.isEmpty) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/pods").isEmpty)
        #expect(!liveProcess.isRunning)
    }

    @Test func aPodRecordedWithoutAPidNamespaceIsRecreatedIsolated() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let controlPlane = FakeControlPlane(trust: [:])
        let first = try AgentFixture.agent(dir, controlPlane: controlPlane)
        let pod = try first.create(PodRequest(name: "old", template: AgentFixture.template(["sleep", "3600"]), roleName: nil))
        first.detach()
        // As a record written before pods had their own pid namespace: such a holder is never adopted.
        let path = dir + "/pods/\(pod.id)/pod.json"
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        json.removeValue(forKey: "pidNamespace")
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        let second = try AgentFixture.agent(dir, controlPlane: controlPlane)
        defer { second.shutdown() }
        #expect(second.recover().recreated == [pod.id])
        #expect(AgentFixture.eventually { !pod.holder!.isRunning })
        let recreated = try #require(second.pod(id: pod.id))
        #expect(recreated.holder != pod.holder && recreated.pidNamespace != nil && recreated.phase == .running)
    }

    @Test func aPodWhoseHolderDiesIsNoLongerRunning() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let agent = try AgentFixture.agent(dir, controlPlane: FakeControlPlane(trust: ["R": .allow]))
        defer { agent.shutdown() }
        func lost(_ id: String) -> Bool { agent.pod(id: id)?.events.contains { $0.reason == "SandboxLost" } ?? false }
        // Restart policy Never: the pod fails with its containers terminated, and exec into it fails closed.
        let never = try agent.create(PodRequest(name: "never", template: AgentFixture.template(["sleep", "3600"], restart: .never), roleName: nil))
        let neverSandbox = try #require(agent.sandbox(id: never.id))
        kill(try #require(never.holder).pid, SIGKILL)
        #expect(AgentFixture.eventually { lost(never.id) })
        let failed = try #require(agent.pod(id: never.id))
        #expect(failed.phase == .failed)
        #expect(failed.containers.allSatisfy { $0.state == "Terminated" && $0.process == nil })
        #expect(throws: NodeError.self) { try agent.exec(id: never.id, container: nil, command: ["true"], input: []) }
        #expect(neverSandbox.processes.isEmpty)
        // Restart policy Always: recreated in a new sandbox, serving the same credentials.
        let always = try agent.create(PodRequest(name: "always", template: AgentFixture.template(["sleep", "3600"]), roleName: "R"))
        let served = try #require(agent.currentCredentials(id: always.id))
        kill(try #require(always.holder).pid, SIGKILL)
        #expect(AgentFixture.eventually { lost(always.id) && agent.pod(id: always.id)?.phase == .running })
        let recreated = try #require(agent.pod(id: always.id))
        #expect(recreated.holder != always.holder && recreated.containers[0].state == "Running")
        #expect(recreated.containers[0].restartCount == 1)
        #expect(recreated.events.contains { $0.reason == "SandboxRecreating" })
        #expect(agent.currentCredentials(id: always.id)?.accessKeyId == served.accessKeyId)
        #expect(AgentFixture.get(agent, pod: always.id, "/latest/meta-data/ram/security-credentials/") == (200, "R"))
        #expect(try agent.exec(id: always.id, container: nil, command: ["true"], input: []).status == .exited(0))
    }

    @Test func containerThatEndedWhileNoServerRanFollowsItsRestartPolicy() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let controlPlane = FakeControlPlane(trust: [:])
        let first = try AgentFixture.agent(dir, controlPlane: controlPlane)
        let once = try first.create(PodRequest(name: "once", template: AgentFixture.template(["sleep", "3600"], restart: .never), roleName: nil))
        let always = try first.create(PodRequest(name: "always", template: AgentFixture.template(["sleep", "3600"]), roleName: nil))
        first.detach()
        for pod in [once, always] {
            let process = try #require(pod.containers[0].process)
            kill(process.pid, SIGKILL)
            #expect(AgentFixture.eventually { !process.isRunning })
        }
        let second = try AgentFixture.agent(dir, controlPlane: controlPlane)
        defer { second.shutdown() }
        #expect(Set(second.recover().adopted) == [once.id, always.id])
        let ended = try #require(second.pod(id: once.id))
        #expect(ended.containers[0].state == "Terminated")
        #expect(ended.containers[0].reason == "Unknown")
        #expect(ended.phase == .failed)
        #expect(AgentFixture.eventually { second.pod(id: always.id)?.containers[0].state == "Running" })
        #expect(second.pod(id: always.id)?.containers[0].process != always.containers[0].process)
    }

    @Test func aContainerThatCannotRunIsAWarningThenCrashLoopBackOffAndKeepsItsRestartsAcrossRecreation() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let agent = try AgentFixture.agent(dir, controlPlane: FakeControlPlane(trust: [:]))
        let pod = try agent.create(PodRequest(name: "crash", template: AgentFixture.template(["/nonexistent/bin"]), roleName: nil))
        #expect(AgentFixture.eventually {
            guard let container = agent.pod(id: pod.id)?.containers[0] else { return false }
            return container.restartCount >= 1 && container.reason == "CrashLoopBackOff" && container.state == "Waiting"
        })
        let record = try #require(agent.pod(id: pod.id))
        #expect(record.phase == .running)
        let ended = record.events.filter { $0.reason == "Terminated" }
        #expect(!ended.isEmpty && ended.allSatisfy { $0.type == "Warning" && $0.message.contains("exit code 127") })
        #expect(record.events.contains { $0.reason == "BackOff" && $0.type == "Warning" })
        // The server goes away and the sandbox with it: the recreated pod keeps counting restarts.
        agent.detach()
        kill(record.holder!.pid, SIGKILL)
        #expect(AgentFixture.eventually { !record.holder!.isRunning })
        let second = try AgentFixture.agent(dir, controlPlane: FakeControlPlane(trust: [:]))
        defer { second.shutdown() }
        #expect(second.recover().recreated == [pod.id])
        #expect((second.pod(id: pod.id)?.containers[0].restartCount ?? 0) >= record.containers[0].restartCount)
    }

    @Test func restartPolicyAlwaysRestartsAndRestartContainerGroupRestarts() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let agent = try AgentFixture.agent(dir, controlPlane: FakeControlPlane(trust: [:]))
        defer { agent.shutdown() }
        let pod = try agent.create(PodRequest(name: "svc", template: AgentFixture.template(["sleep", "3600"]), roleName: nil))
        let before = try #require(pod.containers[0].process)
        try agent.restart(id: pod.id)
        let after = try #require(agent.pod(id: pod.id)?.containers[0])
        #expect(after.restartCount == 1)
        #expect(after.process != before)
        #expect(!before.isRunning)
        #expect(AgentFixture.eventually { agent.pod(id: pod.id)?.phase == .running })
        // Killing the container makes it come back (restartPolicy Always).
        kill(after.process!.pid, SIGKILL)
        #expect(AgentFixture.eventually { (agent.pod(id: pod.id)?.containers[0].restartCount ?? 0) >= 2 && agent.pod(id: pod.id)?.containers[0].state == "Running" })
    }
}

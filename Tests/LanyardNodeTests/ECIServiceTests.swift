import LanyardControlPlane
import Foundation
import LanyardManifests
import Testing

@testable import LanyardNode

@Suite struct ContainerGroupParametersTests {
    @Test func manifestFlatteningRoundTrips() throws {
        let template = PodTemplate(
            labels: ["app": "test", "alibabacloud.com/eci": "true"], annotations: [PodTemplate.ramRoleAnnotation: "ECIRamRoleTest", "note": "a\"b"],
            spec: PodSpec(
                containers: [
                    ContainerSpec(name: "test", image: "centos:7", command: ["sleep"], args: ["3600"], env: [EnvVar(name: "A", value: "1"), EnvVar(name: "B", value: "")], workingDir: "/srv"),
                    ContainerSpec(name: "side", image: "busybox", command: ["/bin/sh", "-c", "echo hi"]),
                ], restartPolicy: .onFailure))
        let flat = ContainerGroupRequest.parameters(template: template, name: "test-x", namespace: "prod", regionId: "cn-hangzhou")
        let request = try ContainerGroupParameters.podRequest(Dictionary(uniqueKeysWithValues: flat.map { ($0.name, $0.value) }))
        #expect(request.name == "test-x")
        #expect(request.namespace == "prod")
        #expect(request.roleName == "ECIRamRoleTest")
        #expect(request.template == template)
    }

    @Test func indicesAreNumericNotLexical() throws {
        var parameters = ["ContainerGroupName": "p", "Container.1.Name": "c", "Container.1.Image": "i"]
        for n in 1...11 { parameters["Container.1.Arg.\(n)"] = "a\(n)" }
        let request = try ContainerGroupParameters.podRequest(parameters)
        #expect(request.template.spec.containers[0].args == (1...11).map { "a\($0)" })
    }

    static let refused: [([String: String], String, String)] = [
        ([:], "MissingParameter", "ContainerGroupName"),
        (["ContainerGroupName": "p"], "MissingParameter", "Container.1.Name"),
        (["ContainerGroupName": "p", "Container.1.Name": "c"], "MissingParameter", "Container.1.Image"),
        (["ContainerGroupName": "p", "Container.1.Name": "c", "Container.1.Image": "i", "RestartPolicy": "Sometimes"], "InvalidParameter", "RestartPolicy"),
        (["ContainerGroupName": "p", "Container.1.Name": "c", "Container.1.Image": "i", "RamRoleName": "bad role"], "InvalidParameter", "RamRoleName"),
        (["ContainerGroupName": "p", "Container.1.Name": "c", "Container.1.Image": "i", "Annotations": "[1]"], "InvalidParameter", "Annotations"),
        (["ContainerGroupName": "p", "Container.1.Name": "c", "Container.1.Image": "i", "Container.1.EnvironmentVar.1.Value": "v"], "MissingParameter", "EnvironmentVar.1.Key"),
        (["ContainerGroupName": "p", "Container.1.Name": "c", "Container.1.Image": "i", "Volume.1.Name": "v", "Volume.1.Type": "EmptyDirVolume"], "InvalidParameter", "Volume.1.Name"),
        (["ContainerGroupName": "p", "Container.1.Name": "c", "Container.1.Image": "i", "Container.1.VolumeMount.1.MountPath": "/d"], "InvalidParameter", "Container.1.VolumeMount.1.MountPath"),
        (["ContainerGroupName": "p", "Container.1.Name": "c", "Container.1.Image": "i", "Container.1.SecurityContext.RunAsUser": "0"], "InvalidParameter", "RunAsUser"),
        (["ContainerGroupName": "p", "Container.1.Name": "c", "Container.1.Image": "i", "Container.1.Tty": "true"], "InvalidParameter", "Container.1.Tty"),
        (["ContainerGroupName": "p", "Container.1.Name": "c", "Container.1.Image": "i", "InitContainer.1.Name": "init"], "InvalidParameter", "InitContainer.1.Name"),
    ]

    @Test(arguments: 0..<refused.count)
    func refusedParameters(_ index: Int) {
        let (parameters, code, mentions) = Self.refused[index]
        do {
            _ = try ContainerGroupParameters.podRequest(parameters)
            Issue.record("accepted \(parameters)")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains(mentions), "\(error.message)")
        }
    }
}

@Suite struct ECIAdmissionTests {
    static let controlPlane = FakeControlPlane(
        trust: ["ECIRamRoleTest": .allow, "TrustsUsers": .implicitDeny, "DeniesECS": .explicitDeny],
        passRoleAllowed: ["alice acs:ram:*:1234567890123456:role/ECIRamRoleTest", "alice acs:ram:*:1234567890123456:role/TrustsUsers"])
    static let alice = Caller.user(accountId: "1234567890123456", userName: "alice", userId: "1")
    static let bob = Caller.user(accountId: "1234567890123456", userName: "bob", userId: "2")
    static let root = Caller.root(accountId: "1234567890123456")

    static let cases: [(Caller, String, String?, String?)] = [
        (root, "ECIRamRoleTest", nil, nil),
        (alice, "ECIRamRoleTest", nil, nil),
        (bob, "ECIRamRoleTest", "NoPermission", "ram:PassRole on acs:ram:*:1234567890123456:role/ECIRamRoleTest"),
        (alice, "Missing", "EntityNotExist.Role", "the role must exist"),
        (root, "Missing", "EntityNotExist.Role", "the role must exist"),
        (alice, "TrustsUsers", "NoPermission", "must trust service ecs.aliyuncs.com"),
        (root, "DeniesECS", "NoPermission", "must trust service ecs.aliyuncs.com"),
    ]

    @Test(arguments: 0..<cases.count)
    func rules(_ index: Int) {
        let (caller, role, code, mentions) = Self.cases[index]
        do {
            try ECIAdmission.admit(caller: caller, roleName: role, controlPlane: Self.controlPlane)
            #expect(code == nil, "admitted \(caller) \(role)")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains(mentions ?? "\u{0}"), "\(error.message)")
            #expect(error.status == (code == "EntityNotExist.Role" ? 404 : 403))
        }
    }
}

@Suite(.serialized, .enabled(if: SandboxFixture.isRoot, "pod sandboxes need root"))
struct ECIServiceTests {
    static func call(_ service: ECIService, _ action: String, _ parameters: [String: String], as caller: Caller) throws(RPCError) -> [String: any Sendable] {
        try service.handle(
            RPCRequest(action: action, parameters: parameters, caller: caller, sourceIp: "127.0.0.1", secureTransport: false, userAgent: nil, requestId: "r"))
    }

    @Test func createDescribeLogsExecUpdateDelete() throws {
        let dir = SandboxFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let controlPlane = FakeControlPlane(
            trust: ["ECIRamRoleTest": .allow], passRoleAllowed: ["alice acs:ram:*:1234567890123456:role/ECIRamRoleTest"], eciAllowed: ["alice", "bob"])
        let agent = try AgentFixture.agent(dir, controlPlane: controlPlane)
        defer { agent.shutdown() }
        let service = ECIService(agent: agent, controlPlane: controlPlane)
        let alice = ECIAdmissionTests.alice
        let create: [String: String] = [
            "RegionId": "cn-hangzhou", "ContainerGroupName": "test", "RamRoleName": "ECIRamRoleTest", "Container.1.Name": "test",
            "Container.1.Image": "centos:7", "Container.1.Command.1": "/bin/sh", "Container.1.Arg.1": "-c", "Container.1.Arg.2": "echo started; sleep 3600",
            "Tag.1.Key": "app", "Tag.1.Value": "test",
        ]
        // Refusals create nothing.
        #expect(throws: RPCError.self) { try Self.call(service, "CreateContainerGroup", create, as: ECIAdmissionTests.bob) }
        #expect(throws: RPCError.self) { try Self.call(service, "CreateContainerGroup", create, as: ECIAdmissionTests.alice.withoutECI) }
        #expect(agent.list().isEmpty)
        #expect(controlPlane.sessions.withLock { $0.isEmpty })

        let created = try Self.call(service, "CreateContainerGroup", create, as: alice)
        let id = try #require(created["ContainerGroupId"] as? String)
        #expect(id.hasPrefix("eci-"))
        let described = try Self.call(service, "DescribeContainerGroups", ["ContainerGroupIds": "[\"\(id)\"]"], as: alice)
        #expect(described["TotalCount"] as? Int == 1)
        let group = try #require((described["ContainerGroups"] as? [[String: any Sendable]])?.first)
        #expect(group["RamRoleName"] as? String == "ECIRamRoleTest")
        #expect(group["RamRoleArn"] as? String == "acs:ram::1234567890123456:role/ECIRamRoleTest")
        #expect(group["Status"] as? String == "Running")
        #expect((group["CreationTime"] as? String)?.hasSuffix("Z") == true)
        let byTag = try Self.call(service, "DescribeContainerGroups", ["Tag.1.Key": "app", "Tag.1.Value": "other"], as: alice)
        #expect(byTag["TotalCount"] as? Int == 0)

        #expect(AgentFixture.eventually { (try? agent.logs(id: id, container: nil)) == "started\n" })
        let log = try Self.call(service, "DescribeContainerLog", ["ContainerGroupId": id], as: alice)
        #expect(log["Content"] as? String == "started\n")
        #expect(log["ContainerName"] as? String == "test")

        let exec = try Self.call(service, "ExecContainerCommand", ["ContainerGroupId": id, "ContainerName": "test", "Command": "[\"/bin/sh\",\"-c\",\"cat; exit 4\"]", "Sync": "true", "Stdin": "true", "StdinData": "echoed"], as: alice)
        #expect(exec["SyncResponse"] as? String == "echoed")
        #expect(exec["ExitCode"] as? Int == 4)
        #expect(exec["SyncResponseBase64"] as? String == Data("echoed".utf8).base64EncodedString())
        #expect(exec["SyncResponseTruncated"] as? Bool == false && exec["TimedOut"] as? Bool == false)
        #expect(exec["Timeout"] as? Int == 600)
        let binary = try Self.call(service, "ExecContainerCommand", ["ContainerGroupId": id, "Command": "[\"printf\",\"\\\\377\"]", "Sync": "true"], as: alice)
        #expect(binary["SyncResponseBase64"] as? String == Data([0xFF]).base64EncodedString())
        let stopped = try Self.call(service, "ExecContainerCommand", ["ContainerGroupId": id, "Command": "[\"sleep\",\"600\"]", "Sync": "true", "Timeout": "1"], as: alice)
        #expect(stopped["TimedOut"] as? Bool == true)
        #expect(stopped["ExitCode"] as? Int == 137)
        #expect(throws: RPCError.self) {
            try Self.call(service, "ExecContainerCommand", ["ContainerGroupId": id, "Command": "[\"true\"]", "Sync": "true", "Timeout": "0"], as: alice)
        }

        let updated = try Self.call(service, "UpdateContainerGroup", ["ContainerGroupId": id, "Annotations": "{\"k8s.aliyun.com/eci-ram-role-name\":\"Other\"}"], as: alice)
        #expect(updated["RamRoleName"] as? String == "ECIRamRoleTest")
        #expect(agent.pod(id: id)?.roleName == "ECIRamRoleTest")

        _ = try Self.call(service, "RestartContainerGroup", ["ContainerGroupId": id], as: alice)
        #expect(agent.pod(id: id)?.containers[0].restartCount == 1)
        _ = try Self.call(service, "DeleteContainerGroup", ["ContainerGroupId": id], as: alice)
        #expect(agent.list().isEmpty)
        do {
            _ = try Self.call(service, "DeleteContainerGroup", ["ContainerGroupId": id], as: alice)
            Issue.record("deleted twice")
        } catch {
            #expect(error.status == 404)
        }
    }
}

extension Caller {
    /// A user with neither eci:* nor ram:PassRole permissions.
    fileprivate var withoutECI: Caller { .user(accountId: "1234567890123456", userName: "carol", userId: "3") }
}

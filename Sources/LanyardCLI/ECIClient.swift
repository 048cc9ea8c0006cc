import Foundation
import LanyardManifests
import LanyardNode

/// The ECI 2018-08-08 calls the pod commands make, signed with the caller's own credentials through
/// ``RPCClient`` — the same path Alibaba's ECI SDK takes. Nothing here touches the host's pods directly.
struct ECIClient: Sendable {
    /// The signed RPC client.
    var rpc: RPCClient

    /// Every container group matching `filters` (e.g. `ContainerGroupName`, `Namespace`, `Tag.1.Key`), across pages.
    func groups(_ filters: [(name: String, value: String)] = []) async throws(CLIError) -> [ContainerGroup] {
        var all: [ContainerGroup] = []
        var token: String?
        repeat {
            var parameters = filters + [("Limit", "100")]
            if let token { parameters.append(("NextToken", token)) }
            let page = try ContainerGroup.page(
                from: try await rpc.call(.eci, action: "DescribeContainerGroups", parameters: parameters))
            all += page.groups
            token = page.groups.isEmpty ? nil : page.nextToken
        } while token != nil
        return all
    }

    /// The node's pod capacity (Lanyard's `MaxContainerGroups` in DescribeContainerGroups), nil if not reported.
    func capacity() async throws(CLIError) -> Int? {
        let reply = try await rpc.call(.eci, action: "DescribeContainerGroups", parameters: [("Limit", "1")])
        return ((reply as? [String: Any])?["MaxContainerGroups"] as? NSNumber)?.intValue
    }

    /// The pod called `name` in `namespace`; `pods "NAME" not found` otherwise.
    func pod(named name: String, namespace: String) async throws(CLIError) -> ContainerGroup {
        let found = try await groups([("ContainerGroupName", name), ("Namespace", namespace)])
        guard let group = found.first(where: { $0.ContainerGroupName == name && $0.namespace == namespace }) else {
            throw CLIError(code: "NotFound", message: "pods \"\(name)\" not found in namespace \(namespace)")
        }
        return group
    }

    /// The pods of Deployment `name` in `namespace`, oldest first.
    func deploymentPods(_ name: String, namespace: String) async throws(CLIError) -> [ContainerGroup] {
        try await groups([("Namespace", namespace), ("Tag.1.Key", DeploymentKeys.deployment), ("Tag.1.Value", name)])
            .filter { $0.namespace == namespace && $0.labels[DeploymentKeys.deployment] == name }
    }

    /// `CreateContainerGroup` for `template`; the role comes from the template's own annotation. Returns the id.
    func create(name: String, namespace: String, template: PodTemplate) async throws(CLIError) -> String {
        let parameters = ContainerGroupRequest.parameters(
            template: template, name: name, namespace: namespace, regionId: rpc.region
        ).filter { $0.name != "RegionId" }
        let reply = try await rpc.call(.eci, action: "CreateContainerGroup", parameters: parameters, inBody: true)
        return (reply as? [String: Any])?["ContainerGroupId"] as? String ?? ""
    }

    /// `DeleteContainerGroup`.
    func delete(id: String) async throws(CLIError) {
        _ = try await rpc.call(.eci, action: "DeleteContainerGroup", parameters: [("ContainerGroupId", id)])
    }

    /// `UpdateContainerGroup` with annotation changes (nil removes a key). Returns the role in effect.
    func annotate(id: String, changes: [String: String?]) async throws(CLIError) -> String? {
        var object: [String: Any] = [:]
        for (key, value) in changes { object[key] = value.map { $0 as Any } ?? NSNull() }
        let json = String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
        let reply = try await rpc.call(
            .eci, action: "UpdateContainerGroup", parameters: [("ContainerGroupId", id), ("Annotations", json)], inBody: true)
        return ((reply as? [String: Any])?["RamRoleName"] as? String).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `DescribeContainerLog`: the container's output, optionally only the last `tail` lines.
    func logs(id: String, container: String?, tail: Int?) async throws(CLIError) -> String {
        var parameters: [(name: String, value: String)] = [("ContainerGroupId", id)]
        if let container { parameters.append(("ContainerName", container)) }
        if let tail { parameters.append(("Tail", String(tail))) }
        let reply = try await rpc.call(.eci, action: "DescribeContainerLog", parameters: parameters)
        return (reply as? [String: Any])?["Content"] as? String ?? ""
    }

    /// What a command run with `ExecContainerCommand` (Sync=true) printed, and how it ended.
    struct ExecResult: Sendable, Equatable {
        var stdout: Data
        var stderr: Data
        var exitCode: Int32
        /// Whether the server cut stdout or stderr at its limit.
        var truncated = false
        /// Whether the server killed the command at its timeout.
        var timedOut = false
    }

    /// `ExecContainerCommand` with `Sync=true`: runs `command` inside the pod (on the server, never here), for at
    /// most `timeout` seconds (the server's default when nil). Output comes from Lanyard's base64 fields, byte
    /// for byte, else from ECI's text fields.
    func exec(id: String, container: String?, command: [String], stdin: String?, timeout: Int? = nil) async throws(CLIError)
        -> ExecResult
    {
        let commandJSON = String(decoding: (try? JSONSerialization.data(withJSONObject: command)) ?? Data("[]".utf8), as: UTF8.self)
        var parameters: [(name: String, value: String)] = [
            ("ContainerGroupId", id), ("Command", commandJSON), ("Sync", "true"),
        ]
        if let container { parameters.append(("ContainerName", container)) }
        if let stdin { parameters += [("Stdin", "true"), ("StdinData", stdin)] }
        if let timeout { parameters.append(("Timeout", String(timeout))) }
        // The answer comes when the command ends: wait for the server's own deadline, and a little more.
        let reply = try await rpc.call(
            .eci, action: "ExecContainerCommand", parameters: parameters, inBody: true,
            timeout: TimeInterval((timeout ?? ECIService.defaultExecTimeout) + 30))
        guard let fields = reply as? [String: Any], let code = fields["ExitCode"] as? Int else {
            throw CLIError(code: "InvalidResponse", message: "ExecContainerCommand answered without an ExitCode")
        }
        func bytes(_ base64: String, _ text: String) -> Data {
            (fields[base64] as? String).flatMap { Data(base64Encoded: $0) } ?? Data((fields[text] as? String ?? "").utf8)
        }
        return ExecResult(
            stdout: bytes("SyncResponseBase64", "SyncResponse"), stderr: bytes("StderrBase64", "Stderr"),
            exitCode: Int32(clamping: code),
            truncated: fields["SyncResponseTruncated"] as? Bool == true || fields["StderrTruncated"] as? Bool == true,
            timedOut: fields["TimedOut"] as? Bool == true)
    }
}

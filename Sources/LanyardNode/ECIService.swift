import LanyardPolicy
import LanyardControlPlane
import Foundation
import LanyardManifests

/// ECI admission as ECI does it: the role must exist, its trust policy must let `ecs.aliyuncs.com` assume it,
/// and the caller must be root or be allowed `ram:PassRole` on `acs:ram:*:<account>:role/<name>`.
/// Each failure names the rule.
public enum ECIAdmission {
    /// The service principal that ECI pods assume roles as.
    public static let servicePrincipal = "ecs.aliyuncs.com"

    /// Throws the first rule that fails; returns when the pod may be created with `roleName`.
    public static func admit(
        caller: Caller, sessionPolicy: Policy? = nil, roleName: String, controlPlane: any NodeControlPlane
    ) throws(RPCError) {
        let account = controlPlane.accountId
        guard let trust = try controlPlane.trustDecision(roleName: roleName, principal: .service(servicePrincipal)) else {
            throw RPCError(
                status: 404, code: "EntityNotExist.Role",
                message: "admission refused (rule: the role must exist): RAM role \(roleName) does not exist")
        }
        guard trust == .allow else {
            throw RPCError(
                status: 403, code: "NoPermission",
                message: "admission refused (rule: the role must trust service \(servicePrincipal)): "
                    + "the trust policy of role \(roleName) does not allow \(servicePrincipal) to assume it")
        }
        let resource = "acs:ram:*:\(account):role/\(roleName)"
        let passRole = AuthorizationRequest(action: "ram:PassRole", resource: resource)
        guard controlPlane.authorize(caller, sessionPolicy: sessionPolicy, passRole) == .allow else {
            throw RPCError(
                status: 403, code: "NoPermission",
                message: "admission refused (rule: the caller must be allowed ram:PassRole): \(caller.arn) is not allowed "
                    + "ram:PassRole on \(resource)")
        }
    }
}

/// Reading `CreateContainerGroup` parameters (flattened per the ECI SDK: `Container.N.Name`, `Container.N.Command.M`,
/// `Container.N.EnvironmentVar.M.Key`, `Tag.N.Key`, …) into a pod request.
public enum ContainerGroupParameters {
    /// Parses the parameters; errors are `MissingParameter`/`InvalidParameter` with the parameter's name.
    public static func podRequest(_ parameters: [String: String]) throws(RPCError) -> PodRequest {
        guard let name = parameters["ContainerGroupName"], !name.isEmpty else { throw missing("ContainerGroupName") }
        if let refused = parameters.sorted(by: { $0.key < $1.key }).first(where: isUnsupported)?.key {
            throw invalid(refused, "is not supported by Lanyard pods (no volumes, init containers, host aliases, TTY, "
                + "or other user and capabilities than nobody without any)")
        }
        var containers: [ContainerSpec] = []
        for n in indices(parameters, prefix: "Container.") {
            let p = "Container.\(n)."
            guard let containerName = parameters[p + "Name"], !containerName.isEmpty else { throw missing(p + "Name") }
            guard let image = parameters[p + "Image"], !image.isEmpty else { throw missing(p + "Image") }
            var env: [EnvVar] = []
            for m in indices(parameters, prefix: p + "EnvironmentVar.") {
                guard let key = parameters["\(p)EnvironmentVar.\(m).Key"], !key.isEmpty else { throw missing("\(p)EnvironmentVar.\(m).Key") }
                if parameters["\(p)EnvironmentVar.\(m).FieldRef.FieldPath"] != nil {
                    throw invalid("\(p)EnvironmentVar.\(m).FieldRef", "is not supported")
                }
                env.append(EnvVar(name: key, value: parameters["\(p)EnvironmentVar.\(m).Value"] ?? ""))
            }
            containers.append(
                ContainerSpec(
                    name: containerName, image: image, command: list(parameters, p + "Command."), args: list(parameters, p + "Arg."),
                    env: env, workingDir: parameters[p + "WorkingDir"].flatMap { $0.isEmpty ? nil : $0 }))
        }
        guard !containers.isEmpty else { throw missing("Container.1.Name") }
        var restartPolicy = RestartPolicy.always
        if let text = parameters["RestartPolicy"] {
            guard let policy = RestartPolicy(rawValue: text) else { throw invalid("RestartPolicy", "must be Always, OnFailure or Never") }
            restartPolicy = policy
        }
        var labels: [String: String] = [:]
        for n in indices(parameters, prefix: "Tag.") {
            guard let key = parameters["Tag.\(n).Key"], !key.isEmpty else { throw missing("Tag.\(n).Key") }
            labels[key] = parameters["Tag.\(n).Value"] ?? ""
        }
        var annotations: [String: String] = [:]
        if let json = parameters["Annotations"] {
            guard let data = json.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: String] else {
                throw invalid("Annotations", "must be a JSON object of strings")
            }
            annotations = object
        }
        let role = parameters["RamRoleName"].flatMap { $0.isEmpty ? nil : $0 }
        if let role, !role.utf8.allSatisfy({ isRoleNameByte($0) }) || role.utf8.count > 64 {
            throw invalid("RamRoleName", "must be 1-64 letters, digits, '.', '_' or '-'")
        }
        return PodRequest(
            name: name, namespace: parameters["Namespace"] ?? "default",
            template: PodTemplate(labels: labels, annotations: annotations, spec: PodSpec(containers: containers, restartPolicy: restartPolicy)),
            roleName: role, clientToken: parameters["ClientToken"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Parameters asking for what a Lanyard sandbox cannot give (the ECI names of what manifests refuse as
    /// `UnsupportedField`): a pod that needs them is refused rather than run without them.
    static func isUnsupported(_ key: String, value: String) -> Bool {
        let groupLevel = ["Volume.", "InitContainer.", "HostAliase.", "SecurityContext."]
        if groupLevel.contains(where: key.hasPrefix) { return true }
        guard key.hasPrefix("Container."), let dot = key.dropFirst("Container.".count).firstIndex(of: ".") else { return false }
        let field = key[key.index(after: dot)...]
        return field.hasPrefix("VolumeMount.") || field.hasPrefix("SecurityContext.RunAsUser")
            || field.hasPrefix("SecurityContext.Capability.Add.") || ((field == "Stdin" || field == "Tty") && value == "true")
    }

    private static func isRoleNameByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2E || b == 0x5F || b == 0x2D
    }

    /// The N of every `<prefix>N.` key, ascending.
    static func indices(_ parameters: [String: String], prefix: String) -> [Int] {
        var found = Set<Int>()
        for key in parameters.keys where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            if let n = Int(rest.prefix(while: { $0 != "." })), n >= 1 { found.insert(n) }
        }
        return found.sorted()
    }

    /// `<prefix>1`, `<prefix>2`, … in index order.
    static func list(_ parameters: [String: String], _ prefix: String) -> [String] {
        var items: [(Int, String)] = []
        for (key, value) in parameters where key.hasPrefix(prefix) {
            if let n = Int(key.dropFirst(prefix.count)), n >= 1 { items.append((n, value)) }
        }
        return items.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func missing(_ name: String) -> RPCError {
        RPCError(status: 400, code: "MissingParameter", message: "The input parameter \"\(name)\" that is mandatory for processing this request is not supplied.")
    }

    static func invalid(_ name: String, _ why: String) -> RPCError {
        RPCError(status: 400, code: "InvalidParameter", message: "The specified parameter \"\(name)\" \(why).")
    }
}

/// The ECI API (Version 2018-08-08) served from this node, registered with the control plane's RPC pipeline.
public struct ECIService: RPCService {
    /// API version.
    public static let version = "2018-08-08"
    /// Product code.
    public static let product = "Eci"

    private let agent: NodeAgent
    private let controlPlane: any NodeControlPlane
    private let checkActions: Bool

    /// Creates the service. With `checkActions`, non-root callers also need `eci:<Action>` on the container group.
    public init(agent: NodeAgent, controlPlane: any NodeControlPlane, checkActions: Bool = true) {
        self.agent = agent
        self.controlPlane = controlPlane
        self.checkActions = checkActions
    }

    /// Calls that start, stop or wait for processes: ExecContainerCommand runs its command to the end (up to
    /// its timeout), and creating, restarting or updating a pod waits for its sandbox and containers.
    public func mayBlock(action: String) -> Bool {
        switch action {
        case "CreateContainerGroup", "DeleteContainerGroup", "RestartContainerGroup", "UpdateContainerGroup",
            "ExecContainerCommand":
            true
        default: false
        }
    }

    /// Dispatches one authenticated call.
    public func handle(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        switch request.action {
        case "CreateContainerGroup": return try create(request)
        case "DescribeContainerGroups": return try describe(request)
        case "DeleteContainerGroup":
            let id = try groupId(request)
            try call { () throws(NodeError) in try agent.delete(id: id) }
            return [:]
        case "RestartContainerGroup":
            let id = try groupId(request)
            try call { () throws(NodeError) in try agent.restart(id: id) }
            return [:]
        case "DescribeContainerLog": return try logs(request)
        case "ExecContainerCommand": return try exec(request)
        case "UpdateContainerGroup": return try update(request)
        default:
            throw RPCError(status: 404, code: "InvalidAction.NotFound", message: "Specified api is not found, please check your url and method.")
        }
    }

    private func permit(_ request: RPCRequest, _ id: String) throws(RPCError) {
        guard checkActions else { return }
        let resource = "acs:eci:\(agent.configuration.regionId):\(controlPlane.accountId):containergroup/\(id)"
        let action = AuthorizationRequest(action: "eci:\(request.action)", resource: resource)
        guard controlPlane.authorize(request.caller, sessionPolicy: request.sessionPolicy, action) == .allow else {
            throw RPCError(
                status: 403, code: "NoPermission",
                message: "\(request.caller.arn) is not allowed eci:\(request.action) on \(resource)")
        }
    }

    private func create(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        try permit(request, "*")
        let pod = try ContainerGroupParameters.podRequest(request.parameters)
        if let role = pod.roleName { try ECIAdmission.admit(
                caller: request.caller, sessionPolicy: request.sessionPolicy, roleName: role, controlPlane: controlPlane) }
        let record = try call { () throws(NodeError) in try agent.create(pod) }
        return ["ContainerGroupId": record.id]
    }

    private func describe(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        try permit(request, "*")
        let p = request.parameters
        var pods = agent.list()
        if let json = p["ContainerGroupIds"], !json.isEmpty {
            guard let data = json.data(using: .utf8), let ids = try? JSONSerialization.jsonObject(with: data) as? [String] else {
                throw ContainerGroupParameters.invalid("ContainerGroupIds", "must be a JSON array of ids")
            }
            pods = pods.filter { ids.contains($0.id) }
        }
        if let name = p["ContainerGroupName"], !name.isEmpty { pods = pods.filter { $0.name == name } }
        if let status = p["Status"], !status.isEmpty { pods = pods.filter { $0.phase.rawValue == status } }
        if let namespace = p["Namespace"], !namespace.isEmpty { pods = pods.filter { $0.namespace == namespace } }
        for n in ContainerGroupParameters.indices(p, prefix: "Tag.") {
            guard let key = p["Tag.\(n).Key"] else { continue }
            let value = p["Tag.\(n).Value"]
            pods = pods.filter { pod in pod.labels[key].map { value == nil || $0 == value } ?? false }
        }
        let limit = min(max(Int(p["Limit"] ?? "") ?? 20, 1), 100)
        let start = Int(p["NextToken"] ?? "") ?? 0
        guard start >= 0 else { throw ContainerGroupParameters.invalid("NextToken", "is not valid") }
        let page = Array(pods.dropFirst(start).prefix(limit))
        let next = start + page.count < pods.count ? String(start + page.count) : ""
        return [
            "TotalCount": pods.count, "NextToken": next,
            // Lanyard's own field (SDKs ignore it): the node's pod capacity, so clients can check before creating.
            "MaxContainerGroups": agent.configuration.maximumPods,
            "ContainerGroups": page.map { render($0) },
        ]
    }

    private func render(_ pod: PodRecord) -> [String: any Sendable] {
        let time = MetadataTime.format
        var group: [String: any Sendable] = [
            "ContainerGroupId": pod.id, "ContainerGroupName": pod.name, "Status": pod.phase.rawValue, "RegionId": pod.regionId,
            "ZoneId": agent.configuration.zoneId, "CreationTime": time(pod.createdAt), "IntranetIp": "127.0.0.1",
            "RestartPolicy": pod.restartPolicy.rawValue, "RamRoleName": pod.roleName ?? "", "Namespace": pod.namespace,
            "Tags": pod.labels.keys.sorted().map { ["Key": $0, "Value": pod.labels[$0]!] as [String: any Sendable] },
            "Annotations": pod.annotations,
            "Events": pod.events.map { event -> [String: any Sendable] in
                [
                    "Count": event.count, "FirstTimestamp": time(event.firstTimestamp), "LastTimestamp": time(event.lastTimestamp),
                    "Message": event.message, "Name": pod.name, "Reason": event.reason, "Type": event.type,
                ]
            },
            "Containers": pod.containers.map { container -> [String: any Sendable] in
                var state: [String: any Sendable] = ["State": container.state]
                if let started = container.startedAt { state["StartTime"] = time(started) }
                if let finished = container.finishedAt, container.state == "Terminated" { state["FinishTime"] = time(finished) }
                if let code = container.exitCode { state["ExitCode"] = Int(code) }
                if let reason = container.reason { state["Reason"] = reason }
                return [
                    "Name": container.spec.name, "Image": container.spec.image, "Commands": container.spec.command,
                    "Args": container.spec.args, "WorkingDir": container.spec.workingDir ?? "",
                    "EnvironmentVars": container.spec.env.map { ["Key": $0.name, "Value": $0.value] as [String: any Sendable] },
                    "Ready": container.state == "Running", "RestartCount": container.restartCount, "CurrentState": state,
                ]
            },
        ]
        if let arn = pod.roleArn(accountId: controlPlane.accountId) { group["RamRoleArn"] = arn }
        if let expiry = pod.credentialExpiration { group["CredentialExpiration"] = time(expiry) }
        if pod.phase == .succeeded, let end = pod.containers.compactMap(\.finishedAt).max() { group["SucceededTime"] = time(end) }
        if pod.phase == .failed, let end = pod.containers.compactMap(\.finishedAt).max() { group["FailedTime"] = time(end) }
        return group
    }

    private func logs(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let id = try groupId(request)
        let p = request.parameters
        let container = p["ContainerName"].flatMap { $0.isEmpty ? nil : $0 }
        let content = try call { () throws(NodeError) in
            try agent.logs(id: id, container: container, tailLines: p["Tail"].flatMap { Int($0) }, limitBytes: p["LimitBytes"].flatMap { Int($0) })
        }
        let name = container ?? agent.pod(id: id)?.containers.first?.spec.name ?? ""
        return ["ContainerName": name, "Content": content]
    }

    /// Seconds a synchronous exec may run when the request gives no `Timeout`.
    public static let defaultExecTimeout = 600
    /// The largest `Timeout` an exec request may give.
    static let maximumExecTimeout = 86_400

    private func exec(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let id = try groupId(request)
        let p = request.parameters
        guard p["Sync"]?.lowercased() == "true" else {
            throw ContainerGroupParameters.invalid("Sync", "must be true (Lanyard runs commands synchronously)")
        }
        guard let json = p["Command"], let data = json.data(using: .utf8),
            let command = try? JSONSerialization.jsonObject(with: data) as? [String], !command.isEmpty
        else { throw ContainerGroupParameters.invalid("Command", "must be a non-empty JSON array of strings") }
        // ECI's own `Stdin` is a flag (the SDK sends Stdin=true); with Sync=true the input itself comes in
        // Lanyard's `StdinData` parameter.
        let input = Array((p["StdinData"] ?? "").utf8)
        let container = p["ContainerName"].flatMap { $0.isEmpty ? nil : $0 }
        // Lanyard's `Timeout` (seconds) bounds the command: still running then, it is killed.
        var timeout = Self.defaultExecTimeout
        if let text = p["Timeout"] {
            guard let seconds = Int(text), (1...Self.maximumExecTimeout).contains(seconds) else {
                throw ContainerGroupParameters.invalid("Timeout", "must be whole seconds, 1..\(Self.maximumExecTimeout)")
            }
            timeout = seconds
        }
        let result = try call { () throws(NodeError) in
            try agent.exec(
                id: id, container: container, command: command, input: input, timeout: TimeInterval(timeout),
                stopWhen: request.clientHasLeft)
        }
        guard !result.abandoned else {
            throw RPCError(
                status: 503, code: "ServiceUnavailable",
                message: "The command was stopped before it ended: the server is shutting down (or the caller left).")
        }
        // ECI's text fields for the SDKs, plus Lanyard's lossless base64 copies and what was cut or stopped.
        return [
            "SyncResponse": String(decoding: result.output, as: UTF8.self), "Stderr": String(decoding: result.errorOutput, as: UTF8.self),
            "ExitCode": Int(result.status.code),
            "SyncResponseBase64": Data(result.output).base64EncodedString(),
            "StderrBase64": Data(result.errorOutput).base64EncodedString(),
            "SyncResponseTruncated": result.outputTruncated, "StderrTruncated": result.errorOutputTruncated,
            "TimedOut": result.timedOut, "Timeout": timeout,
        ]
    }

    private func update(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] {
        let id = try groupId(request)
        let p = request.parameters
        if p["RamRoleName"] != nil {
            throw ContainerGroupParameters.invalid("RamRoleName", "cannot be changed: the role is bound when the pod is created")
        }
        guard let json = p["Annotations"], let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw ContainerGroupParameters.invalid("Annotations", "must be a JSON object (null removes a key)") }
        var changes: [String: String?] = [:]
        for (key, value) in object {
            if value is NSNull {
                changes[key] = .some(nil)
            } else if let text = value as? String {
                changes[key] = text
            } else {
                throw ContainerGroupParameters.invalid("Annotations.\(key)", "must be a string or null")
            }
        }
        let record = try call { () throws(NodeError) in try agent.annotate(id: id, changes: changes) }
        return ["ContainerGroupId": record.id, "RamRoleName": record.roleName ?? "", "Annotations": record.annotations]
    }

    private func groupId(_ request: RPCRequest) throws(RPCError) -> String {
        guard let id = request.parameters["ContainerGroupId"], !id.isEmpty else { throw ContainerGroupParameters.missing("ContainerGroupId") }
        try permit(request, id)
        return id
    }

    private func call<T>(_ body: () throws(NodeError) -> T) throws(RPCError) -> T {
        do {
            return try body()
        } catch {
            let status =
                error.code == NodeAgent.quotaExceeded ? 403
                : error.code.hasSuffix("NotFound") ? 404
                : error.code.hasPrefix("InvalidParameter") || error.code.hasSuffix("Duplicated") || error.code == "PodGone" ? 400
                : error.code.hasPrefix("EntityNotExist") ? 404 : 500
            throw RPCError(status: status, code: error.code, message: error.message)
        }
    }
}

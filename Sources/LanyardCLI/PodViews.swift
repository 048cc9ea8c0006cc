import Foundation
import LanyardManifests

/// How `get pods` and `describe pod` show a container group, in kubectl's forms.
enum PodView {
    /// Columns of `get pods`; `-o wide` adds IP, NODE and ROLE; all namespaces put NAMESPACE first.
    static func header(wide: Bool, allNamespaces: Bool) -> [String] {
        (allNamespaces ? ["NAMESPACE"] : []) + ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
            + (wide ? ["IP", "NODE", "ROLE"] : [])
    }

    /// One row of `get pods`.
    static func row(_ group: ContainerGroup, now: Date, wide: Bool, allNamespaces: Bool) -> [String] {
        var cells = allNamespaces ? [group.namespace] : []
        cells += [group.ContainerGroupName, ready(group), status(group), String(restarts(group)), Age.since(group.createdAt, now: now)]
        if wide { cells += [group.IntranetIp.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>", node(group), group.roleName ?? "<none>"] }
        return cells
    }

    /// `ready/total` containers.
    static func ready(_ group: ContainerGroup) -> String {
        let containers = group.Containers ?? []
        return "\(containers.filter { $0.Ready == true }.count)/\(containers.count)"
    }

    /// kubectl's STATUS: the phase, with `Completed` for a pod that succeeded and the reason of the failing
    /// container (`Error` by default) for one that failed; for a running pod, the reason of the first container
    /// that is not running (`Error`, `Completed`, `CrashLoopBackOff` while a failing container waits to restart).
    static func status(_ group: ContainerGroup) -> String {
        switch group.Status ?? "Unknown" {
        case "Succeeded": return "Completed"
        case "Failed":
            let failing = (group.Containers ?? []).first { ($0.CurrentState?.ExitCode ?? 0) != 0 }
            return failing?.CurrentState?.Reason.flatMap { $0 == "Completed" ? nil : $0 } ?? "Error"
        case "Running":
            let stopped = (group.Containers ?? []).first { $0.CurrentState?.State.map { $0 != "Running" } ?? false }
            return stopped?.CurrentState?.Reason.flatMap { $0.isEmpty ? nil : $0 } ?? "Running"
        case let status: return status
        }
    }

    /// Container restarts, summed.
    static func restarts(_ group: ContainerGroup) -> Int { (group.Containers ?? []).reduce(0) { $0 + ($1.RestartCount ?? 0) } }

    /// The node a pod runs on, named as ACK names its virtual nodes: `virtual-kubelet-<zone>`.
    static func node(_ group: ContainerGroup) -> String {
        group.ZoneId.flatMap { $0.isEmpty ? nil : "virtual-kubelet-\($0)" } ?? "<none>"
    }

    /// The pod as a Kubernetes `v1` Pod object, for `-o json`.
    static func kubernetesObject(_ group: ContainerGroup) -> [String: Any] {
        var metadata: [String: Any] = [
            "name": group.ContainerGroupName, "namespace": group.namespace, "uid": group.ContainerGroupId,
        ]
        if let created = group.CreationTime { metadata["creationTimestamp"] = created }
        if !group.labels.isEmpty { metadata["labels"] = group.labels }
        if let annotations = group.Annotations, !annotations.isEmpty { metadata["annotations"] = annotations }
        let containers = group.Containers ?? []
        var spec = specObject(group.template.spec)
        if group.ZoneId != nil { spec["nodeName"] = node(group) }
        var status: [String: Any] = [
            "phase": phase(group),
            "containerStatuses": containers.map { container -> [String: Any] in
                [
                    "name": container.Name ?? "", "image": container.Image ?? "", "ready": container.Ready ?? false,
                    "restartCount": container.RestartCount ?? 0, "state": containerState(container.CurrentState),
                ]
            },
        ]
        if let ip = group.IntranetIp, !ip.isEmpty { status["podIP"] = ip }
        if let created = group.CreationTime { status["startTime"] = created }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status]
    }

    /// A pod spec as Kubernetes writes it (what `apply` reads back).
    static func specObject(_ spec: PodSpec) -> [String: Any] {
        [
            "restartPolicy": spec.restartPolicy.rawValue,
            "containers": spec.containers.map { container -> [String: Any] in
                var object: [String: Any] = ["name": container.name, "image": container.image]
                if !container.command.isEmpty { object["command"] = container.command }
                if !container.args.isEmpty { object["args"] = container.args }
                if !container.env.isEmpty { object["env"] = container.env.map { ["name": $0.name, "value": $0.value] } }
                if let dir = container.workingDir { object["workingDir"] = dir }
                return object
            },
        ]
    }

    /// Kubernetes' pod phase for an ECI status.
    static func phase(_ group: ContainerGroup) -> String {
        switch group.Status {
        case "Running", "Restarting", "Updating": "Running"
        case "Succeeded": "Succeeded"
        case "Failed", "ScheduleFailed", "Expired": "Failed"
        case "Pending", "Scheduling": "Pending"
        default: "Unknown"
        }
    }

    private static func containerState(_ state: ContainerGroup.State?) -> [String: Any] {
        switch state?.State {
        case "Running":
            return ["running": state?.StartTime.map { ["startedAt": $0] } ?? [:]]
        case "Terminated":
            var terminated: [String: Any] = ["exitCode": state?.ExitCode ?? 0]
            if let reason = state?.Reason { terminated["reason"] = reason }
            if let started = state?.StartTime { terminated["startedAt"] = started }
            if let finished = state?.FinishTime { terminated["finishedAt"] = finished }
            return ["terminated": terminated]
        default:
            return ["waiting": state?.Reason.map { ["reason": $0] } ?? [:]]
        }
    }

    /// `describe pod`: identity, role and credentials, containers and events, in kubectl's layout.
    static func describe(_ group: ContainerGroup, now: Date) -> String {
        var text = DescribeText()
        text.field("Name", group.ContainerGroupName)
        text.field("Namespace", group.namespace)
        text.field("Container Group", group.ContainerGroupId)
        text.field("Node", node(group))
        text.field("Start Time", group.CreationTime ?? "<unknown>")
        text.map("Labels", group.labels, separator: "=")
        text.map("Annotations", group.Annotations ?? [:], separator: ": ")
        text.field("Status", status(group))
        text.field("IP", group.IntranetIp.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>")
        text.field("Restart Policy", group.RestartPolicy ?? "Always")
        text.field("RAM Role", group.roleName ?? "<none>")
        text.field("RAM Role ARN", group.RamRoleArn.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>")
        if let expiry = group.CredentialExpiration, !expiry.isEmpty {
            let left = ECITime.parse(expiry).map { " (in \(Age.format(seconds: Int($0.timeIntervalSince(now)))))" } ?? ""
            text.field("Credentials Expire", expiry + left)
        } else {
            text.field("Credentials Expire", "<none>")
        }
        text.lines.append("Containers:")
        for container in group.Containers ?? [] {
            text.lines.append("  \(container.Name ?? ""):")
            text.lines.append("    Image:          \(container.Image ?? "")")
            if let command = container.Commands, !command.isEmpty {
                text.lines.append("    Command:")
                text.lines += command.map { "      \($0)" }
            }
            if let args = container.Args, !args.isEmpty {
                text.lines.append("    Args:")
                text.lines += args.map { "      \($0)" }
            }
            if let dir = container.WorkingDir, !dir.isEmpty { text.lines.append("    Working Dir:    \(dir)") }
            let state = container.CurrentState
            text.lines.append("    State:          \(state?.State ?? "Waiting")")
            if let reason = state?.Reason { text.lines.append("      Reason:       \(reason)") }
            if let code = state?.ExitCode { text.lines.append("      Exit Code:    \(code)") }
            if let started = state?.StartTime { text.lines.append("      Started:      \(started)") }
            if let finished = state?.FinishTime { text.lines.append("      Finished:     \(finished)") }
            text.lines.append("    Ready:          \(container.Ready == true ? "True" : "False")")
            text.lines.append("    Restart Count:  \(container.RestartCount ?? 0)")
            let env = container.EnvironmentVars ?? []
            text.lines.append("    Environment:\(env.isEmpty ? "    <none>" : "")")
            text.lines += env.map { "      \($0.Key ?? ""):  \($0.Value ?? "")" }
        }
        let events = group.Events ?? []
        if events.isEmpty {
            text.lines.append("Events:              <none>")
        } else {
            text.lines.append("Events:")
            let rows = events.map { event -> [String] in
                let last = event.LastTimestamp.flatMap(ECITime.parse)
                let first = event.FirstTimestamp.flatMap(ECITime.parse)
                var age = Age.since(last, now: now)
                if let count = event.Count, count > 1 { age += " (x\(count) over \(Age.since(first, now: now)))" }
                return [event.Type ?? "Normal", event.Reason ?? "", age, "lanyard", event.Message ?? ""]
            }
            let table = TextTable(header: ["Type", "Reason", "Age", "From", "Message"], rows: rows).render()
            text.lines += table.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "  " + $0 }
        }
        return text.lines.joined(separator: "\n") + "\n"
    }
}

/// Lines of `describe` output: `Name:` fields padded to one column, maps one entry a line.
struct DescribeText {
    /// The lines so far.
    var lines: [String] = []

    /// `Name:  value`, values starting in column 20.
    mutating func field(_ name: String, _ value: String, indent: String = "") {
        lines.append(indent + (name + ":").padding(toLength: max(name.count + 2, 20 - indent.count), withPad: " ", startingAt: 0) + value)
    }

    /// A sorted map, the first entry beside `name`, the rest below it; `<none>` when empty.
    mutating func map(_ name: String, _ values: [String: String], separator: String, indent: String = "") {
        let keys = values.keys.sorted()
        guard let first = keys.first else { return field(name, "<none>", indent: indent) }
        field(name, "\(first)\(separator)\(values[first]!)", indent: indent)
        for key in keys.dropFirst() { lines.append(String(repeating: " ", count: 20) + "\(key)\(separator)\(values[key]!)") }
    }
}

/// `get deployments`: a Deployment as seen through its pods (ECI has no Deployment object).
struct DeploymentSummary: Sendable, Equatable {
    var name: String
    var namespace: String
    /// `spec.replicas` as recorded on the newest pod.
    var desired: Int
    /// Pods running with every container ready.
    var ready: Int
    /// Pods made from the newest template.
    var upToDate: Int
    /// Pods that are ready (no minimum ready time here).
    var available: Int
    /// The Deployment's creation time as its pods tell (see ``DeploymentKeys/creationTime(_:)``).
    var createdAt: Date?
    /// The pod template of the newest pod still as applied, without the labels and annotations Lanyard adds.
    var template: PodTemplate
    /// That pod's `pod-template-hash`.
    var templateHash: String?

    /// Groups `groups` by the Deployment tag; pods without it are skipped. Sorted by namespace and name.
    static func summaries(_ groups: [ContainerGroup]) -> [DeploymentSummary] {
        var byKey: [String: [ContainerGroup]] = [:]
        for group in groups {
            guard let name = group.labels[DeploymentKeys.deployment] else { continue }
            byKey["\(group.namespace)/\(name)", default: []].append(group)
        }
        return byKey.values.map { pods in
            // The template is read from the newest pod still as applied: one edited since (say, annotated) no
            // longer hashes to its pod-template-hash and would show a template nobody applied.
            let asApplied = pods.filter { DeploymentKeys.userTemplate($0.template).hash == $0.labels[DeploymentKeys.templateHash] }
            let newest = (asApplied.isEmpty ? pods : asApplied).max {
                ($0.createdAt ?? .distantPast, $0.ContainerGroupName) < ($1.createdAt ?? .distantPast, $1.ContainerGroupName)
            }!
            let hash = newest.labels[DeploymentKeys.templateHash]
            let ready = pods.filter { $0.isRunning && ($0.Containers ?? []).allSatisfy { $0.Ready == true } }.count
            return DeploymentSummary(
                name: newest.labels[DeploymentKeys.deployment]!, namespace: newest.namespace,
                desired: newest.Annotations?[DeploymentKeys.desiredReplicas].flatMap { Int($0) } ?? pods.count, ready: ready,
                upToDate: pods.filter { $0.labels[DeploymentKeys.templateHash] == hash }.count, available: ready,
                createdAt: DeploymentKeys.creationTime(pods), template: DeploymentKeys.userTemplate(newest.template),
                templateHash: hash)
        }.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    }

    /// Columns of `get deployments`.
    static func header(allNamespaces: Bool) -> [String] {
        (allNamespaces ? ["NAMESPACE"] : []) + ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    }

    /// One row of `get deployments`.
    func row(now: Date, allNamespaces: Bool) -> [String] {
        (allNamespaces ? [namespace] : []) + [name, "\(ready)/\(desired)", String(upToDate), String(available), Age.since(createdAt, now: now)]
    }
}

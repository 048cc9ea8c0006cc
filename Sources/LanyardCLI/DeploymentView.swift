import Foundation
import LanyardManifests

/// `describe deployment`: a Deployment as its pods record it (ECI has no Deployment object), in kubectl's layout.
enum DeploymentView {
    /// The Deployment that `pods` (all tagged with the same Deployment) make up; nil when there are none.
    static func describe(_ pods: [ContainerGroup], now: Date) -> String? {
        guard let summary = DeploymentSummary.summaries(pods).first else { return nil }
        let hash = summary.templateHash
        let template = summary.template
        let unavailable = max(0, pods.count - summary.available)
        var text = DescribeText()
        text.field("Name", summary.name)
        text.field("Namespace", summary.namespace)
        text.field(
            "CreationTimestamp",
            summary.createdAt.map { "\(ECITime.format($0)) (\(Age.since($0, now: now)) ago)" } ?? "<unknown>")
        text.field("Selector", "\(DeploymentKeys.deployment)=\(summary.name)")
        text.field(
            "Replicas",
            "\(summary.desired) desired | \(summary.upToDate) updated | \(pods.count) total | \(summary.ready) ready | \(summary.available) available | \(unavailable) unavailable")
        text.field("Template Hash", hash ?? "<none>")
        text.field("RAM Role", template.ramRoleName ?? "<none>")
        text.lines.append("Pod Template:")
        text.map("Labels", template.labels, separator: "=", indent: "  ")
        text.map("Annotations", template.annotations, separator: ": ", indent: "  ")
        text.lines.append("  Containers:")
        for container in template.spec.containers {
            text.lines.append("   \(container.name):")
            text.lines.append("    Image:          \(container.image)")
            if !container.command.isEmpty { text.lines.append("    Command:        \(container.command.joined(separator: " "))") }
            if !container.args.isEmpty { text.lines.append("    Args:           \(container.args.joined(separator: " "))") }
            text.lines.append("    Environment:    \(container.env.isEmpty ? "<none>" : container.env.map(\.name).joined(separator: ", "))")
        }
        text.lines.append("Pods:")
        let ordered = pods.sorted { ($0.createdAt ?? .distantPast, $0.ContainerGroupName) < ($1.createdAt ?? .distantPast, $1.ContainerGroupName) }
        let rows = ordered.map { pod in
            [
                pod.ContainerGroupName, PodView.ready(pod), PodView.status(pod), String(PodView.restarts(pod)),
                Age.since(pod.createdAt, now: now), pod.labels[DeploymentKeys.templateHash] ?? "<none>",
                pod.roleName ?? "<none>",
            ]
        }
        let table = TextTable(header: ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "HASH", "ROLE"], rows: rows).render()
        text.lines += table.split(separator: "\n").map { "  " + $0 }
        return text.lines.joined(separator: "\n") + "\n"
    }
}

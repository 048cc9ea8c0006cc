import Foundation
import LanyardManifests

/// The labels and annotations that tie a Deployment's pods to it. ECI has no Deployment object, so the
/// Deployment lives in its pods: tags (filterable by `DescribeContainerGroups`) name the Deployment and the hash
/// of the template the pod was made from, and an annotation records the desired replica count.
enum DeploymentKeys {
    /// Tag naming the Deployment that owns a pod.
    static let deployment = "lanyard.io/deployment"
    /// Tag with the pod template's hash, as Kubernetes labels ReplicaSet pods.
    static let templateHash = "pod-template-hash"
    /// Annotation with the Deployment's `spec.replicas` when the pod was created or last scaled.
    static let desiredReplicas = "deployment.kubernetes.io/desired-replicas"
    /// Annotation with the Deployment's creation time, carried over to the pods of each new template so that
    /// its age survives a rollout (Lanyard keeps no Deployment object, only its pods).
    static let createdAt = "lanyard.io/deployment-created"

    /// `template` without the labels and annotations Lanyard adds to a Deployment's pods: the template as applied.
    static func userTemplate(_ template: PodTemplate) -> PodTemplate {
        var template = template
        template.labels = template.labels.filter { $0.key != deployment && $0.key != templateHash }
        template.annotations = template.annotations.filter { $0.key != desiredReplicas && $0.key != createdAt }
        return template
    }

    /// A Deployment's creation time as its pods tell: the earliest recorded one, else the oldest pod's.
    static func creationTime(_ pods: [ContainerGroup]) -> Date? {
        (pods.compactMap { $0.Annotations?[createdAt].flatMap(ECITime.parse) } + pods.compactMap(\.createdAt)).min()
    }
}

/// Makes names for a Deployment's pods: `<deployment>-<template hash>-<5 random characters>`, as Kubernetes
/// names ReplicaSet pods, within the 63 characters a pod name may have.
struct PodNameGenerator<Source: RandomNumberGenerator> {
    /// Characters of the random suffix: no vowels (no accidental words) and no look-alike characters.
    static var alphabet: [Character] { Array("bcdfghjklmnpqrstvwxz2456789") }
    /// Length of the random suffix.
    static var suffixLength: Int { 5 }
    /// Longest pod name (a DNS-1123 label).
    static var maximumLength: Int { 63 }

    /// Where the randomness comes from (the system generator, or a seeded one in tests).
    var source: Source

    /// `<deployment>-<hash>-`, cut so that a full name fits in 63 characters.
    static func prefix(deployment: String, templateHash: String) -> String {
        String("\(deployment)-\(templateHash)-".prefix(maximumLength - suffixLength))
    }

    /// A fresh name that is not in `taken`.
    mutating func name(deployment: String, templateHash: String, taken: Set<String>) -> String {
        let prefix = Self.prefix(deployment: deployment, templateHash: templateHash)
        let alphabet = Self.alphabet
        while true {
            var name = prefix
            for _ in 0..<Self.suffixLength { name.append(alphabet[Int.random(in: 0..<alphabet.count, using: &source)]) }
            if !taken.contains(name) { return name }
        }
    }
}

/// What `lanyard apply` will do: for each object of the manifest stream, in order, the ECI calls to make and
/// the line to print (`pod/web created`, `deployment.apps/web unchanged`).
struct ApplyPlan: Sendable, Equatable {
    /// One ECI call.
    enum Action: Sendable, Equatable {
        /// `CreateContainerGroup` for a pod named `name` made from `template`.
        case create(name: String, namespace: String, template: PodTemplate)
        /// `UpdateContainerGroup` setting (or, for nil, removing) annotations of an existing pod.
        case annotate(id: String, name: String, changes: [String: String?])
        /// `DeleteContainerGroup`.
        case delete(id: String, name: String)
    }

    /// The calls for one object, and what to print once they succeeded.
    struct Step: Sendable, Equatable {
        /// `pod/NAME` or `deployment.apps/NAME`.
        var resource: String
        /// `created`, `configured` or `unchanged`.
        var verb: String
        /// Calls in order: creations, then annotation updates, then deletions (a changed template's new pods
        /// exist before the old ones go).
        var actions: [Action]
        /// Things to tell the user (on stderr), e.g. that a role annotation change does not change the role.
        var notes: [String]
    }

    /// One step per object, in stream order.
    var steps: [Step]
}

/// Turns parsed manifests and the pods that exist now into an ``ApplyPlan``. Pure: it only reads its inputs.
enum ApplyPlanner {
    /// Plans `objects` against `existing` (every pod the caller can see). Fails, before anything is sent, when
    /// the stream names one object twice, when a Pod manifest asks to change an existing pod's containers or labels
    /// (pods are immutable, as in Kubernetes), when a Pod manifest names a pod that a Deployment owns, or when the
    /// node's `capacity` (its most pods at once) is smaller than a Deployment's replicas or than the pods that
    /// would exist at any point of the plan.
    static func plan<Source: RandomNumberGenerator>(
        _ objects: [ManifestObject], existing: [ContainerGroup], capacity: Int? = nil,
        names: inout PodNameGenerator<Source>
    ) throws(CLIError) -> ApplyPlan {
        var seen = Set<String>()
        for object in objects {
            let key = "\(object.kind)/\(object.metadata.namespace)/\(object.metadata.name)"
            guard seen.insert(key).inserted else {
                throw CLIError(
                    code: "DuplicateObject",
                    message: "\(object.kind) \"\(object.metadata.name)\" appears twice in namespace \(object.metadata.namespace)")
            }
        }
        if let capacity {
            for case .deployment(let deployment) in objects where deployment.replicas > capacity {
                throw CLIError(
                    code: "QuotaExceeded.ContainerGroup",
                    message: "deployment \"\(deployment.metadata.name)\": spec.replicas \(deployment.replicas) is more than "
                        + "the node runs (0 to \(capacity) pods, lanyard up --max-pods)")
            }
        }
        var taken: [String: Set<String>] = [:]
        for group in existing { taken[group.namespace, default: []].insert(group.ContainerGroupName) }

        var steps: [ApplyPlan.Step] = []
        for object in objects {
            switch object {
            case .pod(let pod):
                steps.append(try podStep(pod, existing: existing))
                taken[pod.metadata.namespace, default: []].insert(pod.metadata.name)
            case .deployment(let deployment):
                steps.append(
                    deploymentStep(
                        deployment, existing: existing, taken: &taken[deployment.metadata.namespace, default: []],
                        names: &names))
            }
        }
        if let capacity {
            // Creations run before deletions, step by step: the count peaks after each step's creations.
            var count = existing.count
            for step in steps {
                let created = step.actions.filter { if case .create = $0 { true } else { false } }.count
                let deleted = step.actions.filter { if case .delete = $0 { true } else { false } }.count
                guard count + created <= capacity else {
                    throw CLIError(
                        code: "QuotaExceeded.ContainerGroup",
                        message: "\(step.resource): \(created) new pod(s) next to the \(count) that would exist is more than "
                            + "the node runs (\(capacity) pods, lanyard up --max-pods); nothing was changed")
                }
                count += created - deleted
            }
        }
        return ApplyPlan(steps: steps)
    }

    private static func podStep(_ pod: PodManifest, existing: [ContainerGroup]) throws(CLIError) -> ApplyPlan.Step {
        let name = pod.metadata.name
        let namespace = pod.metadata.namespace
        let resource = "pod/\(name)"
        guard let current = existing.first(where: { $0.ContainerGroupName == name && $0.namespace == namespace }) else {
            return ApplyPlan.Step(
                resource: resource, verb: "created", actions: [.create(name: name, namespace: namespace, template: pod.template)],
                notes: [])
        }
        if let owner = current.labels[DeploymentKeys.deployment] {
            throw CLIError(
                code: "PodOwnedByDeployment",
                message: "pod \"\(name)\" belongs to deployment \"\(owner)\"; apply the Deployment or delete the pod first")
        }
        let actual = current.template
        guard actual.spec == pod.spec, actual.labels == pod.metadata.labels else {
            throw CLIError(
                code: "PodImmutable",
                message: "pod \"\(name)\" exists with other containers, labels or restart policy; a pod cannot be changed "
                    + "after creation (only its annotations): `lanyard delete pod \(name)` first")
        }
        let wanted = pod.metadata.annotations
        guard actual.annotations != wanted else {
            return ApplyPlan.Step(resource: resource, verb: "unchanged", actions: [], notes: [])
        }
        var notes: [String] = []
        let roleKey = PodTemplate.ramRoleAnnotation
        if actual.annotations[roleKey] != wanted[roleKey] {
            notes.append(
                "pod/\(name): annotations are read only when a pod is created; its RAM role stays "
                    + "\(current.roleName ?? "(none)")")
        }
        return ApplyPlan.Step(
            resource: resource, verb: "configured",
            actions: [.annotate(id: current.ContainerGroupId, name: name, changes: annotationChanges(from: actual.annotations, to: wanted))],
            notes: notes)
    }

    private static func deploymentStep<Source: RandomNumberGenerator>(
        _ deployment: DeploymentManifest, existing: [ContainerGroup], taken: inout Set<String>,
        names: inout PodNameGenerator<Source>
    ) -> ApplyPlan.Step {
        let name = deployment.metadata.name
        let namespace = deployment.metadata.namespace
        let hash = deployment.templateHash
        let replicas = deployment.replicas
        let owned = existing.filter { $0.namespace == namespace && $0.labels[DeploymentKeys.deployment] == name }
        let current = owned.filter { $0.labels[DeploymentKeys.templateHash] == hash }
        let outdated = owned.filter { $0.labels[DeploymentKeys.templateHash] != hash }

        var template = deployment.template
        template.labels[DeploymentKeys.deployment] = name
        template.labels[DeploymentKeys.templateHash] = hash
        template.annotations[DeploymentKeys.desiredReplicas] = String(replicas)
        if let created = DeploymentKeys.creationTime(owned) { template.annotations[DeploymentKeys.createdAt] = ECITime.format(created) }

        var creations: [ApplyPlan.Action] = []
        for _ in 0..<max(0, replicas - current.count) {
            let podName = names.name(deployment: name, templateHash: hash, taken: taken)
            taken.insert(podName)
            creations.append(.create(name: podName, namespace: namespace, template: template))
        }
        // Scale down like a ReplicaSet: pods that are not running go first, then the newest.
        let surplus = current.sorted { a, b in
            if a.isRunning != b.isRunning { return !a.isRunning }
            let (ta, tb) = (a.createdAt ?? .distantPast, b.createdAt ?? .distantPast)
            if ta != tb { return ta > tb }
            return a.ContainerGroupName > b.ContainerGroupName
        }.prefix(max(0, current.count - replicas))
        let surplusIds = Set(surplus.map(\.ContainerGroupId))
        let kept = current.filter { !surplusIds.contains($0.ContainerGroupId) }

        let replicasText = String(replicas)
        let updates: [ApplyPlan.Action] = kept.filter { $0.Annotations?[DeploymentKeys.desiredReplicas] != replicasText }
            .map { .annotate(id: $0.ContainerGroupId, name: $0.ContainerGroupName, changes: [DeploymentKeys.desiredReplicas: replicasText]) }
        let deletions: [ApplyPlan.Action] = (Array(surplus) + outdated).map { .delete(id: $0.ContainerGroupId, name: $0.ContainerGroupName) }

        let actions = creations + updates + deletions
        let verb = owned.isEmpty ? "created" : actions.isEmpty ? "unchanged" : "configured"
        return ApplyPlan.Step(resource: "deployment.apps/\(name)", verb: verb, actions: actions, notes: [])
    }

    /// What `UpdateContainerGroup` must send to turn annotations `old` into `new` (nil removes a key).
    static func annotationChanges(from old: [String: String], to new: [String: String]) -> [String: String?] {
        var changes: [String: String?] = [:]
        for (key, value) in new where old[key] != value { changes[key] = .some(value) }
        for key in old.keys where new[key] == nil { changes[key] = .some(nil) }
        return changes
    }
}

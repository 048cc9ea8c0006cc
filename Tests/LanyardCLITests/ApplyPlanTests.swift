import Foundation
import LanyardManifests
import Testing

@testable import LanyardCLI

/// A deterministic generator for name suffixes (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Fixtures: manifests and the pods the server would report for them.
enum Fixture {
    static let role = PodTemplate.ramRoleAnnotation

    static func deployment(
        _ name: String = "web", replicas: Int = 2, image: String = "nginx:1", namespace: String = "default",
        role: String? = "ECIRamRoleTest"
    ) -> DeploymentManifest {
        var annotations: [String: String] = [:]
        if let role { annotations[Self.role] = role }
        return DeploymentManifest(
            metadata: ObjectMetadata(name: name, namespace: namespace), replicas: replicas, selector: ["app": name],
            template: PodTemplate(
                labels: ["app": name], annotations: annotations,
                spec: PodSpec(containers: [ContainerSpec(name: "main", image: image, command: ["sleep", "3600"])])))
    }

    static func pod(_ name: String = "solo", annotations: [String: String] = [:], args: [String] = []) -> PodManifest {
        PodManifest(
            metadata: ObjectMetadata(name: name, labels: ["tier": "x"], annotations: annotations),
            spec: PodSpec(containers: [ContainerSpec(name: "c", image: "busybox", command: ["sleep"], args: args)]))
    }

    /// A pod of `deployment` as DescribeContainerGroups reports it.
    static func group(
        of deployment: DeploymentManifest, id: String, name: String? = nil, hash: String? = nil, desired: Int? = nil,
        status: String = "Running", created: String = "2026-01-01T00:00:00Z"
    ) -> ContainerGroup {
        var annotations = deployment.template.annotations
        annotations[DeploymentKeys.desiredReplicas] = String(desired ?? deployment.replicas)
        let hash = hash ?? deployment.templateHash
        var labels = deployment.template.labels
        labels[DeploymentKeys.deployment] = deployment.metadata.name
        labels[DeploymentKeys.templateHash] = hash
        return ContainerGroup(
            ContainerGroupId: id, ContainerGroupName: name ?? "\(deployment.metadata.name)-\(hash)-\(id.suffix(5))",
            Status: status, Namespace: deployment.metadata.namespace, CreationTime: created,
            RamRoleName: deployment.template.ramRoleName,
            Tags: labels.keys.sorted().map { ContainerGroup.Pair(Key: $0, Value: labels[$0]) }, Annotations: annotations,
            Containers: [])
    }

    /// A standalone pod as DescribeContainerGroups reports it.
    static func group(of pod: PodManifest, id: String, role: String? = nil) -> ContainerGroup {
        ContainerGroup(
            ContainerGroupId: id, ContainerGroupName: pod.metadata.name, Status: "Running", Namespace: "default",
            RestartPolicy: pod.spec.restartPolicy.rawValue, RamRoleName: role,
            Tags: pod.metadata.labels.map { ContainerGroup.Pair(Key: $0.key, Value: $0.value) },
            Annotations: pod.metadata.annotations,
            Containers: pod.spec.containers.map {
                ContainerGroup.Container(Name: $0.name, Image: $0.image, Commands: $0.command, Args: $0.args, WorkingDir: "", EnvironmentVars: [])
            })
    }
}

extension ApplyPlan.Step {
    var creations: [(name: String, namespace: String, template: PodTemplate)] {
        actions.compactMap { if case .create(let n, let ns, let t) = $0 { (n, ns, t) } else { nil } }
    }
    var deletions: [String] { actions.compactMap { if case .delete(let id, _) = $0 { id } else { nil } } }
    var annotations: [String: [String: String?]] {
        var result: [String: [String: String?]] = [:]
        for case .annotate(let id, _, let changes) in actions { result[id] = changes }
        return result
    }
}

@Suite struct ApplyPlanTests {
    func plan(_ objects: [ManifestObject], existing: [ContainerGroup] = [], seed: UInt64 = 1) throws(CLIError) -> ApplyPlan {
        var names = PodNameGenerator(source: SeededGenerator(state: seed))
        return try ApplyPlanner.plan(objects, existing: existing, names: &names)
    }

    @Test func newDeploymentCreatesReplicasWithBookkeepingAndTheTemplateRole() throws {
        let deployment = Fixture.deployment(replicas: 3)
        let step = try #require(try plan([.deployment(deployment)]).steps.first)
        #expect(step.resource == "deployment.apps/web")
        #expect(step.verb == "created")
        #expect(step.creations.count == 3 && step.actions.count == 3)
        #expect(Set(step.creations.map(\.name)).count == 3)
        for creation in step.creations {
            #expect(creation.name.hasPrefix("web-\(deployment.templateHash)-"))
            #expect(creation.name.count == "web-".count + deployment.templateHash.count + 1 + 5)
            #expect(creation.namespace == "default")
            #expect(creation.template.labels[DeploymentKeys.deployment] == "web")
            #expect(creation.template.labels[DeploymentKeys.templateHash] == deployment.templateHash)
            #expect(creation.template.labels["app"] == "web")
            #expect(creation.template.annotations[DeploymentKeys.desiredReplicas] == "3")
            #expect(creation.template.ramRoleName == "ECIRamRoleTest")
            #expect(creation.template.spec == deployment.template.spec)
        }
    }

    @Test func aPlanBeyondTheNodesCapacityIsRefusedBeforeAnythingIsSent() throws {
        var names = PodNameGenerator(source: SeededGenerator(state: 7))
        func plan(_ objects: [ManifestObject], existing: [ContainerGroup] = [], capacity: Int) throws(CLIError) -> ApplyPlan {
            try ApplyPlanner.plan(objects, existing: existing, capacity: capacity, names: &names)
        }
        let huge = Fixture.deployment(replicas: 100_000)
        let error = #expect(throws: CLIError.self) { try plan([.deployment(huge)], capacity: 250) }
        #expect(error?.code == "QuotaExceeded.ContainerGroup")
        #expect(error?.message.contains("0 to 250") == true)
        #expect(try plan([.deployment(Fixture.deployment(replicas: 250))], capacity: 250).steps[0].actions.count == 250)
        // Pods that exist count: 2 running plus 2 more is over a capacity of 3, even if the Deployment alone fits.
        let other = Fixture.deployment("other", replicas: 2)
        let existing = [Fixture.group(of: other, id: "eci-1"), Fixture.group(of: other, id: "eci-2")]
        #expect(throws: CLIError.self) { try plan([.deployment(Fixture.deployment(replicas: 2))], existing: existing, capacity: 3) }
        // Scaling down then up in one stream fits: the first step's deletions free room for the next.
        let shrink = Fixture.deployment("other", replicas: 0)
        let steps = try plan([.deployment(shrink), .deployment(Fixture.deployment(replicas: 3))], existing: existing, capacity: 3).steps
        #expect(steps.map(\.actions.count) == [2, 3])
    }

    @Test func reapplyingAnUnchangedDeploymentDoesNothing() throws {
        let deployment = Fixture.deployment(replicas: 2)
        let existing = [Fixture.group(of: deployment, id: "eci-a1111"), Fixture.group(of: deployment, id: "eci-b2222")]
        let step = try #require(try plan([.deployment(deployment)], existing: existing).steps.first)
        #expect(step.verb == "unchanged")
        #expect(step.actions.isEmpty)
    }

    @Test func scalingUpCreatesTheMissingPodsAndRecordsTheNewCount() throws {
        let before = Fixture.deployment(replicas: 2)
        let existing = [Fixture.group(of: before, id: "eci-a1111"), Fixture.group(of: before, id: "eci-b2222")]
        let after = Fixture.deployment(replicas: 4)
        #expect(after.templateHash == before.templateHash, "replicas are not part of the template")
        let step = try #require(try plan([.deployment(after)], existing: existing).steps.first)
        #expect(step.verb == "configured")
        #expect(step.creations.count == 2)
        #expect(step.deletions.isEmpty)
        #expect(step.annotations == ["eci-a1111": [DeploymentKeys.desiredReplicas: "4"], "eci-b2222": [DeploymentKeys.desiredReplicas: "4"]])
        #expect(!step.creations.map(\.name).contains { name in existing.contains { $0.ContainerGroupName == name } })
    }

    @Test func scalingDownDeletesPodsThatAreNotRunningFirstThenTheNewest() throws {
        let before = Fixture.deployment(replicas: 4)
        let existing = [
            Fixture.group(of: before, id: "eci-old11", created: "2026-01-01T00:00:00Z"),
            Fixture.group(of: before, id: "eci-new22", created: "2026-01-03T00:00:00Z"),
            Fixture.group(of: before, id: "eci-mid33", created: "2026-01-02T00:00:00Z"),
            Fixture.group(of: before, id: "eci-pend4", status: "Pending", created: "2026-01-01T00:00:00Z"),
        ]
        let step = try #require(try plan([.deployment(Fixture.deployment(replicas: 2))], existing: existing).steps.first)
        #expect(step.verb == "configured")
        #expect(step.creations.isEmpty)
        #expect(step.deletions == ["eci-pend4", "eci-new22"])
        #expect(step.annotations == ["eci-old11": [DeploymentKeys.desiredReplicas: "2"], "eci-mid33": [DeploymentKeys.desiredReplicas: "2"]])
    }

    @Test func scalingToZeroDeletesEveryPod() throws {
        let before = Fixture.deployment(replicas: 2)
        let existing = [Fixture.group(of: before, id: "eci-a1111"), Fixture.group(of: before, id: "eci-b2222")]
        let step = try #require(try plan([.deployment(Fixture.deployment(replicas: 0))], existing: existing).steps.first)
        #expect(Set(step.deletions) == ["eci-a1111", "eci-b2222"])
        #expect(step.creations.isEmpty && step.annotations.isEmpty)
    }

    @Test func aChangedTemplateCreatesNewPodsBeforeDeletingTheOldOnes() throws {
        let before = Fixture.deployment(replicas: 2, image: "nginx:1")
        let existing = [Fixture.group(of: before, id: "eci-a1111"), Fixture.group(of: before, id: "eci-b2222")]
        let after = Fixture.deployment(replicas: 2, image: "nginx:2")
        #expect(after.templateHash != before.templateHash)
        let step = try #require(try plan([.deployment(after)], existing: existing).steps.first)
        #expect(step.verb == "configured")
        #expect(step.creations.count == 2)
        #expect(step.creations.allSatisfy { $0.template.labels[DeploymentKeys.templateHash] == after.templateHash })
        #expect(step.creations.allSatisfy { $0.template.spec.containers[0].image == "nginx:2" })
        #expect(Set(step.deletions) == ["eci-a1111", "eci-b2222"])
        let firstDelete = try #require(step.actions.firstIndex { if case .delete = $0 { true } else { false } })
        let lastCreate = try #require(step.actions.lastIndex { if case .create = $0 { true } else { false } })
        #expect(lastCreate < firstDelete)
    }

    /// Lanyard keeps no Deployment object: its creation time travels with its pods, so a rollout keeps its age.
    @Test func aRolloutKeepsTheDeploymentsCreationTime() throws {
        let before = Fixture.deployment(replicas: 2, image: "nginx:1")
        let existing = [
            Fixture.group(of: before, id: "eci-a1111", created: "2026-02-01T00:00:00Z"),
            Fixture.group(of: before, id: "eci-b2222", created: "2026-01-01T00:00:00Z"),
        ]
        let after = Fixture.deployment(replicas: 2, image: "nginx:2")
        let step = try #require(try plan([.deployment(after)], existing: existing).steps.first)
        #expect(step.creations.allSatisfy { $0.template.annotations[DeploymentKeys.createdAt] == "2026-01-01T00:00:00Z" })

        var rolledOut = Fixture.group(of: after, id: "eci-c3333", created: "2026-03-01T00:00:00Z")
        rolledOut.Annotations?[DeploymentKeys.createdAt] = "2026-01-01T00:00:00Z"
        let summary = try #require(DeploymentSummary.summaries([rolledOut]).first)
        #expect(summary.createdAt == ECITime.parse("2026-01-01T00:00:00Z"))
    }

    @Test func aChangedRoleAnnotationInTheTemplateReplacesThePods() throws {
        let before = Fixture.deployment(replicas: 1, role: "RoleA")
        let after = Fixture.deployment(replicas: 1, role: "RoleB")
        let step = try #require(try plan([.deployment(after)], existing: [Fixture.group(of: before, id: "eci-a1111")]).steps.first)
        #expect(step.creations.map(\.template.ramRoleName) == ["RoleB"])
        #expect(step.deletions == ["eci-a1111"])
    }

    @Test func anInterruptedRolloutIsCompleted() throws {
        let before = Fixture.deployment(replicas: 2, image: "nginx:1")
        let after = Fixture.deployment(replicas: 2, image: "nginx:2")
        let existing = [
            Fixture.group(of: before, id: "eci-old11"), Fixture.group(of: before, id: "eci-old22"),
            Fixture.group(of: after, id: "eci-new11"),
        ]
        let step = try #require(try plan([.deployment(after)], existing: existing).steps.first)
        #expect(step.creations.count == 1)
        #expect(Set(step.deletions) == ["eci-old11", "eci-old22"])
        #expect(step.annotations.isEmpty)
    }

    @Test func podsOfOtherDeploymentsNamespacesAndStandalonePodsAreUntouched() throws {
        let web = Fixture.deployment("web", replicas: 1)
        let api = Fixture.deployment("api", replicas: 1)
        let webElsewhere = Fixture.deployment("web", replicas: 1, image: "other", namespace: "staging")
        let solo = Fixture.pod()
        let existing = [
            Fixture.group(of: api, id: "eci-api11"), Fixture.group(of: webElsewhere, id: "eci-stg11"),
            Fixture.group(of: solo, id: "eci-solo1"),
        ]
        let step = try #require(try plan([.deployment(Fixture.deployment("web", replicas: 2, image: "new"))], existing: existing).steps.first)
        #expect(step.verb == "created")
        #expect(step.creations.count == 2)
        #expect(step.deletions.isEmpty && step.annotations.isEmpty)
        _ = web
    }

    @Test func generatedNamesAvoidExistingNamesAndEachOther() throws {
        let deployment = Fixture.deployment(replicas: 1)
        // Find the name the seeded generator would produce first, and make it taken.
        var probe = PodNameGenerator(source: SeededGenerator(state: 7))
        let first = probe.name(deployment: "web", templateHash: deployment.templateHash, taken: [])
        let squatter = ContainerGroup(ContainerGroupId: "eci-zzzzz", ContainerGroupName: first, Namespace: "default")
        let step = try #require(try plan([.deployment(Fixture.deployment(replicas: 5))], existing: [squatter], seed: 7).steps.first)
        let names = step.creations.map(\.name)
        #expect(!names.contains(first))
        #expect(Set(names).count == 5)
    }

    @Test func podsAreCreatedUnchangedOrReannotated() throws {
        let pod = Fixture.pod(annotations: ["note": "a", Fixture.role: "RoleA"])
        let created = try plan([.pod(pod)]).steps
        #expect(created == [ApplyPlan.Step(resource: "pod/solo", verb: "created", actions: [.create(name: "solo", namespace: "default", template: pod.template)], notes: [])])

        let existing = [Fixture.group(of: pod, id: "eci-solo1", role: "RoleA")]
        #expect(try plan([.pod(pod)], existing: existing).steps.map(\.verb) == ["unchanged"])

        let changed = Fixture.pod(annotations: ["extra": "b", Fixture.role: "RoleB"])
        let step = try #require(try plan([.pod(changed)], existing: existing).steps.first)
        #expect(step.verb == "configured")
        let expected: [String: [String: String?]] = ["eci-solo1": ["note": nil, "extra": "b", Fixture.role: "RoleB"]]
        #expect(step.annotations == expected)
        #expect(step.notes.count == 1 && step.notes[0].contains("RoleA"), "the role in effect is named")
    }

    @Test func aPodsContainersCannotChange() {
        let existing = [Fixture.group(of: Fixture.pod(), id: "eci-solo1")]
        #expect(throws: CLIError.self) { try plan([.pod(Fixture.pod(args: ["10"]))], existing: existing) }
        #expect((try? plan([.pod(Fixture.pod(args: ["10"]))], existing: existing)) == nil)
    }

    @Test func aPodOwnedByADeploymentIsRefused() {
        let deployment = Fixture.deployment()
        let owned = Fixture.group(of: deployment, id: "eci-a1111", name: "solo")
        do {
            _ = try plan([.pod(Fixture.pod())], existing: [owned])
            Issue.record("expected a refusal")
        } catch {
            #expect(error.code == "PodOwnedByDeployment")
        }
    }

    @Test func anObjectNamedTwiceIsRefusedBeforeAnythingIsPlanned() {
        do {
            _ = try plan([.deployment(Fixture.deployment()), .deployment(Fixture.deployment(replicas: 5))])
            Issue.record("expected a refusal")
        } catch {
            #expect(error.code == "DuplicateObject")
        }
    }

    @Test func multipleObjectsGetOneStepEachInOrder() throws {
        let steps = try plan([.pod(Fixture.pod("a")), .deployment(Fixture.deployment("web", replicas: 1)), .pod(Fixture.pod("b"))]).steps
        #expect(steps.map(\.resource) == ["pod/a", "deployment.apps/web", "pod/b"])
    }

    @Test func annotationChangesSetAndRemoveKeys() {
        let changes = ApplyPlanner.annotationChanges(from: ["a": "1", "b": "2", "c": "3"], to: ["a": "1", "b": "20", "d": "4"])
        let expected: [String: String?] = ["b": "20", "c": nil, "d": "4"]
        #expect(changes == expected)
    }
}

@Suite struct PodNameGeneratorTests {
    @Test func namesAreDeploymentHashAndFiveSafeCharacters() {
        var generator = PodNameGenerator(source: SeededGenerator(state: 3))
        let name = generator.name(deployment: "web", templateHash: "abcdefghij", taken: [])
        #expect(name.hasPrefix("web-abcdefghij-"))
        let suffix = name.dropFirst("web-abcdefghij-".count)
        #expect(suffix.count == 5)
        #expect(suffix.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
    }

    @Test func longDeploymentNamesAreCutToAValidPodName() {
        var generator = PodNameGenerator(source: SeededGenerator(state: 3))
        let long = String(repeating: "a", count: 60)
        let name = generator.name(deployment: long, templateHash: "abcdefghij", taken: [])
        #expect(name.count == 63)
        #expect(name.hasPrefix(String(repeating: "a", count: 58)))
    }

    @Test func differentSeedsGiveDifferentNames() {
        var a = PodNameGenerator(source: SeededGenerator(state: 1))
        var b = PodNameGenerator(source: SeededGenerator(state: 2))
        let first = a.name(deployment: "w", templateHash: "h", taken: [])
        let second = b.name(deployment: "w", templateHash: "h", taken: [])
        #expect(first != second)
    }
}

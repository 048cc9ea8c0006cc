import Foundation
import LanyardManifests
import Testing

@testable import LanyardCLI

@Suite struct AgeTests {
    @Test(arguments: [
        (0, "0s"), (-5, "0s"), (5, "5s"), (119, "119s"), (120, "2m"), (125, "2m5s"), (180, "3m"), (599, "9m59s"),
        (600, "10m"), (179 * 60 + 59, "179m"), (3 * 3600, "3h"), (2 * 3600 + 0, "120m"), (7 * 3600 + 30 * 60, "7h30m"),
        (8 * 3600 + 59 * 60, "8h"), (47 * 3600, "47h"), (4 * 86400, "4d"), (3 * 86400 + 2 * 3600, "3d2h"),
        (8 * 86400, "8d"), (729 * 86400, "729d"), (730 * 86400, "2y"), (800 * 86400, "2y70d"), (9 * 365 * 86400, "9y"),
    ])
    func formats(seconds: Int, expected: String) {
        #expect(Age.format(seconds: seconds) == expected)
    }

    @Test func sinceUsesTheStartAndKnowsWhenThereIsNone() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(Age.since(now.addingTimeInterval(-42.9), now: now) == "42s")
        #expect(Age.since(nil, now: now) == "<unknown>")
    }
}

@Suite struct TextTableTests {
    @Test func columnsAreAlignedWithThreeSpacesAndNoTrailingBlanks() {
        let table = TextTable(header: ["NAME", "READY", "STATUS"], rows: [["web-1", "1/1", "Running"], ["a", "0/2", ""]])
        #expect(table.render() == "NAME    READY   STATUS\nweb-1   1/1     Running\na       0/2\n")
    }

    @Test func anEmptyTableIsItsHeader() {
        #expect(TextTable(header: ["NAME", "AGE"], rows: []).render() == "NAME   AGE\n")
    }
}

@Suite struct KubectlWordsTests {
    @Test(arguments: [
        (["-f", "x.yaml"], [("filename", "x.yaml")], []),
        (["-f", "-"], [("filename", "-")], []),
        (["-fx.yaml"], [("filename", "x.yaml")], []),
        (["-f=x.yaml"], [("filename", "x.yaml")], []),
        (["--filename=-"], [("filename", "-")], []),
        (["pod", "-n", "team", "-A"], [("namespace", "team"), ("all-namespaces", nil)], ["pod"]),
    ] as [([String], [(String, String?)], [String])])
    func shortOptionsStandForLongOnes(words: [String], options: [(String, String?)], positional: [String]) throws {
        let arguments = try Arguments(words, spec: DeleteCommand.options)
        #expect(arguments.options.elementsEqual(options) { $0 == $1 })
        #expect(arguments.positional == positional)
    }

    @Test func valuedLettersTakeTheirValueInAnyForm() throws {
        for words in [["-owide"], ["-o=wide"], ["-o", "wide"], ["--output", "wide"], ["--output=wide"]] {
            #expect(try Arguments(words, spec: GetCommand.options).value("output") == "wide", "\(words)")
        }
        #expect(try Arguments(["--tail", "-1"], spec: LogsCommand.options).value("tail") == "-1")
    }

    @Test func flagLettersBundle() throws {
        let arguments = try Arguments(["-it", "web", "--", "sh", "-c", "ls"], spec: ExecCommand.options)
        #expect(arguments.has("stdin"))
        #expect(arguments.has("tty"))
        #expect(arguments.positional == ["web", "sh", "-c", "ls"])
    }

    @Test func flagBundlesWithOptionLettersAreRefused() {
        #expect(throws: CLIError.usage("unknown option -if for `lanyard exec`; see `lanyard exec --help`")) { try Arguments(["-if"], spec: ExecCommand.options) }
    }

    @Test func theCommandAfterDoubleDashIsKept() throws {
        let arguments = try Arguments(["-i", "deploy/web", "-c", "main", "--", "cat", "-n", "--help"], spec: ExecCommand.options)
        #expect(arguments.positional == ["deploy/web", "cat", "-n", "--help"])
        #expect(arguments.has("stdin"))
        #expect(arguments.value("container") == "main")
        #expect(!arguments.wantsHelp, "--help after -- belongs to the command run in the pod")
    }

    @Test(arguments: [
        (GetCommand.options, ["pods", "-x"], "unknown option -x for `lanyard get`; see `lanyard get --help`"),
        (GetCommand.options, ["pods", "--bogus"], "unknown option --bogus for `lanyard get`; see `lanyard get --help`"),
        (GetCommand.options, ["pods", "-f", "x"], "unknown option -f for `lanyard get`; see `lanyard get --help`"),
        (ApplyCommand.options, ["-f"], "-f needs a file name (or - for stdin)"),
        (ApplyCommand.options, ["--filename"], "--filename needs a file name (or - for stdin)"),
        (ApplyCommand.options, ["-f", "--namespace", "x"], "-f needs a file name (or - for stdin)"),
        (ApplyCommand.options, ["-f", "-n", "x"], "-f needs a file name (or - for stdin)"),
        (GetCommand.options, ["pods", "-o"], "-o needs a value"),
        (GetCommand.options, ["pods", "-n", "-A"], "-n needs a value"),
        (LogsCommand.options, ["web", "--tail", "--bogus"], "--tail needs a value"),
        (AnnotateCommand.options, ["--overwrite=yes"], "--overwrite takes no value"),
    ] as [(OptionSpec, [String], String)])
    func wrongWordsNameTheOptionAsTyped(spec: OptionSpec, words: [String], message: String) {
        #expect(throws: CLIError.usage(message)) { try Arguments(words, spec: spec) }
    }

    @Test func eachCommandKnowsOnlyItsOwnLetters() {
        #expect(throws: CLIError.usage("unknown option -c for `lanyard get`; see `lanyard get --help`")) {
            try Arguments(["pods", "-c", "x"], spec: GetCommand.options)
        }
        #expect(throws: CLIError.usage("unknown option --output for `lanyard logs`; see `lanyard logs --help`")) {
            try Arguments(["web", "--output", "json"], spec: LogsCommand.options)
        }
    }
}

@Suite struct ReferenceTests {
    @Test func referencesAreParsedLikeKubectl() throws {
        #expect(try ResourceReference(parsing: "web") == .pod("web"))
        #expect(try ResourceReference(parsing: "pod/web") == .pod("web"))
        #expect(try ResourceReference(parsing: "deploy/web") == .deployment("web"))
        #expect(try ResourceReference(parsing: "deployment.apps/web") == .deployment("web"))
        #expect(throws: CLIError.self) { try ResourceReference(parsing: "svc/web") }
        #expect(throws: CLIError.self) { try ResourceReference(parsing: "pod/") }
        #expect(try references(["pods", "a", "b"], command: "delete") == [.pod("a"), .pod("b")])
        #expect(try references(["deploy", "w"], command: "delete") == [.deployment("w")])
        #expect(try references(["pod/a", "deploy/w"], command: "delete") == [.pod("a"), .deployment("w")])
        #expect(throws: CLIError.self) { try references(["pod"], command: "delete") }
        #expect(throws: CLIError.self) { try references(["secret", "x"], command: "delete") }
    }

    @Test func annotationEditsSetAndRemove() throws {
        let expected: [String: String?] = ["a": "1", "b": "x=y", "c": nil, "d": ""]
        #expect(try AnnotationEdits.parse(["a=1", "b=x=y", "c-", "d="]) == expected)
        #expect(throws: CLIError.self) { try AnnotationEdits.parse(["novalue"]) }
        #expect(throws: CLIError.self) { try AnnotationEdits.parse(["=v"]) }
        #expect(throws: CLIError.self) { try AnnotationEdits.parse([]) }
    }
}

/// A DescribeContainerGroups reply as Lanyard's ECI service renders it.
let describeReply = """
    {"RequestId":"r","TotalCount":1,"NextToken":"","ContainerGroups":[{
      "ContainerGroupId":"eci-abc123","ContainerGroupName":"web-h-x1","Status":"Running","RegionId":"cn-hangzhou",
      "ZoneId":"cn-hangzhou-k","CreationTime":"2026-01-01T00:00:00Z","IntranetIp":"127.0.0.1","RestartPolicy":"Always",
      "RamRoleName":"ECIRamRoleTest","RamRoleArn":"acs:ram::1234:role/ECIRamRoleTest",
      "CredentialExpiration":"2026-01-01T06:00:00Z","Namespace":"default",
      "Tags":[{"Key":"app","Value":"web"},{"Key":"lanyard.io/deployment","Value":"web"}],
      "Annotations":{"k8s.aliyun.com/eci-ram-role-name":"ECIRamRoleTest"},
      "Events":[{"Count":3,"FirstTimestamp":"2026-01-01T00:00:00Z","LastTimestamp":"2026-01-01T00:59:00Z",
                 "Message":"credentials rotated","Name":"web-h-x1","Reason":"CredentialsRotated","Type":"Normal"}],
      "Containers":[
        {"Name":"main","Image":"nginx","Commands":["sleep","3600"],"Args":[],"WorkingDir":"",
         "EnvironmentVars":[{"Key":"A","Value":"1"}],"Ready":true,"RestartCount":2,
         "CurrentState":{"State":"Running","StartTime":"2026-01-01T00:00:01Z"}},
        {"Name":"side","Image":"busybox","Commands":["true"],"Args":[],"WorkingDir":"/tmp","EnvironmentVars":[],
         "Ready":false,"RestartCount":1,"CurrentState":{"State":"Terminated","ExitCode":3,"Reason":"Error"}}]}]}
    """

@Suite struct PodViewTests {
    let now = ECITime.parse("2026-01-01T01:00:00Z")!

    func group() throws -> ContainerGroup {
        let reply = try JSONSerialization.jsonObject(with: Data(describeReply.utf8))
        let page = try ContainerGroup.page(from: reply)
        #expect(page.nextToken == nil)
        return try #require(page.groups.first)
    }

    @Test func decodesTheReplyAndRebuildsTheTemplate() throws {
        let group = try group()
        #expect(group.labels == ["app": "web", DeploymentKeys.deployment: "web"])
        #expect(group.roleName == "ECIRamRoleTest")
        #expect(group.createdAt == ECITime.parse("2026-01-01T00:00:00Z"))
        let template = group.template
        #expect(template.spec.containers.map(\.name) == ["main", "side"])
        #expect(template.spec.containers[0].env == [EnvVar(name: "A", value: "1")])
        #expect(template.spec.containers[0].workingDir == nil)
        #expect(template.spec.containers[1].workingDir == "/tmp")
        #expect(template.ramRoleName == "ECIRamRoleTest")
    }

    @Test func rowsShowReadinessRestartsAgeAndWideColumns() throws {
        let group = try group()
        #expect(PodView.row(group, now: now, wide: false, allNamespaces: false) == ["web-h-x1", "1/2", "Error", "3", "60m"])
        #expect(
            PodView.row(group, now: now, wide: true, allNamespaces: true)
                == ["default", "web-h-x1", "1/2", "Error", "3", "60m", "127.0.0.1", "virtual-kubelet-cn-hangzhou-k", "ECIRamRoleTest"])
        #expect(PodView.header(wide: true, allNamespaces: false) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "ROLE"])
    }

    @Test(arguments: [("Succeeded", "Completed"), ("Failed", "Error"), ("Pending", "Pending"), ("Restarting", "Restarting")])
    func statusFollowsKubectl(status: String, shown: String) {
        let group = ContainerGroup(ContainerGroupId: "eci-1", ContainerGroupName: "p", Status: status)
        #expect(PodView.status(group) == shown)
    }

    @Test func aFailedPodShowsItsContainersReason() {
        let container = ContainerGroup.Container(CurrentState: .init(State: "Terminated", ExitCode: 137, Reason: "Signaled"))
        let group = ContainerGroup(ContainerGroupId: "eci-1", ContainerGroupName: "p", Status: "Failed", Containers: [container])
        #expect(PodView.status(group) == "Signaled")
    }

    @Test(arguments: [
        ("Terminated", "Error", "Error"), ("Waiting", "CrashLoopBackOff", "CrashLoopBackOff"),
        ("Terminated", "Completed", "Completed"), ("Waiting", nil, "Running"), ("Running", nil, "Running"),
    ] as [(String, String?, String)])
    func aRunningPodShowsTheReasonOfAContainerThatIsNotRunning(state: String, reason: String?, shown: String) {
        let running = ContainerGroup.Container(CurrentState: .init(State: "Running"))
        let other = ContainerGroup.Container(CurrentState: .init(State: state, Reason: reason))
        let group = ContainerGroup(ContainerGroupId: "eci-1", ContainerGroupName: "p", Status: "Running", Containers: [running, other])
        #expect(PodView.status(group) == shown)
    }

    @Test func jsonIsAKubernetesPod() throws {
        let object = PodView.kubernetesObject(try group())
        #expect(object["kind"] as? String == "Pod")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["name"] as? String == "web-h-x1")
        #expect(metadata["uid"] as? String == "eci-abc123")
        #expect((metadata["annotations"] as? [String: String])?[PodTemplate.ramRoleAnnotation] == "ECIRamRoleTest")
        let spec = try #require(object["spec"] as? [String: Any])
        let containers = try #require(spec["containers"] as? [[String: Any]])
        #expect(containers[0]["command"] as? [String] == ["sleep", "3600"])
        let status = try #require(object["status"] as? [String: Any])
        #expect(status["phase"] as? String == "Running")
        let statuses = try #require(status["containerStatuses"] as? [[String: Any]])
        #expect((statuses[1]["state"] as? [String: Any])?["terminated"] != nil)
        #expect(JSONSerialization.isValidJSONObject(object))
    }

    @Test func describeShowsRoleArnExpiryContainersAndEvents() throws {
        let text = PodView.describe(try group(), now: now)
        #expect(text.contains("RAM Role:           ECIRamRoleTest\n"))
        #expect(text.contains("RAM Role ARN:       acs:ram::1234:role/ECIRamRoleTest\n"))
        #expect(text.contains("Credentials Expire: 2026-01-01T06:00:00Z (in 5h)\n"))
        #expect(text.contains("  main:\n    Image:          nginx\n    Command:\n      sleep\n      3600\n"))
        #expect(text.contains("      Exit Code:    3\n"))
        #expect(text.contains("      A:  1\n"))
        #expect(text.contains("Normal   CredentialsRotated   60s (x3 over 60m)   lanyard   credentials rotated"))
    }

    @Test func describeSaysWhenThereIsNoRole() {
        let text = PodView.describe(ContainerGroup(ContainerGroupId: "eci-1", ContainerGroupName: "p", Status: "Running"), now: now)
        #expect(text.contains("RAM Role:           <none>\n"))
        #expect(text.contains("Credentials Expire: <none>\n"))
        #expect(text.contains("Events:              <none>\n"))
    }
}

@Suite struct DeploymentSummaryTests {
    @Test func podsAreGroupedByDeploymentWithTheNewestTemplateCounted() {
        let v1 = Fixture.deployment("web", replicas: 3, image: "v1")
        let v2 = Fixture.deployment("web", replicas: 3, image: "v2")
        let api = Fixture.deployment("api", replicas: 1)
        var pending = Fixture.group(of: v2, id: "eci-new22", status: "Pending", created: "2026-01-02T00:00:01Z")
        pending.Containers = [ContainerGroup.Container(Ready: false)]
        let groups = [
            Fixture.group(of: v1, id: "eci-old11", created: "2026-01-01T00:00:00Z"),
            Fixture.group(of: v2, id: "eci-new11", created: "2026-01-02T00:00:00Z"),
            pending,
            Fixture.group(of: api, id: "eci-api11", desired: 1, created: "2026-01-03T00:00:00Z"),
            ContainerGroup(ContainerGroupId: "eci-solo1", ContainerGroupName: "solo", Status: "Running"),
        ]
        let summaries = DeploymentSummary.summaries(groups)
        #expect(summaries.map(\.name) == ["api", "web"])
        let web = summaries[1]
        #expect(web.desired == 3)
        #expect(web.ready == 2)
        #expect(web.upToDate == 2)
        #expect(web.createdAt == ECITime.parse("2026-01-01T00:00:00Z"))
        #expect(web.row(now: ECITime.parse("2026-01-05T00:00:00Z")!, allNamespaces: false) == ["web", "2/3", "2", "2", "4d"])
    }
}

@Suite struct DeploymentViewTests {
    let now = ECITime.parse("2026-01-05T00:00:00Z")!

    @Test func describeShowsReplicasHashRoleTemplateAndPods() throws {
        let v1 = Fixture.deployment("web", replicas: 2, image: "v1", role: "OldRole")
        let v2 = Fixture.deployment("web", replicas: 2, image: "v2")
        var current = Fixture.group(of: v2, id: "eci-new11", created: "2026-01-02T00:00:00Z")
        current.Containers = [
            ContainerGroup.Container(
                Name: "main", Image: "v2", Commands: ["sleep", "3600"], EnvironmentVars: [.init(Key: "A", Value: "1")],
                Ready: true)
        ]
        var pending = Fixture.group(of: v2, id: "eci-new22", status: "Pending", created: "2026-01-02T00:00:01Z")
        pending.Containers = current.Containers!.map { var container = $0; container.Ready = false; return container }
        let old = Fixture.group(of: v1, id: "eci-old11", created: "2026-01-01T00:00:00Z")
        let text = try #require(DeploymentView.describe([pending, old, current], now: now))
        #expect(text.hasPrefix("Name:               web\nNamespace:          default\n"))
        #expect(text.contains("CreationTimestamp:  2026-01-01T00:00:00Z (4d ago)\n"))
        #expect(text.contains("Selector:           lanyard.io/deployment=web\n"))
        #expect(text.contains("Replicas:           2 desired | 2 updated | 3 total | 2 ready | 2 available | 1 unavailable\n"))
        #expect(text.contains("Template Hash:      \(v2.templateHash)\n"))
        #expect(text.contains("RAM Role:           ECIRamRoleTest\n"), "the newest template's role")
        #expect(text.contains("  Labels:           app=web\n"), "the Deployment's own tags are not template labels")
        #expect(text.contains("  Annotations:      \(Fixture.role): ECIRamRoleTest\n"), "the role annotation of the template")
        #expect(!text.contains(DeploymentKeys.desiredReplicas))
        #expect(text.contains("   main:\n    Image:          v2\n    Command:        sleep 3600\n    Environment:    A\n"))
        let podLines = text.split(separator: "\n").drop { $0 != "Pods:" }.dropFirst().map(String.init)
        #expect(podLines.count == 4)
        #expect(podLines[0].hasPrefix("  NAME "))
        #expect(podLines[1].hasPrefix("  web-\(v1.templateHash)-old11 "))
        #expect(podLines[1].hasSuffix(" \(v1.templateHash)   OldRole"), "each pod shows its own hash and role")
        #expect(podLines[3].contains(" Pending "))
    }

    @Test func noPodsIsNoDeployment() {
        #expect(DeploymentView.describe([], now: now) == nil)
    }
}

@Suite struct ECITimeTests {
    @Test func parsesAndFormatsUTC() {
        let date = ECITime.parse("2026-03-04T05:06:07Z")
        #expect(date?.timeIntervalSince1970 == 1_772_600_767)
        #expect(date.map(ECITime.format) == "2026-03-04T05:06:07Z")
        #expect(ECITime.parse("2026-03-04T05:06:07.123Z") == date)
        #expect(ECITime.parse("2026-13-04T05:06:07Z") == nil)
        #expect(ECITime.parse("yesterday") == nil)
    }
}

@Suite struct ManifestInputTests {
    @Test func aMalformedFileIsRefusedWithFileLineAndColumn() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lanyard-bad-\(UUID().uuidString).yaml").path
        try "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n  containers:\n  - name: c\n    image: [unclosed\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var arguments = try Arguments(["-f", path], spec: ApplyCommand.options)
        do {
            _ = try ManifestInput.read(&arguments)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.code == "MalformedYAML")
            #expect(error.message.hasPrefix("\(path): line "))
            #expect(error.message.contains("column"))
            #expect(error.message.hasSuffix("nothing was applied"))
        }
    }

    @Test func aMissingFileIsAnError() throws {
        var arguments = try Arguments(["-f", "/nonexistent/lanyard.yaml"], spec: ApplyCommand.options)
        #expect(throws: CLIError.self) { try ManifestInput.read(&arguments) }
    }
}

@Suite struct PodCommandUsageTests {
    /// An environment with credentials, so that only the words decide.
    let environment = [
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
        "LANYARD_CONFIG_FILE": "/nonexistent/lanyard-config.json", "LANYARD_ENDPOINT": "127.0.0.1:1",
    ]

    @Test(arguments: [
        ["get"], ["get", "services"], ["get", "pods", "-o", "xml"], ["describe"], ["logs"], ["logs", "a", "b"],
        ["logs", "web", "--tail", "many"], ["exec", "web"], ["exec", "-t", "web", "--", "sh"], ["delete"], ["delete", "pod"],
        ["annotate", "pod", "web"], ["annotate", "deploy", "web", "a=b"], ["apply"], ["get", "pods", "--bogus", "x"],
        ["get", "pods", "--bogus"], ["get", "pods", "-x"], ["apply", "-f"], ["describe", "deploy"], ["logs", "web", "-x"],
        ["exec", "web", "-x", "--", "ls"],
    ])
    func usageErrorsExitWithTwo(words: [String]) async {
        #expect(await CLI.run(words, environment: environment) == 2)
    }

    @Test(arguments: ["apply", "get", "describe", "logs", "exec", "delete", "annotate"])
    func everyCommandHasHelp(command: String) async {
        #expect(await CLI.run([command, "--help"], environment: [:]) == 0)
    }
}

@Suite struct EmptyManifestTests {
    @Test func aFileWithoutObjectsIsAnErrorNotASilentSuccess() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lanyard-empty-\(UUID().uuidString).yaml").path
        try "---\n# nothing\n---\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var arguments = try Arguments(["-f", path], spec: ApplyCommand.options)
        do {
            _ = try ManifestInput.read(&arguments)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.code == "NoObjects")
        }
    }
}

@Suite("exec exit statuses")
struct ExecFinishTests {
    @Test func truncatedOutputAndTimeoutsFail() {
        let ok = ECIClient.ExecResult(stdout: Data([0xFF]), stderr: Data(), exitCode: 0)
        #expect(ExecCommand.finish(ok, timeout: nil) == 0)
        var cut = ok
        cut.truncated = true
        #expect(ExecCommand.finish(cut, timeout: nil) == 1)
        cut.exitCode = 3
        #expect(ExecCommand.finish(cut, timeout: nil) == 3)
        var stopped = ok
        stopped.timedOut = true
        stopped.exitCode = 137
        #expect(ExecCommand.finish(stopped, timeout: 5) == 124)
    }
}

/// `get -o yaml` and `-o json` print objects that `apply` reads back as what was applied.
@Suite struct ObjectOutputRoundTripTests {
    /// A Deployment's pods as DescribeContainerGroups reports them, containers included.
    func pods(of deployment: DeploymentManifest) -> [ContainerGroup] {
        ["eci-aaaa1", "eci-bbbb2"].map { id in
            var group = Fixture.group(of: deployment, id: id)
            group.Containers = deployment.template.spec.containers.map { container in
                ContainerGroup.Container(
                    Name: container.name, Image: container.image, Commands: container.command, Args: container.args,
                    WorkingDir: container.workingDir ?? "",
                    EnvironmentVars: container.env.map { ContainerGroup.Pair(Key: $0.name, Value: $0.value) }, Ready: true)
            }
            group.RestartPolicy = deployment.template.spec.restartPolicy.rawValue
            return group
        }
    }

    @Test(arguments: ["yaml", "json"])
    func aDeploymentReadsBackAsTheSameTemplate(format: String) throws {
        var deployment = Fixture.deployment("web", replicas: 3)
        deployment.template.spec.containers[0].args = [
            "3600", "true", "", "a: b", "- x", "#c", "multi\nline", "0x1F", "null", "~", "2024-01-01", "1:30", "=", "<<", "y",
            "nel\u{85}", "del\u{7F}", "c1\u{9B}", "ls\u{2028}", "x\u{FEFF}", "tab\there", " both ",
        ]
        deployment.template.spec.containers[0].env = [EnvVar(name: "YES", value: "yes"), EnvVar(name: "U", value: "日本 ✓")]
        deployment.template.spec.containers[0].workingDir = "/srv"
        let summary = try #require(DeploymentSummary.summaries(pods(of: deployment)).first)
        let text = try rendered(summary.kubernetesObject, as: format)
        guard case .deployment(let read) = try #require(ManifestParser.parse(text).objects.first) else {
            Issue.record("not a Deployment: \(text)")
            return
        }
        #expect(read.metadata.name == "web" && read.replicas == 3)
        #expect(read.template == deployment.template)
        #expect(read.templateHash == deployment.templateHash, "applying it again changes nothing")
    }

    @Test(arguments: ["yaml", "json"])
    func aPodReadsBackAsTheSamePod(format: String) throws {
        let group = try PodViewTests().group()
        let text = try rendered(PodView.kubernetesObject(group), as: format)
        guard case .pod(let read) = try #require(ManifestParser.parse(text).objects.first) else {
            Issue.record("not a Pod: \(text)")
            return
        }
        #expect(read.metadata.name == "web-h-x1")
        #expect(read.spec == group.template.spec)
        #expect(read.metadata.annotations == group.Annotations)
    }

    @Test(arguments: ["yaml", "json"])
    func aListOfPodsReadsBackAsThosePods(format: String) throws {
        let group = try PodViewTests().group()
        var other = group
        other.ContainerGroupName = "web-h-x2"
        let list: [String: Any] = ["apiVersion": "v1", "kind": "List", "items": [group, other].map(PodView.kubernetesObject)]
        let objects = try ManifestParser.parse(try rendered(list, as: format)).objects
        #expect(objects.map(\.metadata.name) == ["web-h-x1", "web-h-x2"])
    }

    /// A pod edited after it was created (annotated) no longer shows the template the Deployment applied; the
    /// Deployment's template is read from a pod that still does.
    @Test func theTemplateComesFromAPodStillAsApplied() throws {
        let deployment = Fixture.deployment("web", replicas: 2)
        var groups = pods(of: deployment)
        groups[1].CreationTime = "2026-01-01T00:00:09Z"
        groups[1].Annotations?["extra"] = "1"
        let summary = try #require(DeploymentSummary.summaries(groups).first)
        #expect(summary.template == deployment.template)
        #expect(summary.templateHash == deployment.templateHash)
    }

    @Test func yamlLooksLikeKubectls() throws {
        let text = try YAMLWriter.document([
            "kind": "Pod", "apiVersion": "v1", "spec": ["containers": [["args": ["3600", "sleep"], "name": "a"]]],
            "status": ["ready": true, "restartCount": 2],
        ] as [String: Any])
        #expect(
            text == """
                apiVersion: v1
                kind: Pod
                spec:
                  containers:
                  - args:
                    - "3600"
                    - sleep
                    name: a
                status:
                  ready: true
                  restartCount: 2

                """)
    }

    func rendered(_ object: [String: Any], as format: String) throws -> String {
        format == "yaml" ? try YAMLWriter.document(object) : prettyJSON(object)
    }
}

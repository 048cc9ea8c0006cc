import Foundation
import LanyardManifests
import LanyardNode

/// What every kubectl-style command shares: the signed ECI client resolved like the other client commands
/// (`--profile`, `--endpoint`, `--region`, `--data`, environment), and the namespace (`-n`, `-A`).
struct PodContext {
    /// Options and words left after the global ones were taken.
    var arguments: Arguments
    /// The client, or why there is none (no credentials, an unreadable profile file).
    private let resolved: Result<ECIClient, CLIError>
    /// `-n/--namespace`, `default` when absent.
    let namespace: String
    /// `-A/--all-namespaces`.
    let allNamespaces: Bool

    /// Resolves the endpoint and credentials from `arguments`, split by the command's ``KubectlWords/spec(_:valued:flags:)``.
    /// A failure to find credentials is reported when ``eci`` is first used, so that the command's own usage errors
    /// (a missing name, an unreadable file) come first.
    init(_ arguments: Arguments, environment: [String: String]) {
        var arguments = arguments
        resolved = Result { () throws(CLIError) in
            let invocation = try Invocation.resolve(&arguments, environment: environment)
            return ECIClient(
                rpc: RPCClient(endpoint: invocation.apiEndpoint, credentials: invocation.credentials, region: invocation.region))
        }
        namespace = arguments.take("namespace") ?? "default"
        allNamespaces = arguments.takeFlag("all-namespaces")
        self.arguments = arguments
    }

    /// The signed ECI client.
    var eci: ECIClient {
        get throws(CLIError) { try resolved.get() }
    }

    /// The `Namespace` filter for listing, none with `-A`.
    var namespaceFilter: [(name: String, value: String)] { allNamespaces ? [] : [("Namespace", namespace)] }
}

/// Reading manifests from `-f FILE` or `-f -` (stdin).
enum ManifestInput {
    /// Reads and parses the file named by `--filename`; errors name the file, line and column. A stream without
    /// objects is an error too, so that a wrong file never looks like success.
    static func read(_ arguments: inout Arguments) throws(CLIError) -> (name: String, manifests: ParsedManifests) {
        guard let path = arguments.take("filename") else { throw .usage("missing -f FILE (or -f - for stdin)") }
        let name = path == "-" ? "<stdin>" : path
        let bytes: [UInt8]
        if path == "-" {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CLIError(code: "FileNotFound", message: "cannot read \(path): no such file or not readable")
            }
            bytes = Array(data)
        }
        let manifests: ParsedManifests
        do {
            manifests = try ManifestParser.parse(bytes: bytes)
        } catch {
            throw CLIError(code: error.code, message: "\(name): \(error.description); nothing was applied")
        }
        guard !manifests.objects.isEmpty else { throw CLIError(code: "NoObjects", message: "\(name): no objects passed") }
        return (name, manifests)
    }
}

/// A `TYPE NAME` or `TYPE/NAME` reference to a pod or a Deployment, as kubectl takes them.
enum ResourceReference: Equatable {
    case pod(String)
    case deployment(String)

    /// The resource kind a kubectl word names (`pods`, `po`, `deploy`, `deployment.apps`, ...), if any.
    static func kind(_ word: String) -> String? {
        switch word {
        case "pod", "pods", "po": "pod"
        case "deployment", "deployments", "deploy", "deployment.apps", "deployments.apps": "deployment"
        default: nil
        }
    }

    /// Parses `POD`, `pod/POD` or `deploy/NAME`.
    init(parsing word: String) throws(CLIError) {
        guard let slash = word.firstIndex(of: "/") else {
            self = .pod(word)
            return
        }
        let name = String(word[word.index(after: slash)...])
        guard !name.isEmpty else { throw .usage("\"\(word)\": missing a name after the slash") }
        switch ResourceReference.kind(String(word[..<slash])) {
        case "pod": self = .pod(name)
        case "deployment": self = .deployment(name)
        default: throw .usage("\"\(word)\": only pods and deployments are supported")
        }
    }

    /// The pod this reference points at: the pod itself, or a Deployment's oldest running pod (as kubectl picks
    /// one for `exec` and `logs`).
    func resolve(_ context: PodContext) async throws(CLIError) -> ContainerGroup {
        switch self {
        case .pod(let name):
            return try await context.eci.pod(named: name, namespace: context.namespace)
        case .deployment(let name):
            let pods = try await context.eci.deploymentPods(name, namespace: context.namespace)
            guard !pods.isEmpty else {
                throw CLIError(code: "NotFound", message: "deployments.apps \"\(name)\" not found in namespace \(context.namespace)")
            }
            let running = pods.filter(\.isRunning).sorted {
                ($0.createdAt ?? .distantPast, $0.ContainerGroupName) < ($1.createdAt ?? .distantPast, $1.ContainerGroupName)
            }
            guard let first = running.first else {
                throw CLIError(code: "NoRunningPod", message: "deployment \"\(name)\" has no running pod")
            }
            return first
        }
    }
}

/// `lanyard apply -f FILE|-`
enum ApplyCommand {
    /// The options this command takes.
    static let options = KubectlWords.spec("apply", valued: ["filename"])

    static let help = """
        Usage: lanyard apply -f FILE|- [-n NAMESPACE] [--profile P] [--endpoint H:P]

        Creates the pods that Kubernetes manifests describe (kinds Pod and Deployment, and v1 Lists of them as get
        -o yaml|json prints; several documents separated by ---), as ACK's virtual node does: each pod becomes one
        signed ECI CreateContainerGroup call with your own credentials, and its RAM role comes from its own
        annotation k8s.aliyun.com/eci-ram-role-name (for a Deployment, from spec.template.metadata.annotations). The whole file is checked first: an error (with line
        and column) means nothing is created.

        A Deployment keeps spec.replicas pods named <deployment>-<template hash>-<random>, tagged with the
        Deployment and the hash. Applying it again unchanged does nothing; a changed replica count scales; a changed
        template creates new pods, then deletes the old ones. A pod cannot be changed after creation except for its
        annotations (which do not change its role). Images are not pulled: commands run from the host's filesystem.

        The node runs at most `lanyard up --max-pods` pods (default 250): a plan that would need more is refused
        before anything is created. Many creations report their progress on stderr; the first failed call stops
        apply with its error.
        """

    /// Creations of one object after which progress is reported (and every so many after that).
    static let progressThreshold = 25

    static func run(_ words: [String], environment: [String: String]) async throws(CLIError) -> Int32 {
        let arguments = try Arguments(words, spec: options)
        if arguments.wantsHelp {
            print(help)
            return 0
        }
        var context = PodContext(arguments, environment: environment)
        let input = try ManifestInput.read(&context.arguments)
        guard context.arguments.positional.isEmpty else { throw .usage("unexpected \"\(context.arguments.positional[0])\"") }
        for warning in input.manifests.warnings {
            warn("Warning: \(input.name): line \(warning.line), column \(warning.column): \(warning.message)")
        }
        var objects = input.manifests.objects
        if context.namespace != "default" {
            // -n applies to objects that name no namespace of their own, as in kubectl.
            objects = objects.map { object in
                switch object {
                case .pod(var pod):
                    if pod.metadata.namespace == "default" { pod.metadata.namespace = context.namespace }
                    return .pod(pod)
                case .deployment(var deployment):
                    if deployment.metadata.namespace == "default" { deployment.metadata.namespace = context.namespace }
                    return .deployment(deployment)
                }
            }
        }
        let existing = try await context.eci.groups()
        let capacity = try await context.eci.capacity()
        var names = PodNameGenerator(source: SystemRandomNumberGenerator())
        let plan = try ApplyPlanner.plan(objects, existing: existing, capacity: capacity, names: &names)
        for step in plan.steps {
            let creations = step.actions.filter { if case .create = $0 { true } else { false } }.count
            var created = 0
            for action in step.actions {
                switch action {
                case .create(let name, let namespace, let template):
                    do {
                        _ = try await context.eci.create(name: name, namespace: namespace, template: template)
                    } catch {
                        if created > 0 { warn("\(step.resource): \(created) of \(creations) pods created before the failure") }
                        throw CLIError(code: error.code, message: "\(step.resource): creating pod \(name): \(error.message)")
                    }
                    created += 1
                    if creations >= Self.progressThreshold, created % Self.progressThreshold == 0 || created == creations {
                        warn("\(step.resource): \(created)/\(creations) pods created")
                    }
                case .annotate(let id, let name, let changes):
                    do {
                        _ = try await context.eci.annotate(id: id, changes: changes)
                    } catch {
                        throw CLIError(code: error.code, message: "\(step.resource): annotating pod \(name): \(error.message)")
                    }
                case .delete(let id, let name):
                    do {
                        try await context.eci.delete(id: id)
                    } catch {
                        throw CLIError(code: error.code, message: "\(step.resource): deleting pod \(name): \(error.message)")
                    }
                }
            }
            print("\(step.resource) \(step.verb)")
            step.notes.forEach(warn)
        }
        return 0
    }
}

/// `lanyard get pods|deployments`
enum GetCommand {
    /// The options this command takes.
    static let options = KubectlWords.spec("get", valued: ["output"])

    static let help = """
        Usage: lanyard get pods [NAME...] [-o wide|json|yaml|name] [-n NAMESPACE | -A]
               lanyard get deployments [NAME...] [-o json|yaml|name] [-n NAMESPACE | -A]

        Lists pods (ECI container groups, from DescribeContainerGroups) or Deployments (as their pods record them).
        Pods: NAME READY STATUS RESTARTS AGE; -o wide adds IP, NODE and ROLE (the RAM role bound at creation);
        -o json and -o yaml print Kubernetes objects that apply reads back unchanged; -o name prints pod/NAME
        lines. Also: pod, po, deployment, deploy.
        """

    static func run(_ words: [String], environment: [String: String]) async throws(CLIError) -> Int32 {
        let arguments = try Arguments(words, spec: options)
        if arguments.wantsHelp {
            print(help)
            return 0
        }
        var context = PodContext(arguments, environment: environment)
        let output = context.arguments.take("output") ?? ""
        guard let word = context.arguments.positional.first, let kind = ResourceReference.kind(word) else {
            throw .usage(
                context.arguments.positional.isEmpty
                    ? "missing resource type: lanyard get pods|deployments"
                    : "unknown resource type \"\(context.arguments.positional[0])\" (pods or deployments)")
        }
        let names = Array(context.arguments.positional.dropFirst())
        if context.allNamespaces && !names.isEmpty {
            throw .usage("a resource cannot be retrieved by name across all namespaces: drop -A or give -n NAMESPACE")
        }
        let formats = kind == "pod" ? ["", "wide", "json", "yaml", "name"] : ["", "json", "yaml", "name"]
        guard formats.contains(output) else {
            throw .usage("-o \(output): use \(formats.dropFirst().joined(separator: ", ")) for \(kind)s")
        }
        let now = Date()
        var groups = try await context.eci.groups(context.namespaceFilter)
        if !context.allNamespaces { groups = groups.filter { $0.namespace == context.namespace } }
        let scope = context.allNamespaces ? "" : " in \(context.namespace) namespace"
        if kind == "pod" {
            for name in names where !groups.contains(where: { $0.ContainerGroupName == name }) {
                throw CLIError(code: "NotFound", message: "pods \"\(name)\" not found\(scope)")
            }
            if !names.isEmpty { groups = names.compactMap { name in groups.first { $0.ContainerGroupName == name } } }
            switch output {
            case "json", "yaml":
                let objects = groups.map(PodView.kubernetesObject)
                try printObject(names.count == 1 ? objects[0] : ["apiVersion": "v1", "kind": "List", "items": objects], as: output)
            case "name":
                groups.forEach { print("pod/\($0.ContainerGroupName)") }
            default:
                guard !groups.isEmpty else {
                    warn("No resources found\(scope).")
                    return 0
                }
                let rows = groups.map { PodView.row($0, now: now, wide: output == "wide", allNamespaces: context.allNamespaces) }
                print(TextTable(header: PodView.header(wide: output == "wide", allNamespaces: context.allNamespaces), rows: rows).render(), terminator: "")
            }
        } else {
            var summaries = DeploymentSummary.summaries(groups)
            for name in names where !summaries.contains(where: { $0.name == name }) {
                throw CLIError(code: "NotFound", message: "deployments.apps \"\(name)\" not found\(scope)")
            }
            if !names.isEmpty { summaries = names.compactMap { name in summaries.first { $0.name == name } } }
            switch output {
            case "json", "yaml":
                let objects = summaries.map(\.kubernetesObject)
                try printObject(names.count == 1 ? objects[0] : ["apiVersion": "v1", "kind": "List", "items": objects], as: output)
            case "name":
                summaries.forEach { print("deployment.apps/\($0.name)") }
            default:
                guard !summaries.isEmpty else {
                    warn("No resources found\(scope).")
                    return 0
                }
                let rows = summaries.map { $0.row(now: now, allNamespaces: context.allNamespaces) }
                print(TextTable(header: DeploymentSummary.header(allNamespaces: context.allNamespaces), rows: rows).render(), terminator: "")
            }
        }
        return 0
    }
}

/// `lanyard describe pod|deployment NAME...`
enum DescribeCommand {
    /// The options this command takes.
    static let options = KubectlWords.spec("describe")

    static let help = """
        Usage: lanyard describe pod NAME... | deployment NAME... | TYPE/NAME... [-n NAMESPACE]

        Shows a pod: labels, annotations, status, the RAM role bound at creation with its ARN and when the pod's
        current credentials expire, its containers and its events.
        Shows a Deployment as its pods record it (ECI has no Deployment object): the selector Lanyard owns its
        pods by, replicas (desired, up to date, ready), the current template hash, the RAM role its template asks
        for, the template's labels, annotations and containers, and each pod with its hash and role.
        """

    static func run(_ words: [String], environment: [String: String]) async throws(CLIError) -> Int32 {
        let arguments = try Arguments(words, spec: options)
        if arguments.wantsHelp {
            print(help)
            return 0
        }
        let references = try references(arguments.positional, command: "describe")
        let context = PodContext(arguments, environment: environment)
        var printed = false
        var failed = false
        for reference in references {
            do throws(CLIError) {
                let text: String
                switch reference {
                case .pod(let name):
                    text = PodView.describe(try await context.eci.pod(named: name, namespace: context.namespace), now: Date())
                case .deployment(let name):
                    let pods = try await context.eci.deploymentPods(name, namespace: context.namespace)
                    guard let view = DeploymentView.describe(pods, now: Date()) else {
                        throw CLIError(
                            code: "NotFound", message: "deployments.apps \"\(name)\" not found in namespace \(context.namespace)")
                    }
                    text = view
                }
                print((printed ? "\n" : "") + text, terminator: "")
                printed = true
            } catch {
                // Like kubectl: describe what exists, report what does not; the exit status tells.
                warn("lanyard: \(error.message)")
                failed = true
            }
        }
        return failed ? 1 : 0
    }
}

/// `lanyard logs POD [-c CONTAINER] [--tail N]`
enum LogsCommand {
    /// The options this command takes.
    static let options = KubectlWords.spec("logs", valued: ["container", "tail"])

    static let help = """
        Usage: lanyard logs POD|deploy/NAME [-c CONTAINER] [--tail N] [-n NAMESPACE]

        Prints a container's output (DescribeContainerLog): the first container unless -c names one; with --tail,
        only the last N lines.
        """

    static func run(_ words: [String], environment: [String: String]) async throws(CLIError) -> Int32 {
        let arguments = try Arguments(words, spec: options)
        if arguments.wantsHelp {
            print(help)
            return 0
        }
        var context = PodContext(arguments, environment: environment)
        let container = context.arguments.take("container")
        let tailText = context.arguments.take("tail")
        var tail: Int?
        if let tailText, tailText != "-1" {
            guard let value = Int(tailText), value >= 0 else { throw .usage("--tail \(tailText): expected a number of lines") }
            tail = value
        }
        guard context.arguments.positional.count == 1 else { throw .usage("usage: lanyard logs POD [-c CONTAINER] [--tail N]") }
        let group = try await ResourceReference(parsing: context.arguments.positional[0]).resolve(context)
        if container == nil { noteDefaultedContainer(group) }
        let content = try await context.eci.logs(id: group.ContainerGroupId, container: container, tail: tail)
        FileHandle.standardOutput.write(Data(content.utf8))
        return 0
    }
}

/// `lanyard exec POD [-c CONTAINER] [-i] -- CMD...`
enum ExecCommand {
    /// The options this command takes.
    static let options = KubectlWords.spec("exec", valued: ["container", "timeout"], flags: ["stdin", "tty"])

    static let help = """
        Usage: lanyard exec POD|deploy/NAME [-c CONTAINER] [-i] [--timeout SECONDS] [-n NAMESPACE] -- COMMAND [ARG...]

        Runs COMMAND inside the pod through the ECI API (ExecContainerCommand, synchronous): the server runs it
        in the pod's namespaces; nothing runs on this machine. Prints its stdout and stderr (byte for byte) once it
        has ended and exits with its exit code. -i sends all of this program's stdin (UTF-8 text) to the command.
        deploy/NAME picks the Deployment's first running pod. There is no TTY (-t).

        Limits: the server keeps the first 16 MiB of each of stdout and stderr; when it cut either, this prints
        what arrived, says so on stderr and exits 1 (or the command's non-zero code). The server kills the command
        (SIGKILL) after --timeout seconds (default 600, at most 86400); this then says so and exits 124. Stopping
        this program (Ctrl-C) stops the command too.
        """

    static func run(_ words: [String], environment: [String: String]) async throws(CLIError) -> Int32 {
        let arguments = try Arguments(words, spec: options)
        if arguments.wantsHelp {
            print(help)
            return 0
        }
        var context = PodContext(arguments, environment: environment)
        let container = context.arguments.take("container")
        let sendStdin = context.arguments.takeFlag("stdin")
        var timeout: Int?
        if let text = context.arguments.take("timeout") {
            guard let seconds = Int(text), (1...86_400).contains(seconds) else {
                throw .usage("--timeout \(text): expected whole seconds, 1..86400")
            }
            timeout = seconds
        }
        if context.arguments.takeFlag("tty") {
            throw .usage("-t: no TTY; commands run synchronously through ExecContainerCommand (use -i for stdin)")
        }
        let positional = context.arguments.positional
        guard positional.count >= 2 else { throw .usage("usage: lanyard exec POD [-c CONTAINER] [-i] -- COMMAND [ARG...]") }
        let reference = try ResourceReference(parsing: positional[0])
        var input: String?
        if sendStdin {
            guard let text = String(data: FileHandle.standardInput.readDataToEndOfFile(), encoding: .utf8) else {
                throw CLIError(code: "InvalidStdin", message: "stdin is not UTF-8 text; ExecContainerCommand carries text only")
            }
            input = text
        }
        let group = try await reference.resolve(context)
        if container == nil { noteDefaultedContainer(group) }
        let result = try await context.eci.exec(
            id: group.ContainerGroupId, container: container, command: Array(positional.dropFirst()), stdin: input,
            timeout: timeout)
        FileHandle.standardOutput.write(result.stdout)
        FileHandle.standardError.write(result.stderr)
        return finish(result, timeout: timeout)
    }

    /// The exit status for `result`, after saying on stderr what the server cut or stopped.
    static func finish(_ result: ECIClient.ExecResult, timeout: Int?) -> Int32 {
        if result.timedOut {
            let limit = timeout.map { "\($0) seconds" } ?? "\(ECIService.defaultExecTimeout) seconds (the default)"
            FileHandle.standardError.write(
                Data("lanyard: exec: the command was still running after \(limit) and was killed (--timeout)\n".utf8))
            return 124
        }
        if result.truncated {
            FileHandle.standardError.write(
                Data("lanyard: exec: output truncated: the server keeps the first 16 MiB of stdout and of stderr\n".utf8))
            return result.exitCode == 0 ? 1 : result.exitCode
        }
        return result.exitCode
    }
}

/// `lanyard delete pod NAME | deployment NAME | -f FILE`
enum DeleteCommand {
    /// The options this command takes.
    static let options = KubectlWords.spec("delete", valued: ["filename"])

    static let help = """
        Usage: lanyard delete pod NAME... | deployment NAME... | TYPE/NAME... | -f FILE|- [-n NAMESPACE]

        Deletes pods (DeleteContainerGroup), or all pods of a Deployment, or every object a manifest file names.
        """

    static func run(_ words: [String], environment: [String: String]) async throws(CLIError) -> Int32 {
        let arguments = try Arguments(words, spec: options)
        if arguments.wantsHelp {
            print(help)
            return 0
        }
        var context = PodContext(arguments, environment: environment)
        var targets: [(reference: ResourceReference, namespace: String)] = []
        if context.arguments.has("filename") {
            let input = try ManifestInput.read(&context.arguments)
            guard context.arguments.positional.isEmpty else { throw .usage("give either -f FILE or names, not both") }
            targets = input.manifests.objects.map { object in
                let namespace = object.metadata.namespace == "default" ? context.namespace : object.metadata.namespace
                switch object {
                case .pod(let pod): return (.pod(pod.metadata.name), namespace)
                case .deployment(let deployment): return (.deployment(deployment.metadata.name), namespace)
                }
            }
        } else {
            targets = try references(context.arguments.positional, command: "delete").map { ($0, context.namespace) }
        }
        var failed = false
        for target in targets {
            do throws(CLIError) {
                switch target.reference {
                case .pod(let name):
                    let group = try await context.eci.pod(named: name, namespace: target.namespace)
                    try await context.eci.delete(id: group.ContainerGroupId)
                    print("pod \"\(name)\" deleted")
                case .deployment(let name):
                    let pods = try await context.eci.deploymentPods(name, namespace: target.namespace)
                    guard !pods.isEmpty else {
                        throw CLIError(code: "NotFound", message: "deployments.apps \"\(name)\" not found in namespace \(target.namespace)")
                    }
                    for pod in pods { try await context.eci.delete(id: pod.ContainerGroupId) }
                    print("deployment.apps \"\(name)\" deleted")
                }
            } catch {
                // Like kubectl: report each failure and go on with the rest; the exit status tells.
                warn("lanyard: \(error.message)")
                failed = true
            }
        }
        return failed ? 1 : 0
    }
}

/// `lanyard annotate pod NAME k=v [k2=v2 ...] [k3-] [--overwrite]`
enum AnnotateCommand {
    /// The options this command takes.
    static let options = KubectlWords.spec("annotate", flags: ["overwrite"])

    static let help = """
        Usage: lanyard annotate pod NAME KEY=VALUE... [KEY-...] [--overwrite] [-n NAMESPACE]

        Stores annotations on a pod (UpdateContainerGroup); KEY- removes one; changing an existing value needs
        --overwrite. Annotations are read only when a pod is created: changing k8s.aliyun.com/eci-ram-role-name on
        a running pod does not change its RAM role (delete and re-create the pod for that).
        """

    static func run(_ words: [String], environment: [String: String]) async throws(CLIError) -> Int32 {
        let arguments = try Arguments(words, spec: options)
        if arguments.wantsHelp {
            print(help)
            return 0
        }
        var context = PodContext(arguments, environment: environment)
        let overwrite = context.arguments.takeFlag("overwrite")
        var positional = context.arguments.positional[...]
        guard let first = positional.popFirst() else { throw .usage("usage: lanyard annotate pod NAME KEY=VALUE...") }
        let reference: ResourceReference
        if first.contains("/") {
            reference = try ResourceReference(parsing: first)
        } else {
            guard ResourceReference.kind(first) == "pod", let name = positional.popFirst() else {
                throw .usage("usage: lanyard annotate pod NAME KEY=VALUE... (only pods can be annotated)")
            }
            reference = .pod(name)
        }
        guard case .pod(let name) = reference else { throw .usage("only pods can be annotated") }
        let changes = try AnnotationEdits.parse(Array(positional))
        let group = try await context.eci.pod(named: name, namespace: context.namespace)
        if !overwrite {
            let current = group.Annotations ?? [:]
            if let clash = changes.keys.sorted().first(where: { key in
                if let old = current[key], let new = changes[key] ?? nil { return old != new }
                return false
            }) {
                throw CLIError(
                    code: "AnnotationExists",
                    message: "--overwrite is false but annotation '\(clash)' already has a value (\(current[clash]!))")
            }
        }
        let role = try await context.eci.annotate(id: group.ContainerGroupId, changes: changes)
        print("pod/\(name) annotated")
        print(
            "Annotations are read only when a pod is created: the RAM role in effect is unchanged: \(role ?? "(none)")"
                + (changes.keys.contains(PodTemplate.ramRoleAnnotation)
                    ? " (the new \(PodTemplate.ramRoleAnnotation) takes effect only for a pod created with it)" : ""))
        return 0
    }
}

/// `KEY=VALUE` and `KEY-` words of `annotate`.
enum AnnotationEdits {
    /// The changes the words ask for (nil removes the key).
    static func parse(_ words: [String]) throws(CLIError) -> [String: String?] {
        guard !words.isEmpty else { throw .usage("no annotations given: KEY=VALUE or KEY-") }
        var changes: [String: String?] = [:]
        for word in words {
            if let equals = word.firstIndex(of: "=") {
                let key = String(word[..<equals])
                guard !key.isEmpty else { throw .usage("\"\(word)\": empty annotation key") }
                changes[key] = .some(String(word[word.index(after: equals)...]))
            } else if word.hasSuffix("-"), word.count > 1 {
                changes[String(word.dropLast())] = .some(nil)
            } else {
                throw .usage("\"\(word)\": expected KEY=VALUE or KEY-")
            }
        }
        return changes
    }
}

/// `TYPE NAME...` or `TYPE/NAME...` words as references.
func references(_ words: [String], command: String) throws(CLIError) -> [ResourceReference] {
    guard let first = words.first else { throw .usage("usage: lanyard \(command) pod|deployment NAME...") }
    if first.contains("/") { return try words.map { word throws(CLIError) in try ResourceReference(parsing: word) } }
    guard let kind = ResourceReference.kind(first) else {
        throw .usage("unknown resource type \"\(first)\" (pod or deployment)")
    }
    let names = words.dropFirst()
    guard !names.isEmpty else { throw .usage("usage: lanyard \(command) \(first) NAME...") }
    return names.map { kind == "pod" ? .pod($0) : .deployment($0) }
}

/// Says, as kubectl does, which container a command without `-c` picked when the pod has several.
func noteDefaultedContainer(_ group: ContainerGroup) {
    let names = (group.Containers ?? []).compactMap(\.Name)
    guard names.count > 1 else { return }
    warn("Defaulted container \"\(names[0])\" out of: \(names.joined(separator: ", "))")
}

/// Prints a Kubernetes object as `json` or `yaml`.
func printObject(_ object: [String: Any], as format: String) throws(CLIError) {
    guard format == "yaml" else { return print(prettyJSON(object)) }
    do {
        print(try YAMLWriter.document(object), terminator: "")
    } catch {
        throw CLIError(code: error.code, message: error.message)
    }
}

/// Writes one line to stderr.
func warn(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

extension DeploymentSummary {
    /// The Deployment as a Kubernetes `apps/v1` object, for `-o json` and `-o yaml`: metadata, replicas, the pod
    /// template of its newest pods, status counts. Lanyard keeps no selector, so the template's labels stand for
    /// it (a manifest's selector is a subset of them); `apply` reads the object back as the same Deployment.
    var kubernetesObject: [String: Any] {
        var metadata: [String: Any] = ["name": name, "namespace": namespace]
        if let createdAt { metadata["creationTimestamp"] = ECITime.format(createdAt) }
        var templateMetadata: [String: Any] = ["labels": template.labels]
        if !template.annotations.isEmpty { templateMetadata["annotations"] = template.annotations }
        return [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
            "spec": [
                "replicas": desired, "selector": ["matchLabels": template.labels],
                "template": ["metadata": templateMetadata, "spec": PodView.specObject(template.spec)],
            ],
            "status": ["readyReplicas": ready, "updatedReplicas": upToDate, "availableReplicas": available],
        ]
    }
}

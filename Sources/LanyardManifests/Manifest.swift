/// Why a manifest was refused: a code, a message that names the field, and where in the input it is.
public struct ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `MalformedYAML`, `MissingField`, `InvalidFieldType`, `InvalidValue`, `UnsupportedKind`, `UnknownField`,
    /// `UnsupportedField`.
    public let code: String
    /// Human-readable explanation naming the object and field.
    public let message: String
    /// 1-based line of the offending node (0 when not tied to a position).
    public let line: Int
    /// 1-based column of the offending node (0 when not tied to a position).
    public let column: Int

    /// Creates an error.
    public init(code: String, message: String, line: Int, column: Int) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    /// `line L, column C: message` (the form the CLI prints).
    public var description: String { "line \(line), column \(column): \(message)" }
}

/// Something accepted but worth telling the user, e.g. a role annotation in a place that assigns no role.
public struct ManifestWarning: Sendable, Hashable {
    /// Machine-readable kind, e.g. `RamRoleAnnotationIgnored`.
    public let code: String
    /// Human-readable explanation.
    public let message: String
    /// 1-based line of the node the warning is about.
    public let line: Int
    /// 1-based column of the node the warning is about.
    public let column: Int
}

/// Kubernetes object metadata (the subset Lanyard uses).
public struct ObjectMetadata: Sendable, Hashable {
    /// `metadata.name`.
    public var name: String
    /// `metadata.namespace`, `default` when absent.
    public var namespace: String
    /// `metadata.labels`.
    public var labels: [String: String]
    /// `metadata.annotations`.
    public var annotations: [String: String]

    /// Creates metadata.
    public init(name: String, namespace: String = "default", labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

/// One environment variable of a container (`env[].name` / `env[].value`).
public struct EnvVar: Sendable, Hashable, Codable {
    /// Variable name.
    public var name: String
    /// Variable value (empty when the manifest gives none).
    public var value: String

    /// Creates a variable.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A container: a process started from the host's filesystem (images are recorded, not pulled).
public struct ContainerSpec: Sendable, Hashable, Codable {
    /// Container name (DNS-1123 label).
    public var name: String
    /// Image reference, kept for display.
    public var image: String
    /// `command` (the entrypoint).
    public var command: [String]
    /// `args`.
    public var args: [String]
    /// `env`, in manifest order.
    public var env: [EnvVar]
    /// `workingDir`, if set.
    public var workingDir: String?

    /// Creates a container spec.
    public init(name: String, image: String, command: [String] = [], args: [String] = [], env: [EnvVar] = [], workingDir: String? = nil) {
        self.name = name
        self.image = image
        self.command = command
        self.args = args
        self.env = env
        self.workingDir = workingDir
    }
}

extension ContainerSpec {
    /// Longest single string of a process's command line or environment (`NAME=value`), in bytes: Linux's
    /// `MAX_ARG_STRLEN` less its terminating NUL.
    public static let maximumStringBytes = 131_071
    /// Most bytes of command, args and environment together, well inside Linux's `ARG_MAX` (a quarter of the
    /// 8 MiB stack) with room for what the sandbox adds.
    public static let maximumProcessBytes = 1 << 20

    /// Why this container's process could not be started with its command, args and env, or nil if it can:
    /// `execve` refuses such a process ("Argument list too long") only once the pod is already created.
    public var processSizeProblem: String? {
        let strings = command + args + env.map { "\($0.name)=\($0.value)" }
        if let long = strings.first(where: { $0.utf8.count > Self.maximumStringBytes }) {
            let what = env.contains { "\($0.name)=\($0.value)" == long } ? "an env entry" : "a command or args string"
            return "container \(name): \(what) of \(long.utf8.count) bytes is longer than \(Self.maximumStringBytes)"
        }
        let total = strings.reduce(0) { $0 + $1.utf8.count + 1 }
        guard total <= Self.maximumProcessBytes else {
            return "container \(name): command, args and env take \(total) bytes, more than \(Self.maximumProcessBytes)"
        }
        return nil
    }
}

/// Pod restart policy.
public enum RestartPolicy: String, Sendable, Hashable, CaseIterable, Codable {
    case always = "Always", onFailure = "OnFailure", never = "Never"
}

/// `spec` of a pod.
public struct PodSpec: Sendable, Hashable, Codable {
    /// Containers, in manifest order (at least one).
    public var containers: [ContainerSpec]
    /// `restartPolicy`, `Always` when absent.
    public var restartPolicy: RestartPolicy

    /// Creates a pod spec.
    public init(containers: [ContainerSpec], restartPolicy: RestartPolicy = .always) {
        self.containers = containers
        self.restartPolicy = restartPolicy
    }
}

/// What a pod is made from: its labels and annotations and its spec (a Pod's own, or a Deployment's template).
public struct PodTemplate: Sendable, Hashable, Codable {
    /// The annotation that binds a RAM role to an ECI pod. Read only from the pod's own metadata.
    public static let ramRoleAnnotation = "k8s.aliyun.com/eci-ram-role-name"

    /// Pod labels.
    public var labels: [String: String]
    /// Pod annotations.
    public var annotations: [String: String]
    /// Pod spec.
    public var spec: PodSpec

    /// Creates a template.
    public init(labels: [String: String] = [:], annotations: [String: String] = [:], spec: PodSpec) {
        self.labels = labels
        self.annotations = annotations
        self.spec = spec
    }

    /// The RAM role the pod asks for (its own `k8s.aliyun.com/eci-ram-role-name` annotation), if any.
    public var ramRoleName: String? {
        guard let value = annotations[Self.ramRoleAnnotation], !value.isEmpty else { return nil }
        return value
    }
}

/// `kind: Pod`.
public struct PodManifest: Sendable, Hashable {
    /// The pod's metadata.
    public var metadata: ObjectMetadata
    /// The pod's spec.
    public var spec: PodSpec

    /// Creates a pod manifest.
    public init(metadata: ObjectMetadata, spec: PodSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    /// The pod as a template (its own labels, annotations and spec).
    public var template: PodTemplate { PodTemplate(labels: metadata.labels, annotations: metadata.annotations, spec: spec) }
}

/// `kind: Deployment` (apps/v1).
public struct DeploymentManifest: Sendable, Hashable {
    /// The Deployment's own metadata (its annotations do not reach the pods).
    public var metadata: ObjectMetadata
    /// `spec.replicas`, 1 when absent.
    public var replicas: Int
    /// `spec.selector.matchLabels`; always a subset of the template's labels.
    public var selector: [String: String]
    /// `spec.template`.
    public var template: PodTemplate

    /// Creates a deployment manifest.
    public init(metadata: ObjectMetadata, replicas: Int, selector: [String: String], template: PodTemplate) {
        self.metadata = metadata
        self.replicas = replicas
        self.selector = selector
        self.template = template
    }
}

/// One object of a manifest stream.
public enum ManifestObject: Sendable, Hashable {
    case pod(PodManifest)
    case deployment(DeploymentManifest)

    /// `Pod` or `Deployment`.
    public var kind: String {
        switch self {
        case .pod: "Pod"
        case .deployment: "Deployment"
        }
    }

    /// The object's metadata.
    public var metadata: ObjectMetadata {
        switch self {
        case .pod(let pod): pod.metadata
        case .deployment(let deployment): deployment.metadata
        }
    }
}

/// Everything a manifest stream holds, all-or-nothing.
public struct ParsedManifests: Sendable, Hashable {
    /// Objects in stream order (empty documents skipped).
    public var objects: [ManifestObject]
    /// Warnings found while reading (the objects are still valid).
    public var warnings: [ManifestWarning]
}

/// Reads Kubernetes manifests (multi-document YAML; kinds Pod and Deployment) into value types.
/// A stream is accepted whole or refused whole: any error means nothing is returned.
public enum ManifestParser {
    /// Parses UTF-8 text.
    public static func parse(_ text: String) throws(ManifestError) -> ParsedManifests {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses raw bytes (as read from a file or stdin).
    public static func parse(bytes: [UInt8]) throws(ManifestError) -> ParsedManifests {
        var reader = ObjectReader()
        var objects: [ManifestObject] = []
        for document in try YAMLReader.documents(bytes) {
            if case .scalar(let text, let quoted, _) = document.value, !quoted, ScalarKind(plain: text) == .null { continue }
            objects += try reader.objects(document)
        }
        return ParsedManifests(objects: objects, warnings: reader.warnings)
    }
}

/// How a plain scalar resolves: YAML 1.2 core schema plus YAML 1.1's yes/no/on/off booleans, which Kubernetes'
/// YAML reader also treats as booleans (single-letter y/n are left as strings).
enum ScalarKind: Equatable {
    case null, bool, int(Int?), float, string

    init(plain text: String) {
        switch text {
        case "", "~", "null", "Null", "NULL":
            self = .null
        case "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON",
            "off", "Off", "OFF":
            self = .bool
        default:
            if let value = ScalarKind.integer(text) {
                self = .int(value)  // nil when out of range
            } else if ScalarKind.isFloat(text) {
                self = .float
            } else {
                self = .string
            }
        }
    }

    init(node text: String, quoted: Bool, tag: String?) {
        switch tag {
        case "tag:yaml.org,2002:str", "!": self = .string
        case "tag:yaml.org,2002:int": self = .int(ScalarKind.integer(text) ?? nil)
        case "tag:yaml.org,2002:bool": self = .bool
        case "tag:yaml.org,2002:null": self = .null
        case "tag:yaml.org,2002:float": self = .float
        default: self = quoted ? .string : ScalarKind(plain: text)
        }
    }

    var name: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .float: "number"
        case .string: "string"
        }
    }

    /// Decimal, `0x`/`0o`/`0b` integers with optional sign and `_` separators: nil if not an integer, `.some(nil)`
    /// if an integer out of `Int`'s range.
    private static func integer(_ text: String) -> Int?? {
        var digits = Substring(text)
        var negative = false
        if let first = digits.first, first == "-" || first == "+" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        for (prefix, base) in [("0x", 16), ("0o", 8), ("0b", 2)] where digits.hasPrefix(prefix) {
            radix = base
            digits = digits.dropFirst(2)
        }
        let cleaned = digits.filter { $0 != "_" }
        guard !cleaned.isEmpty, cleaned.allSatisfy({ $0.hexDigitValue.map { $0 < radix } ?? false }) else { return nil }
        guard let magnitude = Int(cleaned, radix: radix) else { return .some(nil) }
        return negative ? -magnitude : magnitude
    }

    private static func isFloat(_ text: String) -> Bool {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
            return true
        default:
            var sawDigit = false
            var sawDot = false
            var index = text.startIndex
            if index < text.endIndex, text[index] == "-" || text[index] == "+" { index = text.index(after: index) }
            while index < text.endIndex {
                let c = text[index]
                if c.isASCII && c.isNumber {
                    sawDigit = true
                } else if c == "." && !sawDot {
                    sawDot = true
                } else if (c == "e" || c == "E") && sawDigit {
                    let exponent = text[text.index(after: index)...]
                    let body = exponent.first == "-" || exponent.first == "+" ? exponent.dropFirst() : exponent
                    return !body.isEmpty && body.allSatisfy { $0.isASCII && $0.isNumber }
                } else {
                    return false
                }
                index = text.index(after: index)
            }
            return sawDigit && sawDot
        }
    }
}

/// Turns document nodes into manifest objects, collecting warnings.
struct ObjectReader {
    var warnings: [ManifestWarning] = []

    private static let dns1123Label = 63
    /// Longest Deployment name: a DNS-1123 subdomain's length; its pods' names are cut to a label.
    private static let deploymentNameLimit = 253

    /// The objects of one document: itself, or the items of a `v1` `List` (what `get -o yaml|json` prints for
    /// several objects).
    mutating func objects(_ node: YAMLNode) throws(ManifestError) -> [ManifestObject] {
        let root = try Fields(node, path: "")
        guard (try root.string("kind")) == "List", (try root.string("apiVersion")) == "v1" else { return [try object(node)] }
        try root.refuseUnknown(["apiVersion", "kind", "metadata", "items"], in: "List")
        var objects: [ManifestObject] = []
        for item in try root.list("items")?.items ?? [] {
            if case .mapping = item.value, (try Fields(item, path: "").string("kind")) == "List" {
                throw Fields.invalid(item, "a List inside a List is not supported")
            }
            objects.append(try object(item))
        }
        return objects
    }

    mutating func object(_ node: YAMLNode) throws(ManifestError) -> ManifestObject {
        let root = try Fields(node, path: "")
        try root.refuseMisspelt("kind", in: "the document")
        try root.refuseMisspelt("apiVersion", in: "the document")
        let kindNode = try root.required("kind", in: "the document")
        let kind = try root.requiredString("kind", in: "the document")
        let apiVersion = try root.requiredString("apiVersion", in: "the document")
        switch (kind, apiVersion) {
        case ("Pod", "v1"):
            return .pod(try pod(root))
        case ("Deployment", "apps/v1"):
            return .deployment(try deployment(root))
        case ("Pod", _), ("Deployment", _):
            throw ManifestError(
                code: "UnsupportedKind", message: "no matches for kind \"\(kind)\" in version \"\(apiVersion)\"",
                line: kindNode.location.line, column: kindNode.location.column)
        default:
            throw ManifestError(
                code: "UnsupportedKind", message: "kind \"\(kind)\" is not supported (Pod and Deployment are)",
                line: kindNode.location.line, column: kindNode.location.column)
        }
    }

    private func pod(_ root: Fields) throws(ManifestError) -> PodManifest {
        try root.refuseUnknown(KubernetesFields.object, in: "Pod")
        let metadata = try objectMetadata(try root.requiredFields("metadata", in: "Pod"), kind: "Pod")
        let what = "Pod \"\(metadata.name)\""
        let spec = try podSpec(try root.requiredFields("spec", in: what), object: what, allowedPolicies: RestartPolicy.allCases)
        return PodManifest(metadata: metadata, spec: spec)
    }

    private mutating func deployment(_ root: Fields) throws(ManifestError) -> DeploymentManifest {
        try root.refuseUnknown(KubernetesFields.object, in: "Deployment")
        let metadataFields = try root.requiredFields("metadata", in: "Deployment")
        let metadata = try objectMetadata(metadataFields, kind: "Deployment")
        let what = "Deployment \"\(metadata.name)\""
        let spec = try root.requiredFields("spec", in: what)
        try spec.refuseUnknown(KubernetesFields.deploymentSpec, in: what)
        if let strategy = try spec.fields("strategy") {
            try strategy.refuseUnknown(KubernetesFields.deploymentStrategy, in: what)
            try strategy.fields("rollingUpdate")?.refuseUnknown(KubernetesFields.rollingUpdate, in: what)
        }

        var replicas = 1
        if let node = spec["replicas"] {
            guard let value = try spec.int("replicas") else { throw Fields.missing("replicas", at: node, in: what) }
            guard value >= 0 else { throw Fields.invalid(node, "\(what): spec.replicas must be 0 or more, got \(value)") }
            replicas = value
        }

        let selectorFields = try spec.requiredFields("selector", in: what)
        try selectorFields.refuseUnknown(KubernetesFields.labelSelector, in: what)
        if let expressions = selectorFields["matchExpressions"] {
            throw ManifestError(
                code: "UnsupportedField", message: "\(what): spec.selector.matchExpressions is not supported; use matchLabels",
                line: expressions.location.line, column: expressions.location.column)
        }
        let selector = try selectorFields.stringMap("matchLabels") ?? [:]
        guard !selector.isEmpty else {
            throw Fields.invalid(selectorFields.node, "\(what): spec.selector.matchLabels must name at least one label")
        }

        let templateFields = try spec.requiredFields("template", in: what)
        try templateFields.refuseUnknown(KubernetesFields.podTemplate, in: what)
        let templateMetadata = try templateFields.fields("metadata")
        try templateMetadata?.refuseUnknown(KubernetesFields.objectMeta, in: what)
        let labels = try templateMetadata?.stringMap("labels") ?? [:]
        let annotations = try templateMetadata?.stringMap("annotations") ?? [:]
        let podSpec = try self.podSpec(
            try templateFields.requiredFields("spec", in: "\(what) spec.template"), object: what, allowedPolicies: [.always])
        for (key, value) in selector where labels[key] != value {
            throw Fields.invalid(
                selectorFields.node, "\(what): spec.selector does not match template labels (\(key)=\(value) is missing)")
        }

        if metadata.annotations[PodTemplate.ramRoleAnnotation] != nil, let key = metadataFields.annotationKeyNode(PodTemplate.ramRoleAnnotation) {
            warnings.append(
                ManifestWarning(
                    code: "RamRoleAnnotationIgnored",
                    message: "\(what): annotation \(PodTemplate.ramRoleAnnotation) on the Deployment's own metadata assigns no role; "
                        + "put it in spec.template.metadata.annotations",
                    line: key.location.line, column: key.location.column))
        }
        return DeploymentManifest(
            metadata: metadata, replicas: replicas, selector: selector,
            template: PodTemplate(labels: labels, annotations: annotations, spec: podSpec))
    }

    private func objectMetadata(_ fields: Fields, kind: String) throws(ManifestError) -> ObjectMetadata {
        try fields.refuseUnknown(KubernetesFields.objectMeta, in: "\(kind) metadata")
        let name = try fields.requiredString("name", in: "\(kind) metadata")
        // A pod is an ECI container group, whose name is a DNS-1123 label; a Deployment's name starts its pods'
        // names (cut to fit), so it may be longer but has no dots either.
        try Self.checkName(
            name, limit: kind == "Pod" ? Self.dns1123Label : Self.deploymentNameLimit, node: fields["name"]!,
            what: "\(kind) name")
        let namespace = try fields.string("namespace") ?? "default"
        if let node = fields["namespace"] {
            try Self.checkName(namespace, limit: Self.dns1123Label, node: node, what: "\(kind) namespace")
        }
        return ObjectMetadata(
            name: name, namespace: namespace, labels: try fields.stringMap("labels") ?? [:],
            annotations: try fields.stringMap("annotations") ?? [:])
    }

    /// Pod fields whose meaning a Lanyard sandbox cannot give. A pod that asks for one is refused rather than run
    /// without it, where its program would find no volume, no init step's work, or another user than it expects.
    static let unsupportedPodFields = [
        "volumes", "initContainers", "ephemeralContainers", "hostNetwork", "hostPID", "hostIPC", "hostAliases",
        "shareProcessNamespace", "runtimeClassName",
    ]
    /// The same for containers.
    static let unsupportedContainerFields = ["volumeMounts", "volumeDevices", "envFrom", "lifecycle", "stdin", "tty"]

    /// Refuses every field of `names` that is set to something other than false or an empty list or mapping, and
    /// a `securityContext` that asks for more than every pod already gets (uid and gid 65534, a read-only root
    /// file system, no privilege escalation, no capabilities).
    private static func refuseUnsupported(
        _ fields: Fields, _ names: [String], securityContext known: Set<String>, object: String
    ) throws(ManifestError) {
        for name in names {
            guard let node = fields[name], !isUnset(node) else { continue }
            throw ManifestError(
                code: "UnsupportedField", message: "\(object): \(fields.path)\(name) is not supported by Lanyard pods",
                line: node.location.line, column: node.location.column)
        }
        guard let context = try fields.fields("securityContext") else { return }
        try context.refuseUnknown(known, in: object)
        for (key, value) in context.entries {
            let satisfied: Bool
            switch key {
            case "runAsNonRoot": satisfied = isBoolean(value, true)
            case "readOnlyRootFilesystem": satisfied = isBoolean(value, true) || isBoolean(value, false)
            case "runAsUser", "runAsGroup", "fsGroup": satisfied = isInteger(value, 65534)
            case "supplementalGroups": satisfied = isUnset(value)
            case "procMount":
                if case .scalar(let text, _, _) = value.value { satisfied = text == "Default" } else { satisfied = false }
            case "allowPrivilegeEscalation", "privileged": satisfied = isBoolean(value, false)
            case "capabilities":
                let capabilities = try Fields(value, path: context.path + key + ".")
                try capabilities.refuseUnknown(KubernetesFields.capabilities, in: object)
                satisfied = capabilities.entries.allSatisfy { $0.key == "drop" || isUnset($0.value) }
            default: satisfied = false
            }
            guard !satisfied else { continue }
            throw ManifestError(
                code: "UnsupportedField",
                message: "\(object): \(context.path)\(key) is not supported (every Lanyard pod runs as nobody (65534) on a "
                    + "read-only root file system, with no capabilities and no privilege escalation; only settings that "
                    + "ask for that are accepted)",
                line: value.location.line, column: value.location.column)
        }
    }

    private static func isUnset(_ node: YAMLNode) -> Bool {
        switch node.value {
        case .sequence(let items): items.isEmpty
        case .mapping(let pairs): pairs.isEmpty
        case .scalar(let text, let quoted, _): isBoolean(node, false) || (quoted && text.isEmpty)
        }
    }

    private static func isInteger(_ node: YAMLNode, _ wanted: Int) -> Bool {
        guard case .scalar(let text, let quoted, let tag) = node.value, case .int(let number) = ScalarKind(node: text, quoted: quoted, tag: tag)
        else { return false }
        return number == wanted
    }

    private static func isBoolean(_ node: YAMLNode, _ wanted: Bool) -> Bool {
        guard case .scalar(let text, let quoted, let tag) = node.value, ScalarKind(node: text, quoted: quoted, tag: tag) == .bool
        else { return false }
        return ["true", "yes", "on"].contains(text.lowercased()) == wanted
    }

    private func podSpec(_ spec: Fields, object: String, allowedPolicies: [RestartPolicy]) throws(ManifestError) -> PodSpec {
        try spec.refuseUnknown(KubernetesFields.podSpec, in: object)
        try Self.refuseUnsupported(
            spec, Self.unsupportedPodFields, securityContext: KubernetesFields.podSecurityContext, object: object)
        if let node = spec["hostUsers"], Self.isBoolean(node, false) {
            throw ManifestError(
                code: "UnsupportedField",
                message: "\(object): \(spec.path)hostUsers: false asks for a user namespace, which Lanyard pods do not have",
                line: node.location.line, column: node.location.column)
        }
        try spec.refuseUnknownEntries("tolerations", KubernetesFields.toleration, in: object)
        try spec.fields("resources")?.refuseUnknown(KubernetesFields.resources, in: object)
        var restartPolicy = RestartPolicy.always
        if let text = try spec.string("restartPolicy") {
            guard let policy = RestartPolicy(rawValue: text), allowedPolicies.contains(policy) else {
                let allowed = allowedPolicies.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw Fields.invalid(spec["restartPolicy"]!, "\(object): restartPolicy \"\(text)\" is not allowed (\(allowed))")
            }
            restartPolicy = policy
        }
        let list = try spec.requiredList("containers", in: object)
        guard !list.items.isEmpty else { throw Fields.invalid(list.node, "\(object): spec.containers must not be empty") }
        var containers: [ContainerSpec] = []
        for (index, item) in list.items.enumerated() {
            let fields = try Fields(item, path: "\(spec.path)containers[\(index)].")
            let what = "\(object) container \(index + 1)"
            try fields.refuseUnknown(KubernetesFields.container, in: what)
            let name = try fields.requiredString("name", in: what)
            try Self.checkName(name, limit: Self.dns1123Label, node: fields["name"]!, what: "container name")
            if containers.contains(where: { $0.name == name }) {
                throw Fields.invalid(fields["name"]!, "\(object): container name \"\(name)\" is used twice")
            }
            let described = "\(object) container \"\(name)\""
            let image = try fields.requiredString("image", in: described)
            try Self.refuseUnsupported(
                fields, Self.unsupportedContainerFields, securityContext: KubernetesFields.securityContext, object: described)
            if let node = fields["restartPolicy"] {
                throw Fields.invalid(
                    node,
                    "\(described): \(fields.path)restartPolicy may only be set on init containers; the pod's "
                        + "spec.restartPolicy decides when its containers restart")
            }
            try fields.fields("resources")?.refuseUnknown(KubernetesFields.resources, in: described)
            try fields.refuseUnknownEntries("ports", KubernetesFields.containerPort, in: described)
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                try fields.fields(probe)?.refuseUnknown(KubernetesFields.probe, in: described)
            }
            var env: [EnvVar] = []
            for (envIndex, envNode) in (try fields.list("env")?.items ?? []).enumerated() {
                let envFields = try Fields(envNode, path: "\(fields.path)env[\(envIndex)].")
                try envFields.refuseUnknown(KubernetesFields.envVar, in: described)
                if let valueFrom = envFields["valueFrom"] {
                    throw ManifestError(
                        code: "UnsupportedField",
                        message: "\(described): \(envFields.path)valueFrom is not supported by Lanyard pods",
                        line: valueFrom.location.line, column: valueFrom.location.column)
                }
                env.append(
                    EnvVar(
                        name: try envFields.requiredString("name", in: "\(described) env entry"),
                        value: try envFields.string("value") ?? ""))
            }
            let container = ContainerSpec(
                name: name, image: image, command: try fields.stringList("command") ?? [],
                args: try fields.stringList("args") ?? [], env: env,
                // Empty means unset in Kubernetes (the image's directory), so it is stored as unset.
                workingDir: try fields.string("workingDir").flatMap { $0.isEmpty ? nil : $0 })
            if let problem = container.processSizeProblem { throw Fields.invalid(item, "\(object) \(problem)") }
            containers.append(container)
        }
        return PodSpec(containers: containers, restartPolicy: restartPolicy)
    }

    /// At most `limit` lower-case alphanumerics and `-`, alphanumeric at both ends (a DNS-1123 label when `limit` is 63).
    private static func checkName(_ name: String, limit: Int, node: YAMLNode, what: String) throws(ManifestError) {
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        let valid =
            !bytes.isEmpty && bytes.count <= limit && alnum(bytes.first!) && alnum(bytes.last!)
            && bytes.allSatisfy { alnum($0) || $0 == 0x2D }
        guard valid else {
            let shown = bytes.count > 64 ? "\(name.prefix(48))…\" (\(bytes.count) bytes)" : "\(name)\""
            throw Fields.invalid(
                node,
                "\(what) \"\(shown) is invalid: at most \(limit) lower-case letters, digits and '-', "
                    + "starting and ending with a letter or digit")
        }
    }
}

/// A YAML mapping read as named fields, with typed accessors that report where a value went wrong.
struct Fields {
    let node: YAMLNode
    let path: String
    private let pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)]

    init(_ node: YAMLNode, path: String) throws(ManifestError) {
        guard case .mapping(let raw) = node.value else {
            throw Fields.typeError(node, field: path.isEmpty ? "document" : String(path.dropLast()), expected: "mapping")
        }
        var pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)] = []
        pairs.reserveCapacity(raw.count)
        for pair in raw {
            guard case .scalar(let key, _, _) = pair.key.value else {
                throw Fields.typeError(pair.key, field: "a key in \(path.isEmpty ? "the document" : String(path.dropLast()))", expected: "string")
            }
            pairs.append((key: key, keyNode: pair.key, value: pair.value))
        }
        self.node = node
        self.path = path
        self.pairs = pairs
    }

    subscript(_ key: String) -> YAMLNode? {
        guard let value = pairs.first(where: { $0.key == key })?.value else { return nil }
        if case .scalar(let text, let quoted, let tag) = value.value, ScalarKind(node: text, quoted: quoted, tag: tag) == .null {
            return nil
        }
        return value
    }

    /// The key node of an entry inside the `annotations` mapping (for pointing warnings at it).
    func annotationKeyNode(_ key: String) -> YAMLNode? {
        guard let annotations = self["annotations"], case .mapping(let raw) = annotations.value else { return nil }
        return raw.first(where: { if case .scalar(let text, _, _) = $0.key.value { text == key } else { false } })?.key
    }

    /// Refuses the first key that is not in `known`, as kubectl's strict validation does, pointing at the key and
    /// naming the field it differs from only in case, if any.
    func refuseUnknown(_ known: Set<String>, in what: String) throws(ManifestError) {
        for pair in pairs where !known.contains(pair.key) {
            throw unknown(pair.key, at: pair.keyNode, near: known.first { $0.lowercased() == pair.key.lowercased() }, in: what)
        }
    }

    /// ``refuseUnknown(_:in:)`` for every entry of the list at `key`.
    func refuseUnknownEntries(_ key: String, _ known: Set<String>, in what: String) throws(ManifestError) {
        for (index, item) in (try list(key)?.items ?? []).enumerated() {
            try Fields(item, path: "\(path)\(key)[\(index)].").refuseUnknown(known, in: what)
        }
    }

    /// Refuses a key that differs from `name` only in case when `name` itself is absent (a required field
    /// misspelt is then named as such, not reported missing).
    func refuseMisspelt(_ name: String, in what: String) throws(ManifestError) {
        guard self[name] == nil, let pair = pairs.first(where: { $0.key != name && $0.key.lowercased() == name.lowercased() })
        else { return }
        throw unknown(pair.key, at: pair.keyNode, near: name, in: what)
    }

    private func unknown(_ key: String, at node: YAMLNode, near: String?, in what: String) -> ManifestError {
        if key == "<<" {
            return ManifestError(
                code: "UnsupportedField", message: "\(what): \(path)<<: YAML merge keys are not supported; write the fields out",
                line: node.location.line, column: node.location.column)
        }
        return ManifestError(
            code: "UnknownField",
            message: "\(what): unknown field \"\(path)\(key.prefix(64))\"" + (near.map { " (did you mean \"\($0)\"?)" } ?? ""),
            line: node.location.line, column: node.location.column)
    }

    /// Every non-null entry, in document order.
    var entries: [(key: String, value: YAMLNode)] { pairs.compactMap { pair in self[pair.key].map { (pair.key, $0) } } }

    func required(_ key: String, in what: String) throws(ManifestError) -> YAMLNode {
        guard let value = self[key] else { throw Fields.missing(path + key, at: node, in: what) }
        return value
    }

    func string(_ key: String) throws(ManifestError) -> String? {
        guard let value = self[key] else { return nil }
        return try Fields.scalarString(value, field: path + key)
    }

    func requiredString(_ key: String, in what: String) throws(ManifestError) -> String {
        let value = try Fields.scalarString(try required(key, in: what), field: path + key)
        guard !value.isEmpty else { throw Fields.missing(path + key, at: self[key]!, in: what) }
        return value
    }

    func int(_ key: String) throws(ManifestError) -> Int? {
        guard let value = self[key] else { return nil }
        guard case .scalar(let text, let quoted, let tag) = value.value,
            case .int(let number) = ScalarKind(node: text, quoted: quoted, tag: tag)
        else { throw Fields.typeError(value, field: path + key, expected: "integer") }
        guard let number else { throw Fields.invalid(value, "\(path + key): \(text.prefix(40)) is out of range") }
        return number
    }

    func fields(_ key: String) throws(ManifestError) -> Fields? {
        guard let value = self[key] else { return nil }
        return try Fields(value, path: path + key + ".")
    }

    func requiredFields(_ key: String, in what: String) throws(ManifestError) -> Fields {
        try Fields(try required(key, in: what), path: path + key + ".")
    }

    func list(_ key: String) throws(ManifestError) -> (node: YAMLNode, items: [YAMLNode])? {
        guard let value = self[key] else { return nil }
        guard case .sequence(let items) = value.value else { throw Fields.typeError(value, field: path + key, expected: "list") }
        return (value, items)
    }

    func requiredList(_ key: String, in what: String) throws(ManifestError) -> (node: YAMLNode, items: [YAMLNode]) {
        guard let list = try list(key) else { throw Fields.missing(path + key, at: node, in: what) }
        return list
    }

    func stringList(_ key: String) throws(ManifestError) -> [String]? {
        guard let list = try list(key) else { return nil }
        var result: [String] = []
        result.reserveCapacity(list.items.count)
        for (index, item) in list.items.enumerated() {
            result.append(try Fields.scalarString(item, field: "\(path)\(key)[\(index)]"))
        }
        return result
    }

    func stringMap(_ key: String) throws(ManifestError) -> [String: String]? {
        guard let fields = try fields(key) else { return nil }
        var result: [String: String] = [:]
        for pair in fields.pairs {
            guard case .scalar(let text, let quoted, let tag) = pair.value.value else {
                throw Fields.typeError(pair.value, field: "\(fields.path)\(pair.key)", expected: "string")
            }
            if ScalarKind(node: text, quoted: quoted, tag: tag) == .null {
                result[pair.key] = ""
            } else {
                result[pair.key] = try Fields.scalarString(pair.value, field: "\(fields.path)\(pair.key)")
            }
        }
        return result
    }

    static func scalarString(_ node: YAMLNode, field: String) throws(ManifestError) -> String {
        guard case .scalar(let text, let quoted, let tag) = node.value else {
            throw typeError(node, field: field, expected: "string")
        }
        let kind = ScalarKind(node: text, quoted: quoted, tag: tag)
        guard kind == .string else {
            throw ManifestError(
                code: "InvalidFieldType", message: "\(field): expected string, got \(kind.name) \(text) (quote it)",
                line: node.location.line, column: node.location.column)
        }
        return text
    }

    static func typeError(_ node: YAMLNode, field: String, expected: String) -> ManifestError {
        let got: String
        switch node.value {
        case .scalar(let text, let quoted, let tag): got = ScalarKind(node: text, quoted: quoted, tag: tag).name
        case .sequence: got = "list"
        case .mapping: got = "mapping"
        }
        return ManifestError(
            code: "InvalidFieldType", message: "\(field): expected \(expected), got \(got)", line: node.location.line,
            column: node.location.column)
    }

    static func missing(_ field: String, at node: YAMLNode, in what: String) -> ManifestError {
        ManifestError(
            code: "MissingField", message: "\(what): missing required field \"\(field)\"", line: node.location.line,
            column: node.location.column)
    }

    static func invalid(_ node: YAMLNode, _ message: String) -> ManifestError {
        ManifestError(code: "InvalidValue", message: message, line: node.location.line, column: node.location.column)
    }
}

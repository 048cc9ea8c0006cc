/// Turns a pod template into the flattened parameters of an ECI `CreateContainerGroup` call (Version 2018-08-08),
/// the way ACK's virtual node does: the role comes from the pod's own annotation.
public enum ContainerGroupRequest {
    /// Parameters for `CreateContainerGroup` (without Action/Version/signature parameters), in a stable order.
    /// Labels become `Tag.N`; annotations travel as the JSON object `Annotations` (a Lanyard extension).
    public static func parameters(
        template: PodTemplate, name: String, namespace: String, regionId: String
    ) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = [
            ("RegionId", regionId), ("ContainerGroupName", name), ("RestartPolicy", template.spec.restartPolicy.rawValue),
        ]
        if let role = template.ramRoleName { result.append(("RamRoleName", role)) }
        if namespace != "default" { result.append(("Namespace", namespace)) }
        for (index, container) in template.spec.containers.enumerated() {
            let prefix = "Container.\(index + 1)."
            result.append((prefix + "Name", container.name))
            result.append((prefix + "Image", container.image))
            for (i, value) in container.command.enumerated() { result.append((prefix + "Command.\(i + 1)", value)) }
            for (i, value) in container.args.enumerated() { result.append((prefix + "Arg.\(i + 1)", value)) }
            for (i, variable) in container.env.enumerated() {
                result.append((prefix + "EnvironmentVar.\(i + 1).Key", variable.name))
                result.append((prefix + "EnvironmentVar.\(i + 1).Value", variable.value))
            }
            if let dir = container.workingDir { result.append((prefix + "WorkingDir", dir)) }
        }
        for (index, key) in template.labels.keys.sorted().enumerated() {
            result.append(("Tag.\(index + 1).Key", key))
            result.append(("Tag.\(index + 1).Value", template.labels[key]!))
        }
        if !template.annotations.isEmpty {
            result.append(("Annotations", JSONText.object(template.annotations)))
        }
        return result
    }
}

extension DeploymentManifest {
    /// A short stable hash of the pod template (like Kubernetes' `pod-template-hash` label): equal templates give
    /// equal hashes, so re-applying an unchanged Deployment keeps its pods and a changed one replaces them.
    public var templateHash: String { template.hash }
}

extension PodTemplate {
    /// A short stable hash of the template; see ``DeploymentManifest/templateHash``.
    public var hash: String {
        let template = self
        var hash = FNV1a()
        func field(_ s: String) {
            hash.add(s)
            hash.add("\u{0}")
        }
        for key in template.labels.keys.sorted() { field("l:\(key)=\(template.labels[key]!)") }
        for key in template.annotations.keys.sorted() { field("a:\(key)=\(template.annotations[key]!)") }
        field("r:\(template.spec.restartPolicy.rawValue)")
        for container in template.spec.containers {
            field("c:\(container.name)")
            field("i:\(container.image)")
            for value in container.command { field("cmd:\(value)") }
            for value in container.args { field("arg:\(value)") }
            for variable in container.env { field("env:\(variable.name)=\(variable.value)") }
            field("wd:\(container.workingDir ?? "\u{1}")")
        }
        // Kubernetes-style "safe" alphabet (no vowels, no look-alikes), 10 characters.
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789".utf8)
        var value = hash.value
        var out: [UInt8] = []
        for _ in 0..<10 {
            out.append(alphabet[Int(value % UInt64(alphabet.count))])
            value /= UInt64(alphabet.count)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// 64-bit FNV-1a.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ s: String) {
        for byte in s.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
    }
}

/// Minimal JSON text for a flat string map (keys sorted), so this module needs no Foundation encoder.
enum JSONText {
    static func object(_ map: [String: String]) -> String {
        var out = "{"
        for (index, key) in map.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            out += quoted(key) + ":" + quoted(map[key]!)
        }
        return out + "}"
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

import Foundation
import LanyardManifests

/// One container group (pod) as `DescribeContainerGroups` returns it. Every field is optional so that a reply
/// from Alibaba Cloud's own ECI (which has no `Namespace` or `Annotations`) decodes too.
struct ContainerGroup: Decodable, Sendable, Equatable {
    /// A `Key`/`Value` pair (tags, environment variables).
    struct Pair: Decodable, Sendable, Equatable {
        var Key: String?
        var Value: String?
    }

    /// A container's state: `Waiting`, `Running` or `Terminated`, with times and exit code.
    struct State: Decodable, Sendable, Equatable {
        var State: String?
        var StartTime: String?
        var FinishTime: String?
        var ExitCode: Int?
        var Reason: String?
    }

    /// One container.
    struct Container: Decodable, Sendable, Equatable {
        var Name: String?
        var Image: String?
        var Commands: [String]?
        var Args: [String]?
        var WorkingDir: String?
        var EnvironmentVars: [Pair]?
        var Ready: Bool?
        var RestartCount: Int?
        var CurrentState: State?
    }

    /// One event.
    struct Event: Decodable, Sendable, Equatable {
        var Count: Int?
        var FirstTimestamp: String?
        var LastTimestamp: String?
        var Message: String?
        var Reason: String?
        var `Type`: String?
    }

    var ContainerGroupId: String
    var ContainerGroupName: String
    var Status: String?
    var Namespace: String?
    var ZoneId: String?
    var CreationTime: String?
    var IntranetIp: String?
    var RestartPolicy: String?
    var RamRoleName: String?
    var RamRoleArn: String?
    var CredentialExpiration: String?
    var Tags: [Pair]?
    var Annotations: [String: String]?
    var Events: [Event]?
    var Containers: [Container]?

    /// The pod's namespace (`default` when the server names none).
    var namespace: String { Namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default" }

    /// Tags as a label map.
    var labels: [String: String] {
        var result: [String: String] = [:]
        for tag in Tags ?? [] {
            if let key = tag.Key { result[key] = tag.Value ?? "" }
        }
        return result
    }

    /// The role bound at creation, if any.
    var roleName: String? { RamRoleName.flatMap { $0.isEmpty ? nil : $0 } }

    /// When the group was created.
    var createdAt: Date? { CreationTime.flatMap(ECITime.parse) }

    /// Whether the group is running.
    var isRunning: Bool { Status == "Running" }

    /// The pod template this group was created from, as far as the reply tells (for comparing with a manifest).
    var template: PodTemplate {
        let containers = (Containers ?? []).map { container in
            ContainerSpec(
                name: container.Name ?? "", image: container.Image ?? "", command: container.Commands ?? [],
                args: container.Args ?? [],
                env: (container.EnvironmentVars ?? []).map { EnvVar(name: $0.Key ?? "", value: $0.Value ?? "") },
                workingDir: container.WorkingDir.flatMap { $0.isEmpty ? nil : $0 })
        }
        return PodTemplate(
            labels: labels, annotations: Annotations ?? [:],
            spec: PodSpec(
                containers: containers,
                restartPolicy: RestartPolicy.flatMap(LanyardManifests.RestartPolicy.init(rawValue:)) ?? .always))
    }

    /// Decodes the `ContainerGroups` array of a `DescribeContainerGroups` reply.
    static func page(from reply: Any) throws(CLIError) -> (groups: [ContainerGroup], nextToken: String?) {
        struct Reply: Decodable {
            var ContainerGroups: [ContainerGroup]?
            var NextToken: String?
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: reply)
            let decoded = try JSONDecoder().decode(Reply.self, from: data)
            return (decoded.ContainerGroups ?? [], decoded.NextToken.flatMap { $0.isEmpty ? nil : $0 })
        } catch {
            throw CLIError(code: "InvalidResponse", message: "unexpected DescribeContainerGroups reply: \(error)")
        }
    }
}

/// ECI timestamps: `2024-05-01T12:00:00Z` (fractional seconds tolerated).
enum ECITime {
    /// Parses a UTC timestamp; nil when it is not one.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        components.hour = hour
        components.minute = minute
        components.second = second
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components)
    }
}

extension ECITime {
    /// Formats `date` as `2024-05-01T12:00:00Z`.
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

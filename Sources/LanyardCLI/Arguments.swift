/// Command-line words split into positional arguments and `--name value` options.
///
/// Options are matched case-sensitively, because RPC parameter names (`--RoleName`) are case-sensitive on the
/// wire. `--name=value` and `--name value` are both accepted; a `--` ends option parsing.
public struct Arguments: Sendable, Equatable {
    /// Words that are not options, in order.
    public private(set) var positional: [String] = []
    /// Options in the order given; an option given twice keeps both values.
    public private(set) var options: [(name: String, value: String?)] = []

    public static func == (lhs: Arguments, rhs: Arguments) -> Bool {
        lhs.positional == rhs.positional && lhs.options.elementsEqual(rhs.options) { $0 == $1 }
    }

    /// Splits `words`. Names in `flags` take no value.
    public init(_ words: [String], flags: Set<String> = []) throws(CLIError) {
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if word == "--" {
                positional.append(contentsOf: words[index...])
                break
            }
            guard word.hasPrefix("--"), word.count > 2 else {
                positional.append(word)
                continue
            }
            let body = word.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                options.append((String(body[..<equals]), String(body[body.index(after: equals)...])))
            } else if flags.contains(String(body)) {
                options.append((String(body), nil))
            } else {
                guard index < words.count else { throw CLIError.usage("option --\(body) needs a value") }
                options.append((String(body), words[index]))
                index += 1
            }
        }
    }

    /// The last value given for option `name`.
    public func value(_ name: String) -> String? {
        options.last { $0.name == name }?.value ?? nil
    }

    /// Whether option `name` was given at all.
    public func has(_ name: String) -> Bool { options.contains { $0.name == name } }

    /// Removes option `name` and returns its last value.
    public mutating func take(_ name: String) -> String? {
        let value = value(name)
        options.removeAll { $0.name == name }
        return value
    }

    /// Removes flag `name` and reports whether it was given.
    public mutating func takeFlag(_ name: String) -> Bool {
        let given = has(name)
        options.removeAll { $0.name == name }
        return given
    }

    /// Fails when options other than `known` remain.
    public func rejectUnknown(_ known: Set<String> = []) throws(CLIError) {
        if let unknown = options.first(where: { !known.contains($0.name) }) {
            throw CLIError.usage("unknown option --\(unknown.name)")
        }
    }
}

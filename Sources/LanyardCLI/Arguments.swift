/// The options a command understands: long names with and without values, short letters, and whether any
/// other `--Name value` is a request parameter (the RPC commands).
public struct OptionSpec: Sendable {
    /// The options every client command takes, wherever they stand: `--profile`, `--endpoint`, `--oss-endpoint`,
    /// `--region` and `--data`.
    public static let globalNames: Set<String> = ["profile", "endpoint", "oss-endpoint", "region", "data"]

    /// The command these options belong to, for errors: `"up"`, `"oss cp"`.
    public var command: String
    /// Long names that take a value.
    public var valued: Set<String>
    /// Long names that take none.
    public var flags: Set<String>
    /// Short letters and the long names they stand for (`-h` always means `--help`).
    public var short: [Character: String]
    /// Whether any other `--Name value` is accepted as a parameter; its value may be anything except one of
    /// the `valued` options, so that `--UserName --profile admin` does not swallow `--profile`.
    public var acceptsParameters: Bool
    /// What a missing value is, per long name, for the error: `"a file name (or - for stdin)"`.
    public var valueHints: [String: String]

    /// A spec for `lanyard <command>`; `help` never needs declaring.
    public init(
        command: String, valued: Set<String> = [], flags: Set<String> = [], short: [Character: String] = [:],
        acceptsParameters: Bool = false, valueHints: [String: String] = [:]
    ) {
        self.command = command
        self.valued = valued
        self.flags = flags
        self.short = short
        self.acceptsParameters = acceptsParameters
        self.valueHints = valueHints
    }

    /// The options of an RPC command (`ram`, `sts`, `eci`): the global ones, and any `--Name value` parameter.
    public static func parameters(_ command: String) -> OptionSpec {
        OptionSpec(command: command, valued: globalNames, acceptsParameters: true)
    }

    /// Whether `word` may be the value of an option. Never one of the known options: for parameters, anything
    /// else goes (JSON, `-1`, even `-h`); for a fixed set of options, no `--long` word and no `-x` whose letter
    /// is one of the command's short options.
    func acceptsValue(_ word: String) -> Bool {
        if word.hasPrefix("--"), word.count > 2 {
            guard acceptsParameters else { return false }
            let body = word.dropFirst(2)
            let name = body.firstIndex(of: "=").map { body[..<$0] } ?? body
            return !valued.contains(String(name))
        }
        if word.hasPrefix("-"), let letter = word.dropFirst().first, short[letter] != nil { return false }
        return true
    }

    /// The error for an option `lanyard <command>` does not know, as typed: `-x`, `--bogus`.
    func unknown(_ typed: String) -> CLIError {
        .usage("unknown option \(typed) for `lanyard \(command)`; see `lanyard \(command) --help`")
    }

    /// The error for option `name`, typed as `typed`, standing without its value.
    func missingValue(_ typed: String, _ name: String) -> CLIError {
        .usage("\(typed) needs \(valueHints[name] ?? "a value")")
    }
}

/// Command-line words split into positional arguments and options, by an ``OptionSpec``.
///
/// Long options are matched case-sensitively, because RPC parameter names (`--RoleName`) are case-sensitive on
/// the wire. `--name=value` and `--name value` are both accepted (the `=` form takes any value literally); short
/// options take `-o wide`, `-owide` or `-o=wide`, and flag letters bundle (`-it`). A lone `-` is positional
/// (stdin); a `--` ends option parsing. `-h` or `--help` in option position asks for help, which wins over any
/// other error in the words; as the value of an option or after `--` they are ordinary words.
public struct Arguments: Sendable, Equatable {
    /// Words that are not options, in order.
    public private(set) var positional: [String] = []
    /// Options in the order given, by long name; an option given twice keeps both values.
    public private(set) var options: [(name: String, value: String?)] = []
    /// Whether `-h` or `--help` stood in option position.
    public private(set) var wantsHelp = false

    public static func == (lhs: Arguments, rhs: Arguments) -> Bool {
        lhs.positional == rhs.positional && lhs.wantsHelp == rhs.wantsHelp
            && lhs.options.elementsEqual(rhs.options) { $0 == $1 }
    }

    /// Splits `words` by `spec`. Unknown options, missing values and values given to flags are usage errors,
    /// unless help is asked for.
    public init(_ words: [String], spec: OptionSpec) throws(CLIError) {
        var failure: CLIError?
        func fail(_ error: CLIError) { if failure == nil { failure = error } }
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if word == "--" {
                positional.append(contentsOf: words[index...])
                break
            }
            if word.hasPrefix("--"), word.count > 2 {
                let body = word.dropFirst(2)
                let equals = body.firstIndex(of: "=")
                let name = String(equals.map { body[..<$0] } ?? body)
                let inline = equals.map { String(body[body.index(after: $0)...]) }
                if name == "help" || spec.flags.contains(name) {
                    if inline != nil {
                        fail(.usage("--\(name) takes no value"))
                    } else if name == "help" {
                        wantsHelp = true
                    } else {
                        options.append((name, nil))
                    }
                } else if !spec.valued.contains(name), !spec.acceptsParameters {
                    fail(spec.unknown("--\(name)"))
                } else if let inline {
                    options.append((name, inline))
                } else if index < words.count, spec.acceptsValue(words[index]) {
                    options.append((name, words[index]))
                    index += 1
                } else {
                    fail(spec.missingValue("--\(name)", name))
                }
            } else if word.hasPrefix("-"), word.count > 1 {
                let letters = word.dropFirst()
                let first = letters.first!
                let long = first == "h" ? "help" : spec.short[first]
                guard let long else {
                    fail(spec.unknown(word))
                    continue
                }
                if long == "help" || spec.flags.contains(long) {
                    // A bundle of flag letters: -it, -ti.
                    for letter in letters {
                        let name = letter == "h" ? "help" : spec.short[letter]
                        guard let name, name == "help" || spec.flags.contains(name) else {
                            fail(spec.unknown(word))
                            break
                        }
                        if name == "help" { wantsHelp = true } else { options.append((name, nil)) }
                    }
                    continue
                }
                var value = letters.dropFirst()
                if value.hasPrefix("=") { value = value.dropFirst() }
                if !value.isEmpty {
                    options.append((long, String(value)))
                } else if index < words.count, spec.acceptsValue(words[index]) {
                    options.append((long, words[index]))
                    index += 1
                } else {
                    fail(spec.missingValue("-\(first)", long))
                }
            } else {
                positional.append(word)
            }
        }
        if let failure, !wantsHelp { throw failure }
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
}

/// The global options that may stand before the command, as in `lanyard --profile dev sts GetCallerIdentity`.
enum LeadingOptions {
    /// Splits the leading global options (`--profile dev`, `--region=cn-beijing`) from the words that follow,
    /// stopping at the first word that is not an option; `-h`, `--help` and `--version` stop the split too. Any
    /// other option there is unknown, and a global option needs its value. Within a command group such as
    /// `lanyard oss`, `group` names it and `extra` adds the options every command of the group takes.
    static func split(_ words: [String], group: String? = nil, extra: Set<String> = []) throws(CLIError)
        -> (globals: [String], rest: [String])
    {
        let allowed = OptionSpec.globalNames.union(extra)
        var index = 0
        while index < words.count {
            let word = words[index]
            guard word.hasPrefix("-"), word.count > 1, !["-h", "--help", "--version", "--"].contains(word) else { break }
            let body = word.drop { $0 == "-" }
            let name = String(body.firstIndex(of: "=").map { body[..<$0] } ?? body)
            guard word.hasPrefix("--"), allowed.contains(name) else {
                let known = (["profile", "endpoint", "oss-endpoint", "region", "data"] + extra.sorted()).map { "--" + $0 }
                let lanyard = ["lanyard", group].compactMap { $0 }.joined(separator: " ")
                throw .usage(
                    "unknown option \(word.hasPrefix("--") ? "--\(name)" : word) before the \(group.map { "\($0) " } ?? "")"
                        + "command; only \(known.joined(separator: ", ")) go there; see `\(lanyard) --help`")
            }
            if body.contains("=") {
                index += 1
                continue
            }
            guard index + 1 < words.count, !words[index + 1].hasPrefix("-") || words[index + 1] == "-" else {
                throw .usage("--\(name) needs a value")
            }
            index += 2
        }
        return (Array(words[..<index]), Array(words[index...]))
    }
}

/// The options of the kubectl-style commands, with kubectl's short letters, so that `lanyard get pods -o wide`
/// and `lanyard exec -i web -- cat` read like kubectl.
enum KubectlWords {
    /// Short option letters and the long names they stand for.
    static let shortOptions: [Character: String] = [
        "f": "filename", "o": "output", "c": "container", "n": "namespace", "i": "stdin", "t": "tty",
        "A": "all-namespaces",
    ]

    /// The options of pod command `command`: the global ones, `-n/--namespace` and `-A/--all-namespaces`, plus
    /// the command's own `valued` options and `flags`. Only the short letters of those options are known.
    static func spec(_ command: String, valued: Set<String> = [], flags: Set<String> = []) -> OptionSpec {
        let allValued = valued.union(OptionSpec.globalNames).union(["namespace"])
        let allFlags = flags.union(["all-namespaces"])
        return OptionSpec(
            command: command, valued: allValued, flags: allFlags,
            short: shortOptions.filter { allValued.contains($0.value) || allFlags.contains($0.value) },
            valueHints: ["filename": "a file name (or - for stdin)"])
    }
}

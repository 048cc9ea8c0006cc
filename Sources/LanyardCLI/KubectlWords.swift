/// kubectl's short options turned into the `--long` options that ``Arguments`` understands, so that
/// `lanyard get pods -o wide` and `lanyard exec -i web -- cat` read like kubectl.
enum KubectlWords {
    /// Short option letters and the long names they stand for.
    static let shortOptions: [Character: String] = [
        "f": "filename", "o": "output", "c": "container", "n": "namespace", "i": "stdin", "t": "tty", "A": "all-namespaces",
        "h": "help",
    ]
    /// Long names that take no value.
    static let flags: Set<String> = ["stdin", "tty", "all-namespaces", "help", "overwrite"]

    /// Rewrites `-f X`, `-oX`, `-o=X` and bundles of flags such as `-it` into long options. A lone `-` (stdin) and
    /// everything after `--` are left as they are.
    static func normalize(_ words: [String]) throws(CLIError) -> [String] {
        var result: [String] = []
        result.reserveCapacity(words.count)
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if word == "--" {
                result.append(contentsOf: words[(index - 1)...])
                break
            }
            guard word.count >= 2, word.hasPrefix("-"), !word.hasPrefix("--"), let letter = word.dropFirst().first,
                let long = shortOptions[letter]
            else {
                result.append(word)
                continue
            }
            if flags.contains(long) {
                // A bundle of flag letters: -it, -ti.
                for character in word.dropFirst() {
                    guard let name = shortOptions[character], flags.contains(name) else {
                        throw .usage("unknown option \(word)")
                    }
                    result.append("--\(name)")
                }
                continue
            }
            var value = word.dropFirst(2)
            if value.hasPrefix("=") { value = value.dropFirst() }
            result.append(value.isEmpty ? "--\(long)" : "--\(long)=\(value)")
        }
        return result
    }

    /// Splits `words` the kubectl way: short options normalized, flags known.
    static func arguments(_ words: [String]) throws(CLIError) -> Arguments {
        try Arguments(try normalize(words), flags: flags)
    }
}

import Foundation

/// A mistake in how the tool was called.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `--name value` options and positional words.
struct Options {
    private var values: [String: String] = [:]
    private(set) var positional: [String] = []

    init(_ words: some Sequence<String>) throws {
        var iterator = words.makeIterator()
        while let word = iterator.next() {
            if word.hasPrefix("--") {
                guard let value = iterator.next() else { throw UsageError("\(word) needs a value") }
                values[String(word.dropFirst(2))] = value
            } else {
                positional.append(word)
            }
        }
    }

    func string(_ name: String) throws -> String {
        guard let value = values[name] else { throw UsageError("missing --\(name)") }
        return value
    }

    func string(_ name: String, default fallback: String) -> String { values[name] ?? fallback }

    func int(_ name: String, default fallback: Int) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text) else { throw UsageError("--\(name) \(text): expected an integer") }
        return value
    }

    func double(_ name: String, default fallback: Double) throws -> Double {
        guard let text = values[name] else { return fallback }
        guard let value = Double(text) else { throw UsageError("--\(name) \(text): expected a number") }
        return value
    }

    func flavor() throws -> Flavor {
        let text = string("flavor", default: "lanyard")
        guard let flavor = Flavor(rawValue: text) else { throw UsageError("--flavor \(text): lanyard or moto") }
        return flavor
    }

    /// The AccessKey of `--credentials FILE`; required for Lanyard, ignored for moto.
    func accessKey(for flavor: Flavor) throws -> AccessKey? {
        flavor == .lanyard ? try AccessKey(file: string("credentials")) : nil
    }
}

import Foundation
import LanyardPolicy

/// `lanyard-bench-policy --cases FILE [--seconds S]`: decisions per second of LanyardPolicy on one thread.
/// The policy of the cases file is parsed once and its requests built once; every decision is checked against
/// the case's expected one before the clock starts, so the figure is for a correct evaluator. Prints one JSON
/// object: decisionsPerSecond, decisions, seconds, and whether each case was allowed.

struct Case: Decodable {
    var action: String
    var resource: String
    var context: [String: [String]]
    var expect: String
}

struct Cases: Decodable {
    var requests: [Case]
}

struct Output: Encodable {
    var decisionsPerSecond: Double
    var decisions: Int
    var seconds: Double
    var allowed: [Bool]
}

func name(_ decision: Decision) -> String {
    switch decision {
    case .allow: "allow"
    case .explicitDeny: "explicitDeny"
    case .implicitDeny: "implicitDeny"
    }
}

func run() throws -> Int32 {
    var arguments = CommandLine.arguments.dropFirst()
    var casesPath = ""
    var seconds = 5.0
    while let option = arguments.popFirst() {
        guard let value = arguments.popFirst() else { throw BenchError("\(option) needs a value") }
        switch option {
        case "--cases": casesPath = value
        case "--seconds": seconds = Double(value) ?? seconds
        default: throw BenchError("unknown option \(option)")
        }
    }
    let data = try Data(contentsOf: URL(fileURLWithPath: casesPath))
    let cases = try JSONDecoder().decode(Cases.self, from: data)
    guard let document = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["policy"] else {
        throw BenchError("\(casesPath): no policy")
    }
    let policyText = String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
    let policy = try Policy(parsing: policyText)
    let requests = cases.requests.map {
        AuthorizationRequest(action: $0.action, resource: $0.resource, context: $0.context)
    }
    var allowed: [Bool] = []
    for (request, expected) in zip(requests, cases.requests) {
        let decision = policy.evaluate(request)
        guard name(decision) == expected.expect else {
            throw BenchError("\(expected.action) on \(expected.resource): \(name(decision)), expected \(expected.expect)")
        }
        allowed.append(decision == .allow)
    }

    var decisions = 0
    var allows = 0
    let clock = ContinuousClock()
    let start = clock.now
    let budget = Duration.milliseconds(Int64(seconds * 1000))
    while clock.now - start < budget {
        for _ in 0..<64 {
            for request in requests where policy.evaluate(request) == .allow { allows += 1 }
        }
        decisions += 64 * requests.count
    }
    let elapsed = clock.now - start
    let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    precondition(allows > 0)   // keeps the optimizer from dropping the evaluations
    let output = Output(
        decisionsPerSecond: Double(decisions) / elapsedSeconds, decisions: decisions, seconds: elapsedSeconds,
        allowed: allowed)
    FileHandle.standardOutput.write(try JSONEncoder().encode(output) + Data("\n".utf8))
    return 0
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

do {
    exit(try run())
} catch {
    FileHandle.standardError.write(Data("lanyard-bench-policy: \(error)\n".utf8))
    exit(2)
}

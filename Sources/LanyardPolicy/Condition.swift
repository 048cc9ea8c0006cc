/// One `(operator, key)` pair of a statement's `Condition` block, compiled. A statement's conditions are
/// AND'ed; the values listed for one key are OR'ed.
///
/// Semantics (those of RAM, which follow AWS IAM here):
/// - Negated operators (`StringNotEquals`, `StringNotEqualsIgnoreCase`, `StringNotLike`, `NumericNotEquals`,
///   `DateNotEquals`, `NotIpAddress`) are exactly the negation of their positive twin: "no request value
///   matches any listed value". When the key is absent from the request they are **true** (nothing is
///   equal to the listed values); positive operators are false. The spec gives no RAM-specific rule, so
///   this follows the AWS rule the RAM language mirrors.
/// - `…IfExists` (e.g. `StringEqualsIfExists`): true when the key is absent, otherwise as without it.
/// - `ForAnyValue:` prefix: true when at least one request value satisfies the operator (absent → false);
///   `ForAllValues:`: true when every request value does (absent → true). For negated operators "satisfies"
///   means "matches none of the listed values".
/// - A key present with an empty value list counts as absent.
/// - Request values that do not parse for the operator (a non-number for Numeric*, a non-date for Date*,
///   a non-address for IpAddress, not `true`/`false` for Bool) match no listed value.
///
/// A final class for the same reason as `Statement`: evaluation reads it in place instead of copying it.
final class Condition: Sendable, Hashable {
    enum Quantifier: Sendable, Hashable {
        case plain
        case forAnyValue
        case forAllValues
    }

    enum Comparison: Sendable, Hashable {
        case equal
        case less
        case lessOrEqual
        case greater
        case greaterOrEqual

        @inline(__always)
        func holds(_ request: Double, _ operand: Double) -> Bool {
            switch self {
            case .equal: request == operand
            case .less: request < operand
            case .lessOrEqual: request <= operand
            case .greater: request > operand
            case .greaterOrEqual: request >= operand
            }
        }
    }

    /// The positive per-value test: does one request value match any of the listed values?
    enum Test: Sendable, Hashable {
        case stringEquals([[UInt8]])
        /// Listed values lower-cased (Unicode); request values are folded the same way.
        case stringEqualsIgnoringCase([[UInt8]])
        case stringLike([WildcardPattern])
        case numeric(Comparison, [Double])
        case date(Comparison, [Double])
        case bool([Bool])
        case ipAddress([IPNetwork])
    }

    let quantifier: Quantifier
    let ifExists: Bool
    let negated: Bool
    /// The key as written, for a direct dictionary hit when the caller uses the same spelling.
    let key: String
    /// ASCII-folded key, for the case-insensitive fallback.
    let foldedKey: [UInt8]
    let test: Test

    private init(quantifier: Quantifier, ifExists: Bool, negated: Bool, key: String, test: Test) {
        self.quantifier = quantifier
        self.ifExists = ifExists
        self.negated = negated
        self.key = key
        self.foldedKey = foldedASCIIBytes(key)
        self.test = test
    }

    static func == (a: Condition, b: Condition) -> Bool {
        a.quantifier == b.quantifier && a.ifExists == b.ifExists && a.negated == b.negated && a.key == b.key
            && a.test == b.test
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(quantifier)
        hasher.combine(ifExists)
        hasher.combine(negated)
        hasher.combine(key)
        hasher.combine(test)
    }

    /// Evaluates against a request context whose keys are matched ignoring ASCII case.
    func holds(in context: [String: [String]]) -> Bool {
        guard let values = lookUp(context), !values.isEmpty else {
            if ifExists { return true }
            switch quantifier {
            case .plain: return negated
            case .forAnyValue: return false
            case .forAllValues: return true
            }
        }
        switch quantifier {
        case .plain:
            var anyMatch = false
            for value in values where matches(value) {
                anyMatch = true
                break
            }
            return anyMatch != negated
        case .forAnyValue:
            for value in values where matches(value) != negated { return true }
            return false
        case .forAllValues:
            for value in values where matches(value) == negated { return false }
            return true
        }
    }

    private func lookUp(_ context: [String: [String]]) -> [String]? {
        if let exact = context[key] { return exact }
        for (name, values) in context {
            var name = name
            if name.withUTF8({ bytesEqual($0, foldedKey, foldingCase: true) }) { return values }
        }
        return nil
    }

    @inline(__always)
    private func matches(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { matches($0) }
    }

    private func matches(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        switch test {
        case .stringEquals(let listed):
            for candidate in listed where bytesEqual(value, candidate, foldingCase: false) { return true }
            return false
        case .stringEqualsIgnoringCase(let listed):
            if value.allSatisfy({ $0 < 0x80 }) {
                for candidate in listed where bytesEqual(value, candidate, foldingCase: true) { return true }
                return false
            }
            let lowered = Array(String(decoding: value, as: UTF8.self).lowercased().utf8)
            return listed.contains(lowered)
        case .stringLike(let patterns):
            for pattern in patterns where pattern.matches(value) { return true }
            return false
        case .numeric(let comparison, let operands):
            guard let number = Scalars.number(value) else { return false }
            for operand in operands where comparison.holds(number, operand) { return true }
            return false
        case .date(let comparison, let operands):
            guard let instant = Scalars.date(value) else { return false }
            for operand in operands where comparison.holds(instant, operand) { return true }
            return false
        case .bool(let operands):
            guard let flag = Scalars.bool(value) else { return false }
            return operands.contains(flag)
        case .ipAddress(let networks):
            guard let address = IPAddress.parseRequestValue(value) else { return false }
            for network in networks where network.contains(address) { return true }
            return false
        }
    }
}

// MARK: - Compiling a Condition block

extension Condition {
    private enum Family {
        case stringEquals
        case stringEqualsIgnoringCase
        case stringLike
        case numeric(Comparison)
        case date(Comparison)
        case bool
        case ipAddress
    }

    /// Base operator names (without `ForAnyValue:` / `ForAllValues:` or `IfExists`), exactly as RAM spells
    /// them (case-sensitive), with their family and whether they are negated.
    private static let operators: [String: (family: Family, negated: Bool)] = [
        "StringEquals": (.stringEquals, false),
        "StringNotEquals": (.stringEquals, true),
        "StringEqualsIgnoreCase": (.stringEqualsIgnoringCase, false),
        "StringNotEqualsIgnoreCase": (.stringEqualsIgnoringCase, true),
        "StringLike": (.stringLike, false),
        "StringNotLike": (.stringLike, true),
        "NumericEquals": (.numeric(.equal), false),
        "NumericNotEquals": (.numeric(.equal), true),
        "NumericLessThan": (.numeric(.less), false),
        "NumericLessThanEquals": (.numeric(.lessOrEqual), false),
        "NumericGreaterThan": (.numeric(.greater), false),
        "NumericGreaterThanEquals": (.numeric(.greaterOrEqual), false),
        "DateEquals": (.date(.equal), false),
        "DateNotEquals": (.date(.equal), true),
        "DateLessThan": (.date(.less), false),
        "DateLessThanEquals": (.date(.lessOrEqual), false),
        "DateGreaterThan": (.date(.greater), false),
        "DateGreaterThanEquals": (.date(.greaterOrEqual), false),
        "Bool": (.bool, false),
        "IpAddress": (.ipAddress, false),
        "NotIpAddress": (.ipAddress, true),
    ]

    /// Compiles a statement's `Condition` value into a flat AND-list. `location` prefixes error messages.
    static func compileBlock(_ block: JSONValue, location: String) throws(PolicyError) -> [Condition] {
        guard case .object(let operatorMembers) = block else {
            throw .malformed("\(location): Condition must be an object, not \(block.typeName)")
        }
        guard !operatorMembers.isEmpty else { throw .malformed("\(location): Condition must not be empty") }
        var conditions: [Condition] = []
        for (operatorName, keys) in operatorMembers {
            var base = Substring(operatorName)
            var quantifier = Quantifier.plain
            if base.hasPrefix("ForAnyValue:") {
                quantifier = .forAnyValue
                base = base.dropFirst("ForAnyValue:".count)
            } else if base.hasPrefix("ForAllValues:") {
                quantifier = .forAllValues
                base = base.dropFirst("ForAllValues:".count)
            }
            var ifExists = false
            if base.hasSuffix("IfExists") {
                ifExists = true
                base = base.dropLast("IfExists".count)
            }
            guard let (family, negated) = operators[String(base)] else {
                throw .malformed("\(location): Unknown condition operator: \(operatorName)")
            }
            guard case .object(let keyMembers) = keys, !keyMembers.isEmpty else {
                throw .malformed("\(location): Condition operator \(operatorName) needs an object of keys and values")
            }
            for (key, value) in keyMembers {
                let here = "\(location): Condition \(operatorName) key \(key)"
                guard !key.isEmpty else { throw .malformed("\(location): Condition \(operatorName) has an empty key") }
                let operands = try scalarTexts(value, location: here)
                conditions.append(Condition(
                    quantifier: quantifier, ifExists: ifExists, negated: negated, key: key,
                    test: try compileTest(family, operands, location: here)))
            }
        }
        return conditions
    }

    /// A condition's value: one scalar or a non-empty array of scalars. Numbers keep their JSON text;
    /// booleans become `true`/`false`.
    private static func scalarTexts(_ value: JSONValue, location: String) throws(PolicyError) -> [String] {
        func text(_ v: JSONValue) throws(PolicyError) -> String {
            switch v {
            case .string(let s), .number(let s): return s
            case .bool(let b): return b ? "true" : "false"
            default: throw .malformed("\(location): condition values must be strings, numbers or booleans, not \(v.typeName)")
            }
        }
        if case .array(let elements) = value {
            guard !elements.isEmpty else { throw .malformed("\(location): condition value list must not be empty") }
            var texts: [String] = []
            for element in elements { texts.append(try text(element)) }
            return texts
        }
        return [try text(value)]
    }

    private static func compileTest(_ family: Family, _ operands: [String], location: String) throws(PolicyError) -> Test {
        func parseEach<T>(_ what: String, _ parse: (UnsafeBufferPointer<UInt8>) -> T?) throws(PolicyError) -> [T] {
            var parsed: [T] = []
            for operand in operands {
                var operand = operand
                guard let value = operand.withUTF8(parse) else {
                    throw .malformed("\(location): invalid \(what) value: \(operand)")
                }
                parsed.append(value)
            }
            return parsed
        }
        switch family {
        case .stringEquals:
            return .stringEquals(operands.map { Array($0.utf8) })
        case .stringEqualsIgnoringCase:
            return .stringEqualsIgnoringCase(operands.map { Array($0.lowercased().utf8) })
        case .stringLike:
            return .stringLike(operands.map { WildcardPattern($0, foldsCase: false) })
        case .numeric(let comparison):
            return .numeric(comparison, try parseEach("numeric", Scalars.number))
        case .date(let comparison):
            return .date(comparison, try parseEach("date", Scalars.date))
        case .bool:
            return .bool(try parseEach("Bool", Scalars.bool))
        case .ipAddress:
            var networks: [IPNetwork] = []
            for operand in operands {
                guard let network = IPNetwork(parsing: operand) else {
                    throw .malformed("\(location): invalid IP address or CIDR: \(operand)")
                }
                networks.append(network)
            }
            return .ipAddress(networks)
        }
    }
}

import CYAML

/// A position in the YAML input, 1-based.
public struct SourceLocation: Sendable, Hashable {
    /// Line number, starting at 1.
    public let line: Int
    /// Column number, starting at 1.
    public let column: Int
}

/// A YAML node as built from libyaml's parser events (aliases already resolved).
struct YAMLNode: Sendable {
    indirect enum Value: Sendable {
        /// `quoted` is false only for plain (unquoted) scalars, whose type is resolved from their text.
        case scalar(String, quoted: Bool, tag: String?)
        case sequence([YAMLNode])
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }
    let value: Value
    let location: SourceLocation
}

/// Turns YAML text into one node per document, using libyaml's event API.
enum YAMLReader {
    /// Deepest nesting accepted; Kubernetes manifests are far shallower.
    static let maximumDepth = 128

    /// Parses every document of a stream. Documents whose root is an empty plain scalar (`---` alone) are
    /// returned too; the caller decides what an empty document means.
    static func documents(_ bytes: [UInt8]) throws(ManifestError) -> [YAMLNode] {
        if bytes.isEmpty { return [] }
        let result: Result<[YAMLNode], ManifestError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return .failure(ManifestError(code: "InternalError", message: "libyaml could not initialise", line: 0, column: 0))
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder()
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    return .failure(parserError(parser))
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                if let failure = builder.consume(event) { return .failure(failure) }
            }
            return .success(builder.documents)
        }
        return try result.get()
    }

    private static func parserError(_ parser: yaml_parser_t) -> ManifestError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            message = "\(context): \(problem)"
        }
        let mark = parser.problem_mark
        return ManifestError(code: "MalformedYAML", message: message, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    /// Assembles nodes from events with an explicit stack (no recursion on untrusted depth).
    private struct Builder {
        enum Frame {
            case sequence([YAMLNode], SourceLocation, anchor: String?)
            case mapping([(key: YAMLNode, value: YAMLNode)], pendingKey: YAMLNode?, SourceLocation, anchor: String?)
        }
        var documents: [YAMLNode] = []
        var stack: [Frame] = []
        var anchors: [String: YAMLNode] = [:]

        mutating func consume(_ event: yaml_event_t) -> ManifestError? {
            let location = SourceLocation(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                anchors = [:]
                return nil
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = string(scalar.value, length: scalar.length)
                let quoted = scalar.style != YAML_PLAIN_SCALAR_STYLE
                let node = YAMLNode(value: .scalar(text, quoted: quoted, tag: scalar.tag.map { cString($0) }), location: location)
                return complete(node, anchor: scalar.anchor.map { cString($0) })
            case YAML_ALIAS_EVENT:
                let name = event.data.alias.anchor.map { cString($0) } ?? ""
                guard let node = anchors[name] else {
                    return ManifestError(code: "MalformedYAML", message: "undefined alias *\(name)", line: location.line, column: location.column)
                }
                return complete(YAMLNode(value: node.value, location: location), anchor: nil)
            case YAML_SEQUENCE_START_EVENT:
                guard stack.count < YAMLReader.maximumDepth else { return tooDeep(location) }
                stack.append(.sequence([], location, anchor: event.data.sequence_start.anchor.map { cString($0) }))
                return nil
            case YAML_MAPPING_START_EVENT:
                guard stack.count < YAMLReader.maximumDepth else { return tooDeep(location) }
                stack.append(.mapping([], pendingKey: nil, location, anchor: event.data.mapping_start.anchor.map { cString($0) }))
                return nil
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                switch stack.removeLast() {
                case .sequence(let items, let start, let anchor):
                    return complete(YAMLNode(value: .sequence(items), location: start), anchor: anchor)
                case .mapping(let pairs, _, let start, let anchor):
                    return complete(YAMLNode(value: .mapping(pairs), location: start), anchor: anchor)
                }
            default:
                return nil
            }
        }

        private mutating func complete(_ node: YAMLNode, anchor: String?) -> ManifestError? {
            if let anchor { anchors[anchor] = node }
            guard let top = stack.popLast() else {
                documents.append(node)
                return nil
            }
            switch top {
            case .sequence(var items, let start, let anchor):
                items.append(node)
                stack.append(.sequence(items, start, anchor: anchor))
            case .mapping(var pairs, let pendingKey, let start, let anchor):
                if let key = pendingKey {
                    if case .scalar(let name, _, _) = key.value,
                        pairs.contains(where: { if case .scalar(let other, _, _) = $0.key.value { other == name } else { false } })
                    {
                        return ManifestError(
                            code: "MalformedYAML", message: "duplicate key \"\(name)\"", line: key.location.line,
                            column: key.location.column)
                    }
                    pairs.append((key: key, value: node))
                    stack.append(.mapping(pairs, pendingKey: nil, start, anchor: anchor))
                } else {
                    stack.append(.mapping(pairs, pendingKey: node, start, anchor: anchor))
                }
            }
            return nil
        }

        private func tooDeep(_ location: SourceLocation) -> ManifestError {
            ManifestError(
                code: "MalformedYAML", message: "nesting deeper than \(YAMLReader.maximumDepth) levels", line: location.line,
                column: location.column)
        }

        private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
            guard let pointer, length > 0 else { return "" }
            return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
        }

        private func cString(_ pointer: UnsafeMutablePointer<yaml_char_t>) -> String {
            String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
        }
    }
}

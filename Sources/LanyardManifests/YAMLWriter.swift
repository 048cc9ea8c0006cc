import CYAML

/// Why a value could not be written as YAML.
public struct YAMLWriteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `UnsupportedValue` (a value of a type JSON does not have) or `EmitterFailed` (libyaml refused an event).
    public let code: String
    /// What went wrong, and where in the value.
    public let message: String

    public var description: String { "\(code): \(message)" }
}

/// Writes a JSON-shaped value (string-keyed dictionaries, arrays, strings, integers, floating-point numbers,
/// booleans) as one YAML document, as `kubectl get -o yaml` prints objects: block style, keys in order, and a
/// string double-quoted whenever a YAML 1.1 or 1.2 reader could take it plain for something else (`"3600"`,
/// `"true"`, `""`, `"2024-01-01"`), so what is written reads back as the same value.
public enum YAMLWriter {
    /// The document's text.
    public static func document(_ value: Any) throws(YAMLWriteError) -> String {
        let output = Output()
        // On the heap: the emitter is used through a pointer across many calls.
        let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
        emitter.initialize(to: yaml_emitter_t())
        defer { emitter.deallocate() }
        guard yaml_emitter_initialize(emitter) == 1 else {
            throw YAMLWriteError(code: "EmitterFailed", message: "libyaml could not start an emitter")
        }
        defer { yaml_emitter_delete(emitter) }
        yaml_emitter_set_unicode(emitter, 1)
        yaml_emitter_set_width(emitter, -1)
        yaml_emitter_set_output(emitter, appendToOutput, Unmanaged.passUnretained(output).toOpaque())

        let writer = EventWriter(emitter: emitter)
        try writer.emit { event in yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING) }
        try writer.emit { event in yaml_document_start_event_initialize(&event, nil, nil, nil, 1) }
        try writer.value(value, path: "")
        try writer.emit { event in yaml_document_end_event_initialize(&event, 1) }
        try writer.emit { event in yaml_stream_end_event_initialize(&event) }
        return withExtendedLifetime(output) { String(decoding: output.bytes, as: UTF8.self) }
    }

    /// Where libyaml's write handler puts the bytes.
    final class Output {
        var bytes: [UInt8] = []
    }
}

/// libyaml's write handler: appends to the ``YAMLWriter/Output`` passed as `data`.
private func appendToOutput(_ data: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, let buffer else { return 0 }
    Unmanaged<YAMLWriter.Output>.fromOpaque(data).takeUnretainedValue().bytes
        .append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
    return 1
}

/// Turns values into libyaml events.
private struct EventWriter {
    let emitter: UnsafeMutablePointer<yaml_emitter_t>

    /// Plain scalars YAML 1.1 readers resolve that Lanyard's own reading does not.
    private static let yaml11Words: Set<String> = ["y", "Y", "n", "N", "=", "<<"]

    /// Initialises an event with `make` and hands it to the emitter (which takes ownership of it).
    func emit(_ make: (inout yaml_event_t) -> Int32) throws(YAMLWriteError) {
        var event = yaml_event_t()
        guard make(&event) == 1, yaml_emitter_emit(emitter, &event) == 1 else {
            let problem = emitter.pointee.problem.map { String(cString: $0) } ?? "unknown problem"
            throw YAMLWriteError(code: "EmitterFailed", message: "libyaml: \(problem)")
        }
    }

    func value(_ value: Any, path: String) throws(YAMLWriteError) {
        switch value {
        case let map as [String: Any]:
            try emit { event in yaml_mapping_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_MAPPING_STYLE) }
            for key in map.keys.sorted() {
                try scalar(key, style: style(of: key))
                try self.value(map[key]!, path: path.isEmpty ? key : "\(path).\(key)")
            }
            try emit { event in yaml_mapping_end_event_initialize(&event) }
        case let list as [Any]:
            try emit { event in yaml_sequence_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_SEQUENCE_STYLE) }
            for (index, item) in list.enumerated() { try self.value(item, path: "\(path)[\(index)]") }
            try emit { event in yaml_sequence_end_event_initialize(&event) }
        case let text as String:
            try scalar(text, style: style(of: text))
        case let flag as Bool:
            try scalar(flag ? "true" : "false", style: YAML_PLAIN_SCALAR_STYLE)
        case let number as any BinaryInteger:
            try scalar(String(describing: number), style: YAML_PLAIN_SCALAR_STYLE)
        case let number as Double where number.isFinite:
            try scalar(String(describing: number), style: YAML_PLAIN_SCALAR_STYLE)
        default:
            throw YAMLWriteError(
                code: "UnsupportedValue", message: "\(path.isEmpty ? "the value" : path): \(type(of: value)) has no YAML form here")
        }
    }

    /// Plain when every common reader takes the plain scalar for this very string; double-quoted otherwise. Beyond
    /// Lanyard's own reading (YAML 1.2 core with 1.1 booleans), YAML 1.1 readers (PyYAML, go-yaml v2 under
    /// kubectl) also resolve timestamps, base-60 numbers, `y`/`n`, `=` and `<<`: anything starting like a
    /// number is quoted, as kubectl quotes timestamps.
    private func style(of text: String) -> yaml_scalar_style_t {
        guard let first = text.unicodeScalars.first, ScalarKind(plain: text) == .string else { return YAML_DOUBLE_QUOTED_SCALAR_STYLE }
        let second = text.unicodeScalars.dropFirst().first
        let isDigit = { (scalar: Unicode.Scalar?) in scalar.map { ("0"..."9").contains($0) } ?? false }
        let numberLike = isDigit(first) || ("+-.".unicodeScalars.contains(first) && (isDigit(second) || second == "."))
        return numberLike || Self.yaml11Words.contains(text) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE
    }

    private func scalar(_ text: String, style: yaml_scalar_style_t) throws(YAMLWriteError) {
        var bytes = Array(text.utf8)
        let length = Int32(bytes.count)
        try bytes.withUnsafeMutableBufferPointer { buffer throws(YAMLWriteError) in
            let base = buffer.baseAddress
            try emit { event in yaml_scalar_event_initialize(&event, nil, nil, base, length, 1, 1, style) }
        }
    }
}

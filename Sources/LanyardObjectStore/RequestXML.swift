import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small XML element tree for request bodies (a few KiB at most).
struct XMLElementNode {
    var name: String
    var text: String = ""
    var children: [XMLElementNode] = []

    func child(_ name: String) -> XMLElementNode? { children.first { $0.name == name } }
    func all(_ name: String) -> [XMLElementNode] { children.filter { $0.name == name } }

    /// Parses a document; nil when it is not well-formed.
    static func parse(_ bytes: [UInt8]) -> XMLElementNode? {
        let parser = XMLParser(data: Data(bytes))
        let builder = TreeBuilder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = true
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [XMLElementNode] = []
        var root: XMLElementNode?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            stack.append(XMLElementNode(name: elementName))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?) {
            guard let done = stack.popLast() else { return }
            if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
        }
    }
}

/// `CompleteMultipartUpload` request body.
struct CompleteRequest: Equatable {
    struct Part: Equatable {
        var partNumber: Int
        var etag: String
    }
    var parts: [Part]

    static func parse(_ bytes: [UInt8]) throws(OSSError) -> CompleteRequest {
        guard let root = XMLElementNode.parse(bytes), root.name == "CompleteMultipartUpload" else {
            throw OSSError.malformedXML
        }
        var parts: [Part] = []
        for p in root.all("Part") {
            guard let n = p.child("PartNumber").flatMap({ Int($0.text.trimmingSpaces) }),
                  let etag = p.child("ETag")?.text.trimmingSpaces else { throw OSSError.malformedXML }
            parts.append(Part(partNumber: n, etag: String(etag.trimmingQuotes).uppercased()))
        }
        guard !parts.isEmpty else { throw OSSError.malformedXML }
        return CompleteRequest(parts: parts)
    }
}

/// `Delete` request body of DeleteMultipleObjects.
struct DeleteRequest: Equatable {
    var quiet: Bool
    var keys: [String]

    /// Keys arrive as plain XML text; `encoding-type=url` applies to the response only.
    static func parse(_ bytes: [UInt8]) throws(OSSError) -> DeleteRequest {
        guard let root = XMLElementNode.parse(bytes), root.name == "Delete" else { throw OSSError.malformedXML }
        let quietText = root.child("Quiet")?.text.trimmingSpaces.lowercased() ?? "false"
        guard quietText == "true" || quietText == "false" else { throw OSSError.malformedXML }
        var keys: [String] = []
        for o in root.all("Object") {
            guard let key = o.child("Key")?.text else { throw OSSError.malformedXML }
            keys.append(key)
        }
        guard !keys.isEmpty else { throw OSSError.malformedXML }
        guard keys.count <= 1000 else {
            throw OSSError.invalidArgument("The number of objects to delete is greater than 1000.")
        }
        return DeleteRequest(quiet: quietText == "true", keys: keys)
    }
}

/// Optional `CreateBucketConfiguration` body of PutBucket.
enum CreateBucketRequest {
    /// The storage class requested; `Standard` when the body is empty.
    static func storageClass(_ bytes: [UInt8]) throws(OSSError) -> String {
        if bytes.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { return "Standard" }
        guard let root = XMLElementNode.parse(bytes), root.name == "CreateBucketConfiguration" else {
            throw OSSError.malformedXML
        }
        let requested = root.child("StorageClass")?.text.trimmingSpaces ?? "Standard"
        let known = ["Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"]
        guard let match = known.first(where: { $0.caseInsensitiveCompare(requested) == .orderedSame }) else {
            throw OSSError.invalidArgument("Invalid storage class.", name: "StorageClass", value: String(requested))
        }
        return match
    }
}

import Foundation
import LanyardCLI
import Testing

@Suite struct ArgumentsTests {
    @Test func splitsPositionalsAndOptions() throws {
        let arguments = try Arguments(["CreateRole", "--RoleName", "R", "--Description=a b", "extra"])
        #expect(arguments.positional == ["CreateRole", "extra"])
        #expect(arguments.value("RoleName") == "R")
        #expect(arguments.value("Description") == "a b")
        #expect(arguments.value("rolename") == nil, "option names are case-sensitive")
    }

    @Test func valuesMayLookLikeJSONOrStartWithDashes() throws {
        let arguments = try Arguments(["--Policy", #"{"Version":"1"}"#, "--Name", "-x"])
        #expect(arguments.value("Policy") == #"{"Version":"1"}"#)
        #expect(arguments.value("Name") == "-x")
    }

    @Test func doubleDashEndsOptions() throws {
        let arguments = try Arguments(["pod", "--", "ls", "--all"])
        #expect(arguments.positional == ["pod", "ls", "--all"])
        #expect(arguments.options.isEmpty)
    }

    @Test func flagsTakeNoValue() throws {
        var arguments = try Arguments(["--recursive", "a", "b"], flags: ["recursive"])
        let first = arguments.takeFlag("recursive")
        let second = arguments.takeFlag("recursive")
        #expect(first)
        #expect(!second, "a taken flag is gone")
        #expect(arguments.positional == ["a", "b"])
    }

    @Test func missingValueIsAUsageError() {
        #expect(throws: CLIError.usage("option --RoleName needs a value")) { try Arguments(["--RoleName"]) }
    }

    @Test func unknownOptionsAreRejected() throws {
        var arguments = try Arguments(["--data", "d", "--bogus", "1"])
        _ = arguments.take("data")
        #expect(throws: CLIError.usage("unknown option --bogus")) { try arguments.rejectUnknown() }
    }

    @Test(arguments: [
        ("127.0.0.1:8100", "127.0.0.1", 8100),
        ("0.0.0.0:0", "0.0.0.0", 0),
        ("[::1]:8200", "::1", 8200),
        ("localhost:1", "localhost", 1),
    ])
    func listenAddresses(text: String, host: String, port: Int) throws {
        let address = try ListenAddress(parsing: text, option: "api")
        #expect(address.host == host)
        #expect(address.port == port)
    }

    @Test(arguments: ["8100", "host:", ":80", "h:65536", "h:x", "[::1]8100"])
    func badListenAddresses(text: String) {
        #expect(throws: CLIError.self) { try ListenAddress(parsing: text, option: "api") }
    }
}

@Suite struct InvocationTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lanyard-cli-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    var configFile: String { directory.appendingPathComponent("config.json").path }

    func writeRoot() throws {
        let root = #"{"AccountId":"1234567890123456","AccessKeyId":"LTAIroot","AccessKeySecret":"rootsecret"}"#
        try root.write(to: directory.appendingPathComponent("root-credentials.json"), atomically: true, encoding: .utf8)
    }

    @Test func fallsBackToTheLocalRootKey() throws {
        try writeRoot()
        var arguments = try Arguments(["--data", directory.path])
        let invocation = try Invocation.resolve(&arguments, environment: ["LANYARD_CONFIG_FILE": configFile])
        #expect(invocation.credentials.accessKeyId == "LTAIroot")
        #expect(invocation.apiEndpoint == "127.0.0.1:8100")
        #expect(arguments.options.isEmpty, "global options are consumed")
    }

    @Test func environmentBeatsProfileAndRoot() throws {
        try writeRoot()
        var file = ProfileFile()
        file.upsert(Profile(name: "default", accessKeyId: "LTAIprofile", accessKeySecret: "s"))
        try file.save(to: URL(fileURLWithPath: configFile))
        var arguments = try Arguments(["--data", directory.path])
        let invocation = try Invocation.resolve(
            &arguments,
            environment: [
                "LANYARD_CONFIG_FILE": configFile, "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenv",
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "e", "ALIBABA_CLOUD_SECURITY_TOKEN": "tok",
            ])
        #expect(invocation.credentials == CLICredentials(
            accessKeyId: "LTAIenv", accessKeySecret: "e", securityToken: "tok", source: "environment"))
    }

    @Test func namedProfileWinsAndCarriesEndpoints() throws {
        var file = ProfileFile()
        file.upsert(Profile(name: "dev", accessKeyId: "LTAIdev", accessKeySecret: "d", endpoint: "127.0.0.1:9100"))
        file.upsert(Profile(name: "other", accessKeyId: "LTAIother", accessKeySecret: "o"))
        try file.save(to: URL(fileURLWithPath: configFile))
        let attributes = try FileManager.default.attributesOfItem(atPath: configFile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        var arguments = try Arguments(["--profile", "dev"])
        let invocation = try Invocation.resolve(
            &arguments, environment: ["LANYARD_CONFIG_FILE": configFile, "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenv"])
        #expect(invocation.credentials.accessKeyId == "LTAIdev")
        #expect(invocation.apiEndpoint == "127.0.0.1:9100")
    }

    @Test func missingProfileAndMissingRootAreClearErrors() throws {
        var arguments = try Arguments(["--profile", "nope"])
        #expect(throws: CLIError.self) {
            try Invocation.resolve(&arguments, environment: ["LANYARD_CONFIG_FILE": configFile])
        }
        var bare = try Arguments(["--data", directory.appendingPathComponent("absent").path])
        do {
            _ = try Invocation.resolve(&bare, environment: ["LANYARD_CONFIG_FILE": configFile])
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("no credentials"))
        }
    }

    @Test func secretWithoutIdInEnvironmentIsAnError() throws {
        var arguments = try Arguments([])
        #expect(throws: CLIError.self) {
            try Invocation.resolve(
                &arguments,
                environment: ["LANYARD_CONFIG_FILE": configFile, "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIonly"])
        }
    }
}

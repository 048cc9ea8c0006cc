import Foundation
import Testing

@testable import LanyardCLI

@Suite struct GlobalOptionTests {
    @Test func globalOptionsBeforeTheCommandReachIt() throws {
        let routed = try CLI.route(["--profile", "dev", "--endpoint", "127.0.0.1:9", "ram", "ListUsers", "--Marker", "m"])
        #expect(routed.command == "ram")
        #expect(routed.words == ["--profile", "dev", "--endpoint", "127.0.0.1:9", "ListUsers", "--Marker", "m"])
    }

    @Test func theyResolveLikeOptionsAfterTheCommand() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lanyard-cli-\(UUID().uuidString)")
        let config = directory.appendingPathComponent("config.json")
        defer { try? FileManager.default.removeItem(at: directory) }
        var file = ProfileFile()
        file.upsert(Profile(name: "dev", accessKeyId: "LTAIdev", accessKeySecret: "d"))
        file.upsert(Profile(name: "other", accessKeyId: "LTAIother", accessKeySecret: "o"))
        try file.save(to: config)
        let routed = try CLI.route(["--profile", "dev", "--endpoint", "127.0.0.1:9", "sts", "GetCallerIdentity"])
        var arguments = try Arguments(routed.words, spec: .parameters("sts"))
        let invocation = try Invocation.resolve(&arguments, environment: ["LANYARD_CONFIG_FILE": config.path])
        #expect(invocation.credentials.accessKeyId == "LTAIdev")
        #expect(invocation.apiEndpoint == "127.0.0.1:9")
        #expect(arguments.positional == ["GetCallerIdentity"])
        #expect(arguments.options.isEmpty)
    }

    /// An AccessKey variable that is set but empty is an error, never a silent fall-back to the local root key.
    @Test(arguments: [
        (["ALIBABA_CLOUD_ACCESS_KEY_ID": "", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ""],
         "ALIBABA_CLOUD_ACCESS_KEY_ID is empty, ALIBABA_CLOUD_ACCESS_KEY_SECRET is empty"),
        (["ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"], "ALIBABA_CLOUD_ACCESS_KEY_ID is unset"),
        (["ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIx", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ""],
         "ALIBABA_CLOUD_ACCESS_KEY_SECRET is empty"),
        (["ALIBABA_CLOUD_SECURITY_TOKEN": "token"], "ALIBABA_CLOUD_ACCESS_KEY_ID is unset, ALIBABA_CLOUD_ACCESS_KEY_SECRET is unset"),
        (["ALIBABA_CLOUD_SECURITY_TOKEN": ""], "ALIBABA_CLOUD_ACCESS_KEY_ID is unset"),
    ])
    func emptyAccessKeyVariablesAreRefused(environment: [String: String], says: String) throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("lanyard-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        let root = #"{"AccountId":"1","AccessKeyId":"LTAIroot","AccessKeySecret":"r"}"#
        try Data(root.utf8).write(to: data.appendingPathComponent("root-credentials.json"))
        var arguments = try Arguments(["GetCallerIdentity"], spec: .parameters("sts"))
        var environment = environment
        environment["LANYARD_DATA"] = data.path
        environment["LANYARD_CONFIG_FILE"] = data.appendingPathComponent("none.json").path
        do {
            let invocation = try Invocation.resolve(&arguments, environment: environment)
            Issue.record("resolved to \(invocation.credentials.accessKeyId)")
        } catch {
            #expect(error.message.contains(says), "\(error.message)")
        }
    }

    @Test func ossSubcommandsFindTheirNameBehindGlobalOptionsAndSignVersion() throws {
        let routed = try CLI.route(["--region", "cn-beijing", "oss", "--sign-version", "v1", "ls"])
        #expect(routed.command == "oss")
        let split = try LeadingOptions.split(routed.words, group: "oss", extra: ["sign-version"])
        #expect(split.globals == ["--region", "cn-beijing", "--sign-version", "v1"])
        #expect(split.rest == ["ls"])
        #expect(
            throws: CLIError.usage(
                "unknown option -r before the oss command; only --profile, --endpoint, --oss-endpoint, --region, "
                    + "--data, --sign-version go there; see `lanyard oss --help`")
        ) { try LeadingOptions.split(["-r", "rm", "oss://b"], group: "oss", extra: ["sign-version"]) }
        #expect(throws: CLIError.self, "--sign-version is no global option") {
            try CLI.route(["--sign-version", "v1", "oss", "ls"])
        }
    }
}

@Suite struct CLIExitStatusTests {
    /// Credentials and an endpoint nobody listens on, so that a call that is really sent fails with status 1.
    let environment = [
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
        "LANYARD_CONFIG_FILE": "/nonexistent/lanyard-config.json", "LANYARD_ENDPOINT": "127.0.0.1:1",
    ]

    @Test(arguments: [
        ["up", "--bogus"], ["up", "-x"], ["up", "--data"], ["ram", "GetUser", "--UserName", "--profile", "admin"],
        ["--profile"], ["--bogus", "ram", "ListUsers"], ["ram", "ListUsers", "-x"], ["configure", "use"],
        ["configure", "list", "--profile", "dev"], ["configure", "--none"], ["oss", "ls", "-x"], ["oss", "cat", "-r", "oss://b/k"],
        ["version", "extra"], ["--version", "extra"], ["up", "--region", "bad region"], ["up", "--region", "CN-Hangzhou"],
        ["up", "--region", "-cn"],
    ])
    func usageErrorsExitWithTwo(words: [String]) async {
        #expect(await CLI.run(words, environment: environment) == 2)
    }

    @Test(arguments: [["--version"], ["version"], ["--help"], ["--profile", "dev", "--help"], ["ram", "-h"], ["up", "--help"]])
    func versionAndHelpSucceed(words: [String]) async {
        #expect(await CLI.run(words, environment: environment) == 0)
    }

    @Test func aDashHValueIsSentNotTakenForHelp() async {
        // Help would exit 0; the call is made and fails to connect (1).
        let words = ["ram", "CreateUser", "--UserName", "hflag", "--Comments", "-h"]
        #expect(await CLI.run(words, environment: environment) == 1)
    }
}

@Suite struct UsageBeforeCredentialsTests {
    /// No profile file, no variables, no local root key.
    let environment = ["LANYARD_CONFIG_FILE": "/nonexistent/config.json", "LANYARD_DATA": "/nonexistent/data"]

    @Test(arguments: [["apply"], ["exec"], ["exec", "web"], ["delete"], ["logs"], ["get"], ["annotate"], ["get", "pods", "-o", "xml"],
        ["get", "pods", "web", "-A"]])
    func usageErrorsComeBeforeTheMissingCredentials(_ words: [String]) async {
        #expect(await CLI.run(words, environment: environment) == 2, "a usage error (2), not 'no credentials' (1)")
    }

    @Test func withAValidCommandTheMissingCredentialsAreReported() async {
        #expect(await CLI.run(["get", "pods"], environment: environment) == 1)
    }
}

@Suite struct ConfigureTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lanyard-configure-\(UUID().uuidString)")
    var config: URL { directory.appendingPathComponent("config.json") }
    var environment: [String: String] { ["LANYARD_CONFIG_FILE": config.path] }

    func load() throws -> ProfileFile { try ProfileFile.load(from: config) }

    func configure(_ name: String) async {
        let words = ["configure", "--profile", name, "--access-key-id", "LTAI\(name)", "--access-key-secret", "s"]
        #expect(await CLI.run(words, environment: environment) == 0)
    }

    @Test func configureMakesCurrentAndUseSwitches() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        await configure("default")
        await configure("dev")
        #expect(try load().current == "dev")
        #expect(await CLI.run(["configure", "use", "default"], environment: environment) == 0)
        #expect(try load().current == "default")
        #expect(await CLI.run(["configure", "use", "nope"], environment: environment) == 1)
        #expect(try load().current == "default", "a failed switch changes nothing")
        #expect(await CLI.run(["configure", "list"], environment: environment) == 0)
    }

    @Test func useNoneGoesBackToTheLocalRootKey() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        await configure("dev")
        let root = #"{"AccountId":"1","AccessKeyId":"LTAIroot","AccessKeySecret":"r"}"#
        try root.write(to: directory.appendingPathComponent("root-credentials.json"), atomically: true, encoding: .utf8)
        var arguments = try Arguments(["--data", directory.path], spec: .parameters("ram"))
        #expect(try Invocation.resolve(&arguments, environment: environment).credentials.accessKeyId == "LTAIdev")
        #expect(await CLI.run(["configure", "use", "--none"], environment: environment) == 0)
        #expect(try load().current == "")
        #expect(try load().profiles.map(\.name) == ["dev"], "the profile stays, only not current")
        arguments = try Arguments(["--data", directory.path], spec: .parameters("ram"))
        #expect(try Invocation.resolve(&arguments, environment: environment).credentials.accessKeyId == "LTAIroot")
    }

    @Test(arguments: [
        ["--profile", ""], ["--profile", "two words"], ["--profile", String(repeating: "p", count: 65)],
        ["--access-key-id", ""], ["--access-key-secret", ""],
    ])
    func badProfilesAreRefusedAndNothingIsSaved(_ change: [String]) async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        var words = ["configure", "--profile", "ok", "--access-key-id", "LTAIok", "--access-key-secret", "s"]
        let at = words.firstIndex(of: change[0])!
        words[at + 1] = change[1]
        #expect(await CLI.run(words, environment: environment) == 2)
        #expect(!FileManager.default.fileExists(atPath: config.path))
    }

    @Test(arguments: [
        ("{not json", "(not JSON)"), (#"{"current": "", "profiles": [{"name": 3}]}"#, "(expected String at .profiles[0].name)"),
        (#"{"current": "", "profiles": [{"name": "a"}]}"#, #"("mode" is missing at .profiles[0])"#),
    ])
    func aBrokenProfileFileIsExplainedInALine(content: String, says: String) throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try content.write(to: config, atomically: true, encoding: .utf8)
        #expect {
            try load()
        } throws: { error in
            let message = (error as? CLIError)?.message ?? ""
            return message.hasSuffix(says) && !message.contains("\n") && !message.contains("Debug")
        }
    }

    @Test func deleteRemovesAndUnsetsCurrent() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        await configure("default")
        await configure("dev")
        #expect(await CLI.run(["configure", "delete", "default"], environment: environment) == 0)
        #expect(try load() == ProfileFile(current: "dev", profiles: [Profile(name: "dev", accessKeyId: "LTAIdev", accessKeySecret: "s")]))
        #expect(await CLI.run(["configure", "delete", "dev"], environment: environment) == 0)
        #expect(try load() == ProfileFile(current: "", profiles: []))
        #expect(await CLI.run(["configure", "delete", "dev"], environment: environment) == 1)
    }
}

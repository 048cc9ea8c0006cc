import Foundation
@testable import LanyardCLI
import Testing

@Suite struct ArgumentsTests {
    @Test func splitsPositionalsAndOptions() throws {
        let arguments = try Arguments(["CreateRole", "--RoleName", "R", "--Description=a b", "extra"], spec: .parameters("ram"))
        #expect(arguments.positional == ["CreateRole", "extra"])
        #expect(arguments.value("RoleName") == "R")
        #expect(arguments.value("Description") == "a b")
        #expect(arguments.value("rolename") == nil, "option names are case-sensitive")
    }

    @Test func valuesMayLookLikeJSONOrStartWithDashes() throws {
        let arguments = try Arguments(["--Policy", #"{"Version":"1"}"#, "--Name", "-x"], spec: .parameters("ram"))
        #expect(arguments.value("Policy") == #"{"Version":"1"}"#)
        #expect(arguments.value("Name") == "-x")
    }

    @Test func doubleDashEndsOptions() throws {
        let arguments = try Arguments(["pod", "--", "ls", "--all"], spec: .parameters("ram"))
        #expect(arguments.positional == ["pod", "ls", "--all"])
        #expect(arguments.options.isEmpty)
    }

    @Test func flagsTakeNoValue() throws {
        var arguments = try Arguments(["--recursive", "a", "b"], spec: OptionSpec(command: "oss rm", flags: ["recursive"]))
        let first = arguments.takeFlag("recursive")
        let second = arguments.takeFlag("recursive")
        #expect(first)
        #expect(!second, "a taken flag is gone")
        #expect(arguments.positional == ["a", "b"])
    }

    @Test func missingValueIsAUsageError() {
        #expect(throws: CLIError.usage("--RoleName needs a value")) { try Arguments(["--RoleName"], spec: .parameters("ram")) }
    }

    @Test(arguments: [
        ["--bogus"], ["--bogus", "1"], ["--data", "d", "--bogus"], ["--bogus=1"],
    ])
    func unknownOptionsOfAFixedSetAreReportedAsUnknown(words: [String]) {
        #expect(throws: CLIError.usage("unknown option --bogus for `lanyard up`; see `lanyard up --help`")) {
            try Arguments(words, spec: UpCommand.options)
        }
    }

    @Test func aFixedSetNeverTakesAnOptionAsAValue() {
        #expect(throws: CLIError.usage("--data needs a value")) {
            try Arguments(["--data", "--api", "127.0.0.1:0"], spec: UpCommand.options)
        }
        #expect(throws: CLIError.usage("--data needs a value")) {
            try Arguments(["--data", "--bogus"], spec: UpCommand.options)
        }
        #expect(throws: CLIError.usage("--metadata-require-token takes no value")) {
            try Arguments(["--metadata-require-token=yes"], spec: UpCommand.options)
        }
        #expect(throws: CLIError.usage("unknown option -x for `lanyard up`; see `lanyard up --help`")) {
            try Arguments(["-x"], spec: UpCommand.options)
        }
    }

    @Test(arguments: ["--profile", "--endpoint", "--oss-endpoint", "--region", "--data", "--region=cn-beijing"])
    func parameterValuesNeverSwallowAGlobalOption(global: String) {
        #expect(throws: CLIError.usage("--UserName needs a value")) {
            try Arguments(["GetUser", "--UserName", global, "admin"], spec: .parameters("ram"))
        }
    }

    @Test func parameterValuesMayBeDashWordsHelpWordsOrLiteralGlobals() throws {
        let arguments = try Arguments(
            ["CreateUser", "--UserName", "hflag", "--Comments", "-h", "--DisplayName", "--help", "--Email=--profile"],
            spec: .parameters("ram"))
        #expect(!arguments.wantsHelp, "-h and --help as values are values")
        #expect(arguments.positional == ["CreateUser"])
        #expect(arguments.value("Comments") == "-h")
        #expect(arguments.value("DisplayName") == "--help")
        #expect(arguments.value("Email") == "--profile")
    }

    @Test(arguments: [
        ["CreateUser", "-h"], ["--help"], ["CreateUser", "--UserName", "u", "--help"], ["-h", "--UserName"],
    ])
    func helpInOptionPositionIsHelp(words: [String]) throws {
        #expect(try Arguments(words, spec: .parameters("ram")).wantsHelp)
    }

    @Test func helpWinsOverOtherMistakesAndStopsAtDoubleDash() throws {
        #expect(try Arguments(["--bogus", "--help"], spec: UpCommand.options).wantsHelp)
        #expect(try Arguments(["-x", "-h"], spec: UpCommand.options).wantsHelp)
        #expect(try !Arguments(["web", "--", "ls", "-h"], spec: ExecCommand.options).wantsHelp)
        #expect(try Arguments(["web", "ls", "-h"], spec: ExecCommand.options).wantsHelp, "without --, -h is an option")
    }

    @Test(arguments: [
        ([], [], []),
        (["ram", "ListUsers"], [], ["ram", "ListUsers"]),
        (["--profile", "dev", "sts", "GetCallerIdentity"], ["--profile", "dev"], ["sts", "GetCallerIdentity"]),
        (["--endpoint", "127.0.0.1:9", "--region=cn-beijing", "ram"], ["--endpoint", "127.0.0.1:9", "--region=cn-beijing"], ["ram"]),
        (["--data", "d", "--help"], ["--data", "d"], ["--help"]),
        (["--profile", "p", "--version"], ["--profile", "p"], ["--version"]),
        (["-h"], [], ["-h"]),
    ] as [([String], [String], [String])])
    func leadingGlobalOptionsAreSplitOff(words: [String], globals: [String], rest: [String]) throws {
        let split = try LeadingOptions.split(words)
        #expect(split.globals == globals)
        #expect(split.rest == rest)
    }

    @Test func leadingOptionsMustBeGlobalAndHaveValues() {
        #expect(throws: CLIError.usage("--profile needs a value")) { try LeadingOptions.split(["--profile"]) }
        #expect(throws: CLIError.usage("--profile needs a value")) {
            try LeadingOptions.split(["--profile", "--endpoint", "x", "ram"])
        }
        #expect(
            throws: CLIError.usage(
                "unknown option --bogus before the command; only --profile, --endpoint, --oss-endpoint, --region, "
                    + "--data go there; see `lanyard --help`")
        ) { try LeadingOptions.split(["--bogus=1", "ram"]) }
        #expect(throws: CLIError.self, "kubectl's -n is a pod command's option") {
            try LeadingOptions.split(["-n", "team", "get", "pods"])
        }
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
        var arguments = try Arguments(["--data", directory.path], spec: .parameters("ram"))
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
        var arguments = try Arguments(["--data", directory.path], spec: .parameters("ram"))
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
        var arguments = try Arguments(["--profile", "dev"], spec: .parameters("ram"))
        let invocation = try Invocation.resolve(
            &arguments, environment: ["LANYARD_CONFIG_FILE": configFile, "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenv"])
        #expect(invocation.credentials.accessKeyId == "LTAIdev")
        #expect(invocation.apiEndpoint == "127.0.0.1:9100")
    }

    @Test func missingProfileAndMissingRootAreClearErrors() throws {
        var arguments = try Arguments(["--profile", "nope"], spec: .parameters("ram"))
        #expect(throws: CLIError.self) {
            try Invocation.resolve(&arguments, environment: ["LANYARD_CONFIG_FILE": configFile])
        }
        var bare = try Arguments(["--data", directory.appendingPathComponent("absent").path], spec: .parameters("ram"))
        do {
            _ = try Invocation.resolve(&bare, environment: ["LANYARD_CONFIG_FILE": configFile])
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("no credentials"))
        }
    }

    @Test func secretWithoutIdInEnvironmentIsAnError() throws {
        var arguments = try Arguments([], spec: .parameters("ram"))
        #expect(throws: CLIError.self) {
            try Invocation.resolve(
                &arguments,
                environment: ["LANYARD_CONFIG_FILE": configFile, "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIonly"])
        }
    }
}

@Suite struct MetadataOptionTests {
    private func parse(_ words: [String]) throws(CLIError) -> [String: String] {
        var arguments = try Arguments(words, spec: OSSCommand.options("cp"))
        return try OSSCommand.metadataOptions(&arguments)
    }

    @Test func namesAreLowerCasedAndValuesKept() throws {
        #expect(try parse(["a", "b", "--meta", "Owner_Team=data eng", "--meta", "x-1=a=b"]) == ["owner_team": "data eng", "x-1": "a=b"])
    }

    /// Whatever a header cannot carry unchanged is refused here, not dropped or left to fail as a bad signature.
    @Test(arguments: ["bad name=v", "naïve=v", "a/b=v", "=v", "n", "n=line\nbreak", "n=caf\u{e9}", "n=", "n=  ", "n= x", "n=x\t"])
    func refusedMetadata(option: String) {
        #expect(throws: CLIError.self) { try parse(["a", "b", "--meta", option]) }
    }

    @Test func aNameGivenTwiceIsRefused() {
        #expect(throws: CLIError.self) { try parse(["a", "b", "--meta", "a=1", "--meta", "A=2"]) }
    }
}

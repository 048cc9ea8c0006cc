import Foundation

/// The `lanyard` command: dispatches the first word to a subcommand and turns failures into one line on
/// stderr and an exit status.
public enum CLI {
    static let overview = """
        lanyard: pod identity without AccessKeys — RAM, STS, ECI pods with a metadata service, and OSS, on one machine.

        Usage: lanyard <command> [options]

        Server:
          up                       run RAM/STS/ECI, OSS and the pod agent in the foreground

        Alibaba Cloud APIs (aliyun CLI style):
          ram <Action> [--Param value ...]   call a RAM 2015-05-01 action
          sts <Action> [--Param value ...]   call an STS 2015-04-01 action
          eci <Action> [--Param value ...]   call an ECI 2018-08-08 action
          configure                          save credentials and endpoints as a profile

        Global options for client commands:
          --profile NAME     use this profile from ~/.lanyard/config.json
          --endpoint H:P     RAM/STS/ECI endpoint (default 127.0.0.1:8100, env LANYARD_ENDPOINT)
          --region R         region id (default cn-hangzhou)
          --data DIR         where a local `lanyard up` keeps its root key (default ./.lanyard)

        Credentials come from --profile, else ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET /
        ALIBABA_CLOUD_SECURITY_TOKEN, else the current profile, else the local root key.
        `lanyard <command> --help` describes each command.
        """

    /// Runs the command line `words` (without the program name); returns the exit status.
    public static func run(_ words: [String], environment: [String: String]) async -> Int32 {
        guard let command = words.first, command != "--help", command != "-h", command != "help" else {
            print(overview)
            return words.isEmpty ? 2 : 0
        }
        let rest = Array(words.dropFirst())
        do throws(CLIError) {
            switch command {
            case "up":
                return try await UpCommand.run(rest, environment: environment)
            case "configure":
                return try ConfigureCommand.run(rest, environment: environment)
            case let name where RPCProduct.all.contains { $0.command == name }:
                let product = RPCProduct.all.first { $0.command == name }!
                return try await RPCCommand.run(product, rest, environment: environment)
            default:
                throw CLIError.usage("unknown command \"\(command)\"; see `lanyard --help`")
            }
        } catch {
            FileHandle.standardError.write(Data("lanyard: \(error.message)\n".utf8))
            return error.exitStatus
        }
    }

    /// Whether `words` ask for help.
    static func wantsHelp(_ words: [String]) -> Bool { words.contains("--help") || words.contains("-h") }
}

/// `lanyard ram|sts|eci <Action> --Param value ...`
enum RPCCommand {
    static func help(_ product: RPCProduct) -> String {
        """
        Usage: lanyard \(product.command) <Action> [--Param value ...] [--profile P] [--endpoint H:P] [--region R]

        Calls any \(product.command.uppercased()) \(product.version) action, signed with signature V1, and prints the JSON result.
        Every --Name value pair becomes the request parameter Name (names are case-sensitive).
        Example: lanyard \(product.command) \(product.command == "sts" ? "AssumeRole --RoleArn acs:ram::<account>:role/R --RoleSessionName s" : product.command == "ram" ? "CreateRole --RoleName R --AssumeRolePolicyDocument \"$(cat trust.json)\"" : "DescribeContainerGroups")
        """
    }

    static func run(_ product: RPCProduct, _ words: [String], environment: [String: String]) async throws(CLIError)
        -> Int32
    {
        if CLI.wantsHelp(words) {
            print(help(product))
            return 0
        }
        var arguments = try Arguments(words)
        let invocation = try Invocation.resolve(&arguments, environment: environment)
        guard arguments.positional.count == 1, let action = arguments.positional.first else {
            throw .usage(
                arguments.positional.isEmpty
                    ? "missing action: lanyard \(product.command) <Action> [--Param value ...]"
                    : "unexpected words after the action: \(arguments.positional.dropFirst().joined(separator: " "))")
        }
        let parameters = try arguments.options.map { option throws(CLIError) -> (name: String, value: String) in
            guard let value = option.value else { throw .usage("option --\(option.name) needs a value") }
            return (option.name, value)
        }
        let client = RPCClient(
            endpoint: invocation.apiEndpoint, credentials: invocation.credentials, region: invocation.region)
        let result = try await client.call(product, action: action, parameters: parameters)
        print(prettyJSON(result))
        return 0
    }
}

/// `lanyard configure`: writes a profile.
enum ConfigureCommand {
    static let help = """
        Usage: lanyard configure [--profile NAME] --access-key-id ID --access-key-secret SECRET
                                 [--sts-token TOKEN] [--region R] [--endpoint H:P] [--oss-endpoint H:P]

        Saves a profile (default name "default") to ~/.lanyard/config.json (or $LANYARD_CONFIG_FILE), mode 0600,
        and makes it current. `lanyard configure list` shows the profiles without their secrets.
        """

    static func run(_ words: [String], environment: [String: String]) throws(CLIError) -> Int32 {
        if CLI.wantsHelp(words) {
            print(help)
            return 0
        }
        var arguments = try Arguments(words)
        let location = ProfileFile.location(environment: environment)
        var file = try ProfileFile.load(from: location)
        if arguments.positional == ["list"] {
            try arguments.rejectUnknown()
            for profile in file.profiles {
                let marker = profile.name == file.current ? "*" : " "
                print(
                    "\(marker) \(profile.name)\t\(profile.mode)\t\(profile.accessKeyId)\t\(profile.endpoint ?? "127.0.0.1:8100")"
                )
            }
            return 0
        }
        guard arguments.positional.isEmpty else {
            throw .usage("unexpected \"\(arguments.positional[0])\"; see `lanyard configure --help`")
        }
        let name = arguments.take("profile") ?? "default"
        guard let id = arguments.take("access-key-id"), let secret = arguments.take("access-key-secret") else {
            throw .usage("configure needs --access-key-id and --access-key-secret")
        }
        let profile = Profile(
            name: name, accessKeyId: id, accessKeySecret: secret, stsToken: arguments.take("sts-token"),
            regionId: arguments.take("region"), endpoint: arguments.take("endpoint"),
            ossEndpoint: arguments.take("oss-endpoint"))
        try arguments.rejectUnknown()
        file.upsert(profile)
        try file.save(to: location)
        print("saved profile \"\(name)\" to \(location.path)")
        return 0
    }
}

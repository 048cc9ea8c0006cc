import Foundation

/// The `lanyard` command: dispatches the first word to a subcommand and turns failures into one line on
/// stderr and an exit status.
public enum CLI {
    static let overview = """
        lanyard: pod identity without AccessKeys — RAM, STS, ECI pods with a metadata service, and OSS, on one machine.

        Usage: lanyard [global options] <command> [options]

        Server:
          up                       run RAM/STS/ECI, OSS and the pod agent in the foreground

        Alibaba Cloud APIs (aliyun CLI style):
          ram <Action> [--Param value ...]   call a RAM 2015-05-01 action
          sts <Action> [--Param value ...]   call an STS 2015-04-01 action
          eci <Action> [--Param value ...]   call an ECI 2018-08-08 action
          configure                          save credentials and endpoints as a profile (and make it current)
          configure list|use NAME|use --none|delete NAME
                                             list profiles, switch the current one, or delete one
          oss mb|rb|ls|cp|cat|rm|stat|presign   object storage with oss://bucket/key URLs (ossutil style)

        Pods (kubectl style, through the signed ECI API):
          apply -f FILE|-                    create pods from Pod and Deployment manifests
          get pods|deployments [-o wide|json|yaml|name]
                                             list pods (wide: IP, node, RAM role) or deployments
          describe pod|deployment NAME       a pod's role, role ARN, credential expiry, containers, events;
                                             a deployment's replicas, template hash, role and pods
          logs POD [-c CONTAINER] [--tail N] print a container's output
          exec POD|deploy/NAME [-c C] [-i] -- CMD...
                                             run a command inside a pod; exits with its exit code
          delete pod|deployment NAME | -f FILE
                                             delete pods, a deployment's pods, or a file's objects
          annotate pod NAME KEY=VALUE...     store annotations (read only at creation: the role stays)

        Other:
          version, --version                 print the version

        Global options for client commands, before or after the command
        (`lanyard --profile dev sts GetCallerIdentity` = `lanyard sts GetCallerIdentity --profile dev`):
          --profile NAME     use this profile from ~/.lanyard/config.json
          --endpoint H:P     RAM/STS/ECI endpoint (default 127.0.0.1:8100, env LANYARD_ENDPOINT)
          --oss-endpoint H:P OSS endpoint (default 127.0.0.1:8200, env LANYARD_OSS_ENDPOINT)
          --region R         region id (default cn-hangzhou)
          --data DIR         where a local `lanyard up` keeps its root key (default ./.lanyard)
        Pod commands also take, after the command word:
          -n NAMESPACE, -A   the namespace (default "default"), or all namespaces

        Credentials come from --profile, else ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET /
        ALIBABA_CLOUD_SECURITY_TOKEN, else the current profile, else the local root key.
        `lanyard <command> --help` (or -h, in option position) describes each command.
        """

    /// The version `lanyard --version` prints and `lanyard up` reports first.
    public static let version = "0.1.0"

    /// Runs the command line `words` (without the program name); returns the exit status. Global options
    /// (`--profile`, `--endpoint`, `--oss-endpoint`, `--region`, `--data`) may come before the command.
    public static func run(_ words: [String], environment: [String: String]) async -> Int32 {
        do throws(CLIError) {
            let (command, rest) = try route(words)
            guard let command, command != "--help", command != "-h", command != "help" else {
                print(overview)
                return command == nil ? 2 : 0
            }
            if command == "--version" || command == "version" {
                guard rest.isEmpty else { throw .usage("`lanyard \(command)` takes no arguments (got \"\(rest[0])\")") }
                print("lanyard \(version)")
                return 0
            }
            switch command {
            case "up":
                return try await UpCommand.run(rest, environment: environment)
            case "configure":
                return try ConfigureCommand.run(rest, environment: environment)
            case "oss":
                return try await OSSCommand.run(rest, environment: environment)
            case "apply":
                return try await ApplyCommand.run(rest, environment: environment)
            case "get":
                return try await GetCommand.run(rest, environment: environment)
            case "describe":
                return try await DescribeCommand.run(rest, environment: environment)
            case "logs":
                return try await LogsCommand.run(rest, environment: environment)
            case "exec":
                return try await ExecCommand.run(rest, environment: environment)
            case "delete":
                return try await DeleteCommand.run(rest, environment: environment)
            case "annotate":
                return try await AnnotateCommand.run(rest, environment: environment)
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

    /// The command word and the words it receives: global options given before the command move in front of
    /// the command's own words (`--profile dev sts GetCallerIdentity` → `sts`, `--profile dev GetCallerIdentity`).
    static func route(_ words: [String]) throws(CLIError) -> (command: String?, words: [String]) {
        let (globals, rest) = try LeadingOptions.split(words)
        return (rest.first, globals + rest.dropFirst())
    }
}

/// `lanyard ram|sts|eci <Action> --Param value ...`
enum RPCCommand {
    static func help(_ product: RPCProduct) -> String {
        """
        Usage: lanyard \(product.command) <Action> [--Param value ...] [--profile P] [--endpoint H:P] [--region R]

        Calls any \(product.command.uppercased()) \(product.version) action, signed with signature V1, and prints the JSON result.
        Every --Name value pair (or --Name=value) becomes the request parameter Name (names are case-sensitive).
        A value may be anything, JSON or words starting with -, except a global option (--profile, --endpoint,
        --oss-endpoint, --region, --data): write --Name=--profile to send that literally. -h or --help in option position prints this help.
        Example: lanyard \(product.command) \(product.command == "sts" ? "AssumeRole --RoleArn acs:ram::<account>:role/R --RoleSessionName s" : product.command == "ram" ? "CreateRole --RoleName R --AssumeRolePolicyDocument \"$(cat trust.json)\"" : "DescribeContainerGroups")
        """
    }

    static func run(_ product: RPCProduct, _ words: [String], environment: [String: String]) async throws(CLIError)
        -> Int32
    {
        var arguments = try Arguments(words, spec: .parameters(product.command))
        if arguments.wantsHelp {
            print(help(product))
            return 0
        }
        guard arguments.positional.count == 1, let action = arguments.positional.first else {
            throw .usage(
                arguments.positional.isEmpty
                    ? "missing action: lanyard \(product.command) <Action> [--Param value ...]"
                    : "unexpected words after the action: \(arguments.positional.dropFirst().joined(separator: " "))")
        }
        let invocation = try Invocation.resolve(&arguments, environment: environment)
        // The parameters spec declares no flags, so every option has a value.
        let parameters = arguments.options.map { (name: $0.name, value: $0.value ?? "") }
        let client = RPCClient(
            endpoint: invocation.apiEndpoint, credentials: invocation.credentials, region: invocation.region)
        let result = try await client.call(product, action: action, parameters: parameters)
        print(prettyJSON(result))
        return 0
    }
}

import Foundation

/// `lanyard configure`: writes a profile.
enum ConfigureCommand {
    static let help = """
        Usage: lanyard configure [--profile NAME] --access-key-id ID --access-key-secret SECRET
                                 [--sts-token TOKEN] [--region R] [--endpoint H:P] [--oss-endpoint H:P]

        Saves a profile (default name "default") to ~/.lanyard/config.json (or $LANYARD_CONFIG_FILE), mode 0600,
        and makes it current. `lanyard configure list` shows the profiles without their secrets.
        """

    /// The options `configure` takes.
    static let options = OptionSpec(
        command: "configure",
        valued: ["profile", "access-key-id", "access-key-secret", "sts-token", "region", "endpoint", "oss-endpoint"])

    static func run(_ words: [String], environment: [String: String]) throws(CLIError) -> Int32 {
        var arguments = try Arguments(words, spec: options)
        if arguments.wantsHelp {
            print(help)
            return 0
        }
        let location = ProfileFile.location(environment: environment)
        var file = try ProfileFile.load(from: location)
        if arguments.positional == ["list"] {
            if let option = arguments.options.first { throw .usage("configure list takes no --\(option.name)") }
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
        file.upsert(profile)
        try file.save(to: location)
        print("saved profile \"\(name)\" to \(location.path)")
        return 0
    }
}

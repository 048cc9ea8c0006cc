import Foundation

/// `lanyard configure`: saves a profile and makes it current; `list`, `use NAME`, `use --none` and
/// `delete NAME` look at and switch the profiles.
enum ConfigureCommand {
    static let help = """
        Usage: lanyard configure [--profile NAME] --access-key-id ID --access-key-secret SECRET
                                 [--sts-token TOKEN] [--region R] [--endpoint H:P] [--oss-endpoint H:P]
               lanyard configure list
               lanyard configure use NAME
               lanyard configure use --none
               lanyard configure delete NAME

        Saves a profile (default name "default") to ~/.lanyard/config.json (or $LANYARD_CONFIG_FILE), mode 0600,
        and makes it current, as the aliyun CLI does: from then on, commands without --profile use it (unless
        ALIBABA_CLOUD_ACCESS_KEY_ID is set).
          list          shows the profiles without their secrets; * marks the current one
          use NAME      makes profile NAME current
          use --none    makes no profile current: commands use the environment, else the local root key
                        (<data>/root-credentials.json of `lanyard up`)
          delete NAME   deletes profile NAME (if it was current, no profile is current any more)
        """

    /// The options `configure` takes (`--none` only with `use`).
    static let options = OptionSpec(
        command: "configure", valued: ["profile", "access-key-id", "access-key-secret", "sts-token", "region", "endpoint", "oss-endpoint"],
        flags: ["none"])

    /// What a profile name may contain: it is shown in lists and messages, and typed after `--profile`.
    static let profileNameCharacters = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")

    static func run(_ words: [String], environment: [String: String]) throws(CLIError) -> Int32 {
        var arguments = try Arguments(words, spec: options)
        if arguments.wantsHelp {
            print(help)
            return 0
        }
        let location = ProfileFile.location(environment: environment)
        var file = try ProfileFile.load(from: location)
        let positional = arguments.positional
        switch positional.first {
        case nil:
            guard !arguments.has("none") else { throw .usage("--none goes with `lanyard configure use --none`") }
            let name = arguments.take("profile") ?? "default"
            guard name.utf8.count <= 64, !name.isEmpty, name.unicodeScalars.allSatisfy(Self.profileNameCharacters.contains) else {
                throw .usage("--profile \"\(name.prefix(64))\": a profile name is 1 to 64 letters, digits, '.', '-' and '_'")
            }
            guard let id = arguments.take("access-key-id"), let secret = arguments.take("access-key-secret") else {
                throw .usage("configure needs --access-key-id and --access-key-secret")
            }
            guard !id.isEmpty, !secret.isEmpty else {
                throw .usage("configure: --access-key-id and --access-key-secret must not be empty")
            }
            file.upsert(
                Profile(
                    name: name, accessKeyId: id, accessKeySecret: secret, stsToken: arguments.take("sts-token"),
                    regionId: arguments.take("region"), endpoint: arguments.take("endpoint"),
                    ossEndpoint: arguments.take("oss-endpoint")))
            try file.save(to: location)
            print("saved profile \"\(name)\" to \(location.path)")
            print("profile \(name) is now current; commands without --profile use it (switch back: lanyard configure use NAME | use --none)")
        case "list":
            try noOptions(arguments, positional, count: 1)
            if file.profiles.isEmpty { print("no profiles in \(location.path)") }
            for profile in file.profiles {
                let marker = profile.name == file.current ? "*" : " "
                print(
                    "\(marker) \(profile.name)\t\(profile.mode)\t\(profile.accessKeyId)\t\(profile.endpoint ?? "127.0.0.1:8100")")
            }
            if file.currentProfile == nil {
                print("no current profile: commands use ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, else the local root key")
            }
        case "use":
            if arguments.takeFlag("none") {
                try noOptions(arguments, positional, count: 1)
                file.current = ""
                try file.save(to: location)
                print("no profile is current; commands without --profile use the environment, else the local root key")
                return 0
            }
            try noOptions(arguments, positional, count: 2)
            let name = positional[1]
            guard file.profile(named: name) != nil else {
                let have = file.profiles.isEmpty ? "none saved" : "have: " + file.profiles.map(\.name).joined(separator: ", ")
                throw .configuration("no profile \"\(name)\" in \(location.path) (\(have))")
            }
            file.current = name
            try file.save(to: location)
            print("profile \(name) is now current; commands without --profile use it")
        case "delete":
            try noOptions(arguments, positional, count: 2)
            let name = positional[1]
            let wasCurrent = file.current == name
            guard file.remove(named: name) else {
                throw .configuration("no profile \"\(name)\" in \(location.path)")
            }
            try file.save(to: location)
            print("deleted profile \"\(name)\"")
            if wasCurrent {
                print("no profile is current now; commands without --profile use the environment, else the local root key")
            }
        case let word?:
            throw .usage("unexpected \"\(word)\"; see `lanyard configure --help`")
        }
        return 0
    }

    /// Fails unless `arguments` hold no options and exactly `count` words (`use NAME` is 2).
    private static func noOptions(_ arguments: Arguments, _ positional: [String], count: Int) throws(CLIError) {
        let usage = positional[0] == "list" ? "list" : "\(positional[0]) NAME"
        if let option = arguments.options.first {
            throw .usage("configure \(positional[0]) takes no --\(option.name); usage: lanyard configure \(usage)")
        }
        guard positional.count == count else {
            throw .usage("usage: lanyard configure \(usage)\(positional[0] == "use" ? " | use --none" : "")")
        }
    }
}

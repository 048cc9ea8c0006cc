import AlibabaCloudSigning
import AlibabaCloudTestSupport
import Foundation
import Testing

@testable import AlibabaCloudCredentials

/// A fresh temporary directory, removed afterwards.
func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
    let path = NSTemporaryDirectory() + "credentials-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// A loopback STS answering AssumeRole after checking the RPC V1 signature against `secrets`.
final class TestSTSServer: Sendable {
    let calls = Box<[[String: String]]>([])
    private let server: TestHTTPServer
    var url: URL { server.baseURL }

    init(secrets: [String: String], clock: ManualClock) throws {
        let calls = calls
        server = try TestHTTPServer { request in
            var pairs: [(name: String, value: String)] = []
            for item in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                pairs.append(
                    (String(parts[0]).removingPercentEncoding ?? "",
                     parts.count > 1 ? String(parts[1]).removingPercentEncoding ?? "" : ""))
            }
            let fields = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
            calls.with { $0.append(fields) }
            guard request.method == "POST",
                request.headers["content-type"] == "application/x-www-form-urlencoded",
                let secret = secrets[fields["AccessKeyId"] ?? ""],
                fields["Signature"]
                    == RPCSignatureV1.signature(
                        stringToSign: RPCSignatureV1.stringToSign(method: "POST", parameters: pairs), secret: secret)
            else {
                return .json(400, #"{"RequestId":"R1","Code":"SignatureDoesNotMatch","Message":"bad signature"}"#)
            }
            guard fields["RoleArn"] == "acs:ram::1234567890123456:role/reader" else {
                return .json(404, #"{"RequestId":"R2","Code":"EntityNotExist.Role","Message":"The role not exists"}"#)
            }
            let n = calls.current.count
            let expiration = SigningTime.iso8601(clock.now + Double(fields["DurationSeconds"].flatMap(Int.init) ?? 0))
            return .json(
                200,
                #"{"RequestId":"R3","AssumedRoleUser":{"Arn":"x","AssumedRoleId":"y"},"Credentials":{"#
                    + #""AccessKeyId":"STS.assumed-\#(n)","AccessKeySecret":"as-\#(n)","SecurityToken":"at-\#(n)","#
                    + #""Expiration":"\#(expiration)"}}"#)
        }
    }

    func shutdown() { server.shutdown() }
}

/// What a provider should produce: credentials with this key ID, or an error with this code.
enum Outcome: Sendable {
    case key(String)
    case error(String)
}

@Suite("Environment, profiles, AssumeRole, credentials URI and the default chain")
struct ProfileAndChainTests {
    @Test(
        arguments: [
            ([String: String](), nil, nil),
            (["ALIBABA_CLOUD_ACCESS_KEY_ID": "AK"], nil, nil),
            (["ALIBABA_CLOUD_ACCESS_KEY_ID": "AK", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "SK"], Optional("AK"), String?.none),
            (
                [
                    "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.AK", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "SK",
                    "ALIBABA_CLOUD_SECURITY_TOKEN": "TOK",
                ], "STS.AK", "TOK"
            ),
        ] as [([String: String], String?, String?)])
    func environment(variables: [String: String], keyId: String?, token: String?) async throws {
        let provider = EnvironmentCredentialsProvider(environment: variables)
        if let keyId {
            let credentials = try await provider.credentials()
            #expect(credentials.accessKeyId == keyId)
            #expect(credentials.accessKeySecret == "SK")
            #expect(credentials.securityToken == token)
        } else {
            let error = await #expect(throws: CredentialsError.self) { try await provider.credentials() }
            #expect(error?.code == CredentialsError.notConfigured)
        }
    }

    @Test func staticSTSCredentialsServeUntilTheirExpiryAndThenFail() async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = CredentialsClock { now }
        let valid = StaticSTSCredentialsProvider(
            accessKeyId: "STS.AK", accessKeySecret: "SK", securityToken: "TOK", expiration: now.addingTimeInterval(1), clock: clock)
        #expect(try await valid.credentials().securityToken == "TOK")
        let unbounded = StaticSTSCredentialsProvider(accessKeyId: "STS.AK", accessKeySecret: "SK", securityToken: "TOK", clock: clock)
        #expect(try await unbounded.credentials().accessKeyId == "STS.AK")
        let expired = StaticSTSCredentialsProvider(
            accessKeyId: "STS.AK", accessKeySecret: "SK", securityToken: "TOK", expiration: now, clock: clock)
        let error = await #expect(throws: CredentialsError.self) { try await expired.credentials() }
        #expect(error?.code == CredentialsError.expired)
        #expect(error?.message.contains("2027-01-15T08:00:00Z") == true, "\(String(describing: error))")
    }

    @Test func iniParsing() {
        let sections = INIFile.parse(
            """
            # comment
            [default]
            type = access_key
            access_key_id = foo
            ; another
            access_key_secret = "bar"

            [empty]
            [other]
            role_name=R=1
            """)
        #expect(sections["default"] == ["type": "access_key", "access_key_id": "foo", "access_key_secret": "bar"])
        #expect(sections["empty"] == [:])
        #expect(sections["other"] == ["role_name": "R=1"])
    }

    static let cliConfig = """
        {
          "current": "ak",
          "profiles": [
            {"name": "ak", "mode": "AK", "access_key_id": "AK1", "access_key_secret": "SK1", "region_id": "cn-hangzhou"},
            {"name": "sts", "mode": "StsToken", "access_key_id": "STS.AK2", "access_key_secret": "SK2", "sts_token": "T2"},
            {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "EcsRole"},
            {"name": "role", "mode": "RamRoleArn", "access_key_id": "AK1", "access_key_secret": "SK1",
             "ram_role_arn": "acs:ram::1234567890123456:role/reader", "ram_session_name": "s1", "expired_seconds": 900},
            {"name": "chained", "mode": "ChainableRamRoleArn", "source_profile": "ak",
             "ram_role_arn": "acs:ram::1234567890123456:role/reader"},
            {"name": "loop", "mode": "ChainableRamRoleArn", "source_profile": "loop", "ram_role_arn": "x"},
            {"name": "odd", "mode": "RsaKeyPair"},
            {"name": "broken", "mode": "AK", "access_key_id": "AK1"}
          ]
        }
        """

    @Test(
        arguments: [
            (nil, nil, Outcome.key("AK1")),  // the file's current profile
            ("sts", nil, .key("STS.AK2")),
            (nil, "sts", .key("STS.AK2")),  // ALIBABA_CLOUD_PROFILE
            ("ecs", nil, .key("STS.key-1")),
            ("missing", nil, .error(CredentialsError.notConfigured)),
            ("odd", nil, .error(CredentialsError.invalidConfiguration)),
            ("broken", nil, .error(CredentialsError.invalidConfiguration)),
            ("loop", nil, .error(CredentialsError.invalidConfiguration)),
        ] as [(String?, String?, Outcome)])
    func cliProfile(profile: String?, environmentProfile: String?, expected: Outcome) async throws {
        try await withTemporaryDirectory { home throws in
            try write(Self.cliConfig, to: home + "/.aliyun/config.json")
            try await withMetadataServer { server, clock throws in
                var environment = ["HOME": home]
                environment["ALIBABA_CLOUD_PROFILE"] = environmentProfile
                let provider = CLIProfileCredentialsProvider(
                    profileName: profile, environment: environment, metadataURL: server.url, refreshPolicy: testPolicy,
                    clock: CredentialsClock { clock.now })
                switch expected {
                case .key(let keyId):
                    #expect(try await provider.credentials().accessKeyId == keyId)
                case .error(let code):
                    let error = await #expect(throws: CredentialsError.self) { try await provider.credentials() }
                    #expect(error?.code == code)
                }
            }
        }
    }

    @Test func ramRoleArnProfilesAndAssumeRole() async throws {
        do {
            let clock = ManualClock()
            let sts = try TestSTSServer(secrets: ["AK1": "SK1"], clock: clock)
            defer { sts.shutdown() }
            // Both role profiles build a RAM role ARN provider over their source (the endpoint is public,
            // so the call itself is exercised below with a loopback STS).
            let parsed = try CLIConfiguration(json: Data(Self.cliConfig.utf8), file: "config.json")
            let context = ProviderContext(
                environment: [:], metadataURL: URL(string: "http://127.0.0.1:9")!, refreshPolicy: testPolicy,
                clock: CredentialsClock { clock.now })
            for name in ["role", "chained"] {
                #expect(try parsed.provider(profile: name, context: context, depth: 0) is RAMRoleARNCredentialsProvider)
            }
            let provider = RAMRoleARNCredentialsProvider(
                source: StaticAccessKeyCredentialsProvider(accessKeyId: "AK1", accessKeySecret: "SK1"),
                roleArn: "acs:ram::1234567890123456:role/reader", roleSessionName: "s1", durationSeconds: 900,
                policy: #"{"Version":"1","Statement":[]}"#, externalId: "ext", stsEndpoint: sts.url,
                refreshPolicy: testPolicy, clock: CredentialsClock { clock.now }, environment: [:])
            let credentials = try await provider.credentials()
            #expect(credentials.accessKeyId == "STS.assumed-1")
            #expect(credentials.securityToken == "at-1")
            #expect(credentials.expiration == clock.now + 900)
            #expect(credentials.providerName == "ram_role_arn/static_ak")
            let call = try #require(sts.calls.current.first)
            #expect(call["Action"] == "AssumeRole")
            #expect(call["Version"] == "2015-04-01")
            #expect(call["Format"] == "JSON")
            #expect(call["RoleSessionName"] == "s1")
            #expect(call["DurationSeconds"] == "900")
            #expect(call["ExternalId"] == "ext")
            #expect(call["Policy"] == #"{"Version":"1","Statement":[]}"#)
            #expect(call["SignatureMethod"] == "HMAC-SHA1")
            #expect(call["SecurityToken"] == nil)
            // Cached: a second call does not reach STS.
            _ = try await provider.credentials()
            #expect(sts.calls.current.count == 1)
        }
    }

    @Test func assumeRoleErrorsCarrySTSCodes() async throws {
        let clock = ManualClock()
        let sts = try TestSTSServer(secrets: ["AK1": "SK1"], clock: clock)
        defer { sts.shutdown() }
        for (secret, role, code, status) in [
            ("SK1", "acs:ram::1234567890123456:role/none", "EntityNotExist.Role", 404),
            ("wrong", "acs:ram::1234567890123456:role/reader", "SignatureDoesNotMatch", 400),
        ] {
            let provider = RAMRoleARNCredentialsProvider(
                source: StaticAccessKeyCredentialsProvider(accessKeyId: "AK1", accessKeySecret: secret), roleArn: role,
                stsEndpoint: sts.url, refreshPolicy: testPolicy, clock: CredentialsClock { clock.now }, environment: [:])
            let error = await #expect(throws: CredentialsError.self) { try await provider.credentials() }
            #expect(error?.code == code)
            #expect(error?.status == status)
        }
    }

    @Test(
        arguments: [
            (nil, false, "https://sts.aliyuncs.com"), ("cn-shanghai", false, "https://sts.cn-shanghai.aliyuncs.com"),
            ("cn-shanghai", true, "https://sts-vpc.cn-shanghai.aliyuncs.com"),
        ] as [(String?, Bool, String)])
    func stsEndpoints(region: String?, vpc: Bool, url: String) {
        #expect(RAMRoleARNCredentialsProvider.endpoint(region: region, vpc: vpc).absoluteString == url)
    }

    @Test(
        arguments: [
            ("[default]\ntype = access_key\naccess_key_id = IA\naccess_key_secret = IS\n", nil, Outcome.key("IA")),
            ("[default]\ntype = sts\naccess_key_id = STS.I\naccess_key_secret = IS\nsecurity_token = T\n", nil, .key("STS.I")),
            ("[default]\ntype=access_key\n[pod]\ntype = ecs_ram_role\nrole_name = EcsRole\n", "pod", .key("STS.key-1")),
            ("[default]\ntype = access_key\naccess_key_id = IA\n", nil, .error(CredentialsError.invalidConfiguration)),
            ("[default]\ntype = bearer\n", nil, .error(CredentialsError.invalidConfiguration)),
            ("[other]\ntype = access_key\n", nil, .error(CredentialsError.notConfigured)),
        ] as [(String, String?, Outcome)])
    func iniProfile(file: String, profile: String?, expected: Outcome) async throws {
        try await withTemporaryDirectory { home throws in
            try write(file, to: home + "/.alibabacloud/credentials.ini")
            try await withMetadataServer { server, clock throws in
                var environment = ["HOME": home]
                environment["ALIBABA_CLOUD_PROFILE"] = profile
                let provider = INIProfileCredentialsProvider(
                    environment: environment, metadataURL: server.url, refreshPolicy: testPolicy,
                    clock: CredentialsClock { clock.now })
                switch expected {
                case .key(let keyId):
                    #expect(try await provider.credentials().accessKeyId == keyId)
                case .error(let code):
                    let error = await #expect(throws: CredentialsError.self) { try await provider.credentials() }
                    #expect(error?.code == code)
                }
            }
        }
    }

    @Test func credentialsURI() async throws {
        let clock = ManualClock()
        let hits = Box(0)
        let server = try TestHTTPServer { request in
            let n = hits.with { count in
                count += 1
                return count
            }
            guard request.path == "/creds" else { return .text(404, "no") }
            return .json(
                200,
                #"{"Code":"Success","AccessKeyId":"STS.uri-\#(n)","AccessKeySecret":"s","SecurityToken":"t","#
                    + #""Expiration":"\#(SigningTime.iso8601(clock.now + 3600))"}"#)
        }
        defer { server.shutdown() }
        let provider = try CredentialsURIProvider(
            refreshPolicy: testPolicy, clock: CredentialsClock { clock.now },
            environment: ["ALIBABA_CLOUD_CREDENTIALS_URI": server.baseURL.absoluteString + "/creds"])
        #expect(try await provider.credentials().accessKeyId == "STS.uri-1")
        #expect(try await provider.credentials().accessKeyId == "STS.uri-1")
        clock.advance(3601)
        #expect(try await provider.credentials().accessKeyId == "STS.uri-2")

        let missing = #expect(throws: CredentialsError.self) { try CredentialsURIProvider(environment: [:]) }
        #expect(missing?.code == CredentialsError.notConfigured)
        let notFound = try CredentialsURIProvider(uri: server.baseURL.appendingPathComponent("other"), environment: [:])
        let error = await #expect(throws: CredentialsError.self) { try await notFound.credentials() }
        #expect(error?.status == 404)
    }

    @Test func defaultChainOrder() async throws {
        try await withTemporaryDirectory { home throws in
            try await withMetadataServer { server, clock throws in
                func chain(_ extra: [String: String]) -> DefaultCredentialsProvider {
                    DefaultCredentialsProvider(
                        environment: extra.merging(["HOME": home]) { a, _ in a }, metadataURL: server.url,
                        refreshPolicy: testPolicy, clock: CredentialsClock { clock.now })
                }
                let env = ["ALIBABA_CLOUD_ACCESS_KEY_ID": "ENV", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "S"]
                #expect(chain([:]).providerNames == ["environment", "cli_profile", "ini_profile", "ecs_ram_role"])
                #expect(
                    chain([
                        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "true",
                        "ALIBABA_CLOUD_CREDENTIALS_URI": "http://127.0.0.1:9/x",
                    ]).providerNames == ["environment", "ini_profile", "credentials_uri"])

                // Nothing configured but the metadata service: the chain falls through to it.
                #expect(try await chain([:]).credentials().accessKeyId == "STS.key-1")

                // The INI file comes before the metadata service, the CLI file before both, the environment first.
                try write("[default]\naccess_key_id = INI\naccess_key_secret = S\n", to: home + "/.alibabacloud/credentials.ini")
                #expect(try await chain([:]).credentials().accessKeyId == "INI")
                try write(#"{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":"CLI","access_key_secret":"S"}]}"#,
                          to: home + "/.aliyun/config.json")
                #expect(try await chain([:]).credentials().accessKeyId == "CLI")
                #expect(try await chain(env).credentials().accessKeyId == "ENV")
                #expect(server.state.current.credentialGets == 1)
            }
        }
    }

    @Test func chainReportsEveryFailure() async throws {
        try await withTemporaryDirectory { home throws in
            try await withMetadataServer(roleName: nil) { server, clock throws in
                let chain = DefaultCredentialsProvider(
                    environment: ["HOME": home], metadataURL: server.url, refreshPolicy: testPolicy,
                    clock: CredentialsClock { clock.now })
                let error = await #expect(throws: CredentialsError.self) { try await chain.credentials() }
                #expect(error?.code == CredentialsError.chainExhausted)
                #expect(error?.message.contains("ecs_ram_role") == true)
                // A later attempt walks the chain again and finds the role once one is attached.
                server.state.with { $0.roleName = "Late" }
                #expect(try await chain.credentials().accessKeyId == "STS.key-1")
            }
        }
    }
}

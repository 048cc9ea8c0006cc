import AlibabaCloudTestSupport
import Foundation
import Testing

@testable import AlibabaCloudCredentials

/// Runs `body` against a fresh loopback metadata server and shuts it down afterwards.
func withMetadataServer<R>(
    roleName: String? = "EcsRole", tokenMode: TestMetadataServer.TokenMode = .optional, clock: ManualClock = ManualClock(),
    _ body: (TestMetadataServer, ManualClock) async throws -> R
) async throws -> R {
    let server = try TestMetadataServer(roleName: roleName, tokenMode: tokenMode, clock: clock)
    defer { server.shutdown() }
    return try await body(server, clock)
}

func ecsProvider(
    _ server: TestMetadataServer, clock: ManualClock, roleName: String? = nil, disableIMDSv1: Bool? = nil,
    environment: [String: String] = [:]
) throws -> ECSRAMRoleCredentialsProvider {
    try ECSRAMRoleCredentialsProvider(
        roleName: roleName, disableIMDSv1: disableIMDSv1, metadataURL: server.url, refreshPolicy: testPolicy,
        clock: CredentialsClock { clock.now }, environment: environment)
}

@Suite("ECS RAM role provider against a loopback metadata server")
struct MetadataProviderTests {
    @Test func hardenedModeTokenIsRequestedAndSent() async throws {
        try await withMetadataServer(tokenMode: .required) { server, clock throws in
            let credentials = try await ecsProvider(server, clock: clock, roleName: "EcsRole").credentials()
            #expect(credentials.accessKeyId == "STS.key-1")
            #expect(credentials.accessKeySecret == "secret-1")
            #expect(credentials.securityToken == "CAIS-token-1")
            #expect(credentials.expiration == clock.now + 6 * 3600)
            #expect(credentials.providerName == "ecs_ram_role")
            let log = server.state.current.log
            #expect(log.map { "\($0.method) \($0.path)" } == [
                "PUT /latest/api/token", "GET /latest/meta-data/ram/security-credentials/EcsRole",
            ])
            #expect(log[0].headers["x-aliyun-ecs-metadata-token-ttl-seconds"] == "21600")
            #expect(log[1].headers["x-aliyun-ecs-metadata-token"] == TestMetadataServer.token)
            #expect(log.allSatisfy { $0.headers["x-forwarded-for"] == nil })
        }
    }

    @Test func tokenFailureFallsBackToNormalMode() async throws {
        try await withMetadataServer(tokenMode: .tokenForbidden) { server, clock throws in
            let credentials = try await ecsProvider(server, clock: clock, roleName: "EcsRole").credentials()
            #expect(credentials.accessKeyId == "STS.key-1")
            let log = server.state.current.log
            #expect(log.count == 2)
            #expect(log[1].headers["x-aliyun-ecs-metadata-token"] == nil)
        }
    }

    @Test(arguments: [
        (TestMetadataServer.TokenMode.tokenForbidden, true, [String: String]()),
        (.tokenForbidden, nil, ["ALIBABA_CLOUD_IMDSV1_DISABLED": "true"]),
        (.tokenRejectedOnGet, nil, ["ALIBABA_CLOUD_IMDSV1_DISABLED": "TRUE"]),
    ] as [(TestMetadataServer.TokenMode, Bool?, [String: String])])
    func normalModeDisabledMakesTokenFailuresFatal(
        mode: TestMetadataServer.TokenMode, disable: Bool?, environment: [String: String]
    ) async throws {
        try await withMetadataServer(tokenMode: mode) { server, clock throws in
            let provider = try ecsProvider(
                server, clock: clock, roleName: "EcsRole", disableIMDSv1: disable, environment: environment)
            await #expect(throws: CredentialsError.self) { try await provider.credentials() }
            // Never a token-less request.
            #expect(server.state.current.log.allSatisfy { $0.method == "PUT" || $0.headers["x-aliyun-ecs-metadata-token"] != nil })
        }
    }

    @Test func getRejectedWithTokenIsRetriedWithoutOne() async throws {
        try await withMetadataServer(tokenMode: .tokenRejectedOnGet) { server, clock throws in
            let credentials = try await ecsProvider(server, clock: clock, roleName: "EcsRole").credentials()
            #expect(credentials.accessKeyId == "STS.key-1")
            let gets = server.state.current.log.filter { $0.method == "GET" }
            #expect(gets.map { $0.headers["x-aliyun-ecs-metadata-token"] } == [TestMetadataServer.token, nil])
        }
    }

    @Test func roleIsDiscoveredOnceAndRediscoveredWhenItDisappears() async throws {
        try await withMetadataServer(roleName: "DiscoveredRole") { server, clock throws in
            let provider = try ecsProvider(server, clock: clock)
            #expect(try await provider.fetchCredentials().accessKeyId == "STS.key-1")
            #expect(try await provider.fetchCredentials().accessKeyId == "STS.key-2")
            #expect(server.state.current.listGets == 1)

            server.state.with { $0.roleName = "ReplacementRole" }
            let error = await #expect(throws: CredentialsError.self) { try await provider.fetchCredentials() }
            #expect(error?.code == CredentialsError.roleNotFound)
            #expect(try await provider.fetchCredentials().accessKeyId == "STS.key-3")
            #expect(server.state.current.listGets == 2)
        }
    }

    @Test func roleNameFromEnvironmentSkipsDiscovery() async throws {
        try await withMetadataServer(roleName: "FromEnv") { server, clock throws in
            let provider = try ecsProvider(server, clock: clock, environment: ["ALIBABA_CLOUD_ECS_METADATA": "FromEnv"])
            #expect(try await provider.credentials().accessKeyId == "STS.key-1")
            #expect(server.state.current.listGets == 0)
        }
    }

    @Test func noRoleAttached() async throws {
        try await withMetadataServer(roleName: nil) { server, clock throws in
            let error = await #expect(throws: CredentialsError.self) {
                try await ecsProvider(server, clock: clock).credentials()
            }
            #expect(error?.code == CredentialsError.roleNotFound)
        }
    }

    @Test func disabledByEnvironment() throws {
        let error = #expect(throws: CredentialsError.self) {
            try ECSRAMRoleCredentialsProvider(
                metadataURL: URL(string: "http://127.0.0.1:9")!, environment: ["ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"])
        }
        #expect(error?.code == CredentialsError.metadataDisabled)
    }

    @Test func documentWithoutSuccessCodeIsRejected() async throws {
        try await withMetadataServer { server, clock throws in
            server.state.with { $0.omitCode = true }
            let error = await #expect(throws: CredentialsError.self) {
                try await ecsProvider(server, clock: clock, roleName: "EcsRole").credentials()
            }
            #expect(error?.code == CredentialsError.invalidResponse)
        }
    }

    @Test func rotationAfterExpiry() async throws {
        try await withMetadataServer { server, clock throws in
            server.state.with { $0.lifetime = 1800 }
            let provider = try ecsProvider(server, clock: clock, roleName: "EcsRole")
            #expect(try await provider.credentials().accessKeyId == "STS.key-1")
            clock.advance(1801)
            #expect(try await provider.credentials().accessKeyId == "STS.key-2")
            clock.advance(1801)
            #expect(try await provider.credentials().accessKeyId == "STS.key-3")
        }
    }

    @Test func oneMetadataFetchForAThousandConcurrentCallersAtExpiry() async throws {
        try await withMetadataServer { server, clock throws in
            let provider = try ecsProvider(server, clock: clock, roleName: "EcsRole")
            _ = try await provider.credentials()
            clock.advance(6 * 3600 + 1)
            let keys = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<1000 { group.addTask { try await provider.credentials().accessKeyId } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(keys == ["STS.key-2"])
            #expect(server.state.current.credentialGets == 2)
            #expect(server.state.current.tokenPuts == 2)
        }
    }

    @Test func metadataFailureThenRecovery() async throws {
        try await withMetadataServer { server, clock throws in
            server.state.with { $0.lifetime = 3600 }
            let provider = try ecsProvider(server, clock: clock, roleName: "EcsRole")
            #expect(try await provider.credentials().accessKeyId == "STS.key-1")
            // Each attempt asks twice: with the token, then (after that failed) without.
            server.state.with { $0.failNextCredentialGets = 6 }
            clock.advance(3601)
            for _ in 0..<3 {
                let error = await #expect(throws: CredentialsError.self) { try await provider.credentials() }
                #expect(error?.status == 500)
            }
            #expect(try await provider.credentials().accessKeyId == "STS.key-2")
        }
    }
}

// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Lanyard",
    products: [
        .executable(name: "lanyard", targets: ["lanyard"]),
        .library(name: "AlibabaCloudSigning", targets: ["AlibabaCloudSigning"]),
        .library(name: "AlibabaCloudCredentials", targets: ["AlibabaCloudCredentials"]),
        .library(name: "AlibabaCloudOSS", targets: ["AlibabaCloudOSS"]),
        .executable(name: "list-objects", targets: ["ListObjects"]),
    ],
    targets: [
        // Debian C libraries, through module maps.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),

        // Digests, HMAC, AES-GCM and randomness over libcrypto.
        .target(name: "LanyardCrypto", dependencies: ["CCrypto"], swiftSettings: swiftSettings),
        // Canonical strings and signatures: RPC V1, ACS3, OSS V1 and V4 (client and server).
        .target(name: "AlibabaCloudSigning", dependencies: ["LanyardCrypto"], swiftSettings: swiftSettings),
        // SDK: credential providers, the default chain, refreshing cache.
        .target(name: "AlibabaCloudCredentials", dependencies: ["AlibabaCloudSigning"], swiftSettings: swiftSettings),
        // SDK: OSS client.
        .target(
            name: "AlibabaCloudOSS", dependencies: ["AlibabaCloudSigning", "AlibabaCloudCredentials", "LanyardCrypto"],
            swiftSettings: swiftSettings),

        // Server: the RAM policy language (pure, no I/O).
        .target(name: "LanyardPolicy", swiftSettings: swiftSettings),
        // Server: SQLite-backed storage behind protocols.
        .target(name: "LanyardStore", dependencies: ["CSQLite"], swiftSettings: swiftSettings),
        // Server: HTTP on libmicrohttpd.
        .target(name: "LanyardHTTP", dependencies: ["CMicroHTTPD"], swiftSettings: swiftSettings),
        // Server: RAM, STS (and later ECI) RPC APIs, token sealing, audit, metrics.
        .target(
            name: "LanyardControlPlane",
            dependencies: ["LanyardPolicy", "LanyardStore", "LanyardHTTP", "AlibabaCloudSigning", "LanyardCrypto"],
            swiftSettings: swiftSettings),
        // Server: the OSS-compatible object service.
        .target(
            name: "LanyardObjectStore",
            dependencies: [
                "LanyardControlPlane", "LanyardPolicy", "LanyardStore", "LanyardHTTP", "AlibabaCloudSigning",
                "LanyardCrypto",
            ],
            swiftSettings: swiftSettings),
        // Kubernetes manifests (Pod, Deployment) over libyaml, and their ECI CreateContainerGroup parameters.
        .target(name: "LanyardManifests", dependencies: ["CYAML"], swiftSettings: swiftSettings),
        // Server: pod sandboxes, the in-pod metadata service, credential rotation.
        .target(
            name: "LanyardNode",
            dependencies: ["LanyardControlPlane", "LanyardPolicy", "LanyardStore", "LanyardHTTP", "LanyardManifests", "LanyardCrypto"],
            swiftSettings: swiftSettings),
        // The CLI's commands: `up` wires the server parts together; the client commands use the SDK.
        .target(
            name: "LanyardCLI",
            dependencies: [
                "LanyardControlPlane", "LanyardHTTP", "LanyardObjectStore", "LanyardNode", "LanyardManifests",
                "AlibabaCloudCredentials",
                "AlibabaCloudOSS", "AlibabaCloudSigning",
            ],
            swiftSettings: swiftSettings),
        // The `lanyard` executable.
        .executableTarget(name: "lanyard", dependencies: ["LanyardCLI"], swiftSettings: swiftSettings),
        // The seed's Go example in Swift: list a bucket with the pod's RAM role credentials.
        .executableTarget(
            name: "ListObjects", dependencies: ["AlibabaCloudOSS", "AlibabaCloudCredentials"], path: "Examples/ListObjects",
            exclude: ["README.md"], swiftSettings: swiftSettings),

        // Benchmarks (`make bench`): the load generator and client that scripts/bench.sh drives.
        .executableTarget(
            name: "lanyard-bench", dependencies: ["AlibabaCloudSigning"], path: "Benchmarks/Sources/lanyard-bench",
            swiftSettings: swiftSettings),
        // Benchmarks: the SDK's credential cache — a cached call, an uncached fetch, and 1,000 callers at expiry.
        .executableTarget(
            name: "lanyard-bench-credentials", dependencies: ["AlibabaCloudCredentials", "AlibabaCloudTestSupport"],
            path: "Benchmarks/Sources/lanyard-bench-credentials", swiftSettings: swiftSettings),
        // Benchmarks: LanyardPolicy decisions per second on one thread.
        .executableTarget(
            name: "lanyard-bench-policy", dependencies: ["LanyardPolicy"], path: "Benchmarks/Sources/lanyard-bench-policy",
            swiftSettings: swiftSettings),

        .testTarget(name: "LanyardCryptoTests", dependencies: ["LanyardCrypto"], swiftSettings: swiftSettings),
        .testTarget(name: "AlibabaCloudSigningTests", dependencies: ["AlibabaCloudSigning"], swiftSettings: swiftSettings),
        // SDK test support: a loopback HTTP/1.1 server on plain sockets (no server modules), test clock.
        .target(name: "AlibabaCloudTestSupport", path: "Tests/AlibabaCloudTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "AlibabaCloudCredentialsTests",
            dependencies: ["AlibabaCloudCredentials", "AlibabaCloudSigning", "AlibabaCloudTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AlibabaCloudOSSTests",
            dependencies: [
                "AlibabaCloudOSS", "AlibabaCloudCredentials", "AlibabaCloudSigning", "AlibabaCloudTestSupport", "LanyardCrypto",
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "LanyardPolicyTests", dependencies: ["LanyardPolicy"], swiftSettings: swiftSettings),
        .testTarget(name: "LanyardStoreTests", dependencies: ["LanyardStore"], swiftSettings: swiftSettings),
        .testTarget(name: "LanyardHTTPTests", dependencies: ["LanyardHTTP"], swiftSettings: swiftSettings),
        .testTarget(name: "LanyardCLITests", dependencies: ["LanyardCLI"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LanyardControlPlaneTests",
            dependencies: ["LanyardControlPlane", "LanyardPolicy", "LanyardHTTP", "AlibabaCloudSigning"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LanyardObjectStoreTests", dependencies: ["LanyardObjectStore"], swiftSettings: swiftSettings),
        .testTarget(name: "LanyardManifestsTests", dependencies: ["LanyardManifests"], swiftSettings: swiftSettings),
        .testTarget(name: "LanyardNodeTests", dependencies: ["LanyardNode"], swiftSettings: swiftSettings),
    ]
)

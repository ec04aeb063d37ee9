// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "pccc-sync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pccc", targets: ["pccc"]),
        .library(name: "SyncCore", targets: ["SyncCore"]),
        .library(name: "Records", targets: ["Records"]),
        .library(name: "Replica", targets: ["Replica"]),
        // Test support: preloaded with libfaketime by the clock-skew tests (Tests/FaketimeTimerfd).
        .library(name: "FaketimeTimerfd", type: .dynamic, targets: ["FaketimeTimerfd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CSQLiteSettings",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "SyncCore",
            dependencies: [
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "Documents", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "Records", dependencies: ["SyncCore", "Documents", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "Topology",
            dependencies: [
                "SyncCore",
                "Documents",
                .product(name: "Yams", package: "Yams"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "WireProtocol",
            dependencies: ["SyncCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Transport",
            dependencies: [
                "WireProtocol",
                "Topology",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "Node",
            dependencies: [
                "SyncCore",
                "Records",
                "Replica",
                "Topology",
                "WireProtocol",
                "Transport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "Replica",
            dependencies: [
                "SyncCore",
                "Records",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                "CSQLiteSettings",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "NodeService",
            dependencies: [
                "SyncCore",
                "Records",
                "Replica",
                "Topology",
                "Transport",
                "Node",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "FaultProxy",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "API",
            dependencies: [
                "SyncCore",
                "Records",
                "Replica",
                "Topology",
                "Transport",
                "Node",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("UI")]
        ),
        .executableTarget(
            name: "pccc",
            dependencies: [
                "API",
                "NodeService",
                .product(name: "Hummingbird", package: "hummingbird"),
                "SyncCore",
                "Records",
                "Replica",
                "Topology",
                "Transport",
                "Node",
                "WireProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "pccc-bench",
            dependencies: [
                "SyncCore",
                "Records",
                "Replica",
                "Topology",
                "Transport",
                "Node",
                "FaultProxy",
                "WireProtocol",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "FuzzTargets",
            dependencies: ["SyncCore", "Topology", "WireProtocol", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(name: "pccc-fuzz", dependencies: ["FuzzTargets"], path: "Fuzz/pccc-fuzz"),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"]),
        .testTarget(
            name: "SyncCoreTests",
            dependencies: ["SyncCore"]
        ),
        .testTarget(
            name: "RecordsTests",
            dependencies: ["Records", "TestSupport"]
        ),
        .testTarget(
            name: "TopologyTests",
            dependencies: ["Topology", "SyncCore"]
        ),
        .target(name: "CTestSupport", path: "Tests/CTestSupport"),
        .target(name: "TestSupport", dependencies: ["CTestSupport", "Records"], path: "Tests/TestSupport"),
        .target(name: "FaketimeTimerfd", path: "Tests/FaketimeTimerfd"),
        .executableTarget(name: "pccc-clock-probe", path: "Tests/ClockProbe"),
        .executableTarget(
            name: "pccc-golden-vectors",
            dependencies: ["SyncCore", "Records", "Replica", "WireProtocol"],
            path: "Tests/GoldenVectorWriter"
        ),
        .testTarget(
            name: "TransportTests",
            dependencies: [
                "Transport",
                "Topology",
                "TestSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .testTarget(
            name: "WireProtocolTests",
            dependencies: ["WireProtocol", "SyncCore", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "NodeTests",
            dependencies: [
                "SyncCore",
                "Records",
                "Replica",
                "Topology",
                "WireProtocol",
                "Transport",
                "Node",
                "FaultProxy",
                "TestSupport",
                "NodeService",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API",
                "Node",
                "Replica",
                "Records",
                "SyncCore",
                "Topology",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "ReplicaTests",
            dependencies: [
                "SyncCore",
                "Records",
                "Replica",
                "CZlib",
                "TestSupport",
                "NodeService",
                "WireProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            // A version-1 replica and the batches it received, for UpgradeEquivalenceTests, and
            // every release's golden vectors, for GoldenVectorTests.
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

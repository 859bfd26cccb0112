// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "forecast",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Forecast", targets: ["Forecast"]),
        .library(name: "ForecastRetraining", targets: ["ForecastRetraining"]),
        .executable(name: "forecast", targets: ["ForecastCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
    ],
    targets: [
        // MARK: System libraries
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "pkg-config"])]),
        .systemLibrary(
            name: "CCSV", path: "Sources/CCSV",
            providers: [.apt(["libcsv-dev"])]),

        // MARK: Library modules (dependencies point one way: Core <- Data, Layers <- Training <- Forecast <- Retraining, Export <- CLI)
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(name: "CWorkers", path: "Sources/CWorkers"),
        .target(name: "ForecastCore", dependencies: ["CBLAS", "CWorkers"]),
        .target(name: "ForecastData", dependencies: ["ForecastCore", "CCSV"]),
        .target(name: "ForecastLayers", dependencies: ["ForecastCore", "CKernels"]),
        .target(name: "ForecastTraining", dependencies: ["ForecastCore", "ForecastLayers", "ForecastData"]),
        .target(name: "Forecast", dependencies: ["ForecastCore", "ForecastData", "ForecastLayers", "ForecastTraining"]),
        // Unattended retraining (registry, YAML jobs, logs): its own module, so a program that
        // only forecasts links neither YAML nor logging.
        .target(name: "ForecastRetraining", dependencies: [
            "Forecast",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // Export to other runtimes (ONNX through swift-protobuf): its own module, so a program
        // that only forecasts does not link SwiftProtobuf. ONNX/onnx.proto is the source of the
        // committed ONNX/onnx.pb.swift (ONNX/README.md says how to regenerate it).
        .target(name: "ForecastExport", dependencies: [
            "Forecast",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["ONNX/onnx.proto", "ONNX/README.md"]),

        // MARK: Executable
        .executableTarget(
            name: "ForecastCLI",
            dependencies: ["Forecast", "ForecastRetraining", "ForecastExport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // MARK: Examples
        .executableTarget(name: "QuickStart", dependencies: ["Forecast"], path: "Examples/QuickStart"),

        // MARK: Tests
        .target(name: "_TestSupport", dependencies: ["Forecast"], path: "Tests/_TestSupport"),
        .testTarget(name: "ForecastCoreTests", dependencies: ["ForecastCore", "_TestSupport"]),
        .testTarget(name: "ForecastLayersTests", dependencies: ["ForecastLayers", "CKernels", "_TestSupport"]),
        .testTarget(name: "ForecastDataTests", dependencies: ["ForecastData", "_TestSupport"]),
        .testTarget(name: "ForecastTrainingTests", dependencies: ["ForecastTraining", "_TestSupport"]),
        .testTarget(name: "ForecastTests", dependencies: ["Forecast", "ForecastRetraining", "_TestSupport"]),
        .testTarget(name: "ForecastCLITests", dependencies: ["Forecast", "ForecastRetraining", "_TestSupport"]),
        .testTarget(name: "ForecastExportTests", dependencies: ["ForecastExport", "_TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)

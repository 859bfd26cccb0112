// swift-tools-version:6.1
// Benchmark suites (ordo-one/benchmark) for the kernels that matter. A separate package so the
// main build never compiles the benchmark framework:
//   cd Benchmarks && swift package --disable-sandbox benchmark
import PackageDescription

let package = Package(
    name: "forecast-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "forecast", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Kernels",
            dependencies: [
                .product(name: "Forecast", package: "forecast"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/Kernels",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

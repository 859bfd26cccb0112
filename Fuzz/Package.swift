// swift-tools-version:6.1
// libFuzzer targets for the data module, kept out of the root manifest because they need
// unsafeFlags (a package using those cannot be anyone's dependency). See docs/data.md.
//
//   cd Fuzz
//   swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product FuzzCSV
//   mkdir -p corpus && cp ../Fixtures/*.csv ../Fixtures/bad-csv/*.csv corpus/
//   .build/debug/FuzzCSV corpus -max_total_time=600 -max_len=4096
//
// The model-file target: scripts/fuzz-model.sh [seconds] (builds FuzzModel, seeds a corpus
// from ../Fixtures/models and ../Fixtures/golden, runs with -timeout=10 -rss_limit_mb=2048).
import PackageDescription

let package = Package(
    name: "forecast-fuzz",
    dependencies: [.package(name: "forecast", path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzCSV",
            dependencies: [.product(name: "Forecast", package: "forecast")],
            swiftSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]),
        // Model files (docs/reliability.md): corpus from ../Fixtures/models, dictionary model.dict.
        .executableTarget(
            name: "FuzzModel",
            dependencies: [.product(name: "Forecast", package: "forecast")],
            swiftSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]),
    ],
    swiftLanguageModes: [.v5]
)

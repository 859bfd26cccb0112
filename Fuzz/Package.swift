// swift-tools-version:6.1
// libFuzzer targets (CSV reader, model-file loader, retrain job files), kept out of the root
// manifest because they need unsafeFlags (a package using those cannot be anyone's
// dependency). Each builds and runs with one command from the repository root:
//
//   scripts/fuzz.sh csv|model|job [SECONDS] [extra libFuzzer flags...]
//
// which seeds the target's corpus from real files and runs with its dictionary,
// -timeout=10 and -rss_limit_mb=2048. See docs/reliability.md.
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
        // Retrain job files (docs/reliability.md, "Retraining registry"): seeds in Seeds/job, dictionary job.dict.
        .executableTarget(
            name: "FuzzJob",
            dependencies: [.product(name: "ForecastRetraining", package: "forecast")],
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

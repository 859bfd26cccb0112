// swift-tools-version:6.1
// libFuzzer targets for the data module, kept out of the root manifest because they need
// unsafeFlags (a package using those cannot be anyone's dependency). See docs/data.md.
//
//   cd Fuzz
//   swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product FuzzCSV
//   mkdir -p corpus && cp ../Fixtures/*.csv ../Fixtures/bad-csv/*.csv corpus/
//   .build/debug/FuzzCSV corpus -max_total_time=600 -max_len=4096
//
// The job-file target: scripts/fuzz-job.sh [seconds] (builds FuzzJob, seeds a corpus from
// Seeds/job and ../Examples, runs with the YAML dictionary job.dict).
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
        // Retrain job files (docs/reliability-registry.md): seeds in Seeds/job, dictionary job.dict.
        .executableTarget(
            name: "FuzzJob",
            dependencies: [.product(name: "ForecastRetraining", package: "forecast")],
            swiftSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]),
    ],
    swiftLanguageModes: [.v5]
)

// swift-tools-version:6.1
// libFuzzer targets for the data module, kept out of the root manifest because they need
// unsafeFlags (a package using those cannot be anyone's dependency). See docs/data.md.
//
//   cd Fuzz
//   swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product FuzzCSV
//   mkdir -p corpus && cp ../Fixtures/*.csv ../Fixtures/bad-csv/*.csv corpus/
//   .build/debug/FuzzCSV corpus -max_total_time=600 -max_len=4096
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
    ],
    swiftLanguageModes: [.v5]
)

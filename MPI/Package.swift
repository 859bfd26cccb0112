// swift-tools-version:6.1
// Multi-node data-parallel training over Open MPI: the `forecast-mpi` executable.
// Opt-in and separate from the main package, so building and testing forecast needs no MPI:
//   apt-get install libopenmpi-dev openmpi-bin      (scripts/setup.sh --mpi does it)
//   swift build -c release --package-path MPI
//   mpirun -np 2 MPI/.build/release/forecast-mpi train --data air_passengers.csv --target value --out m.safetensors
import PackageDescription

let package = Package(
    name: "forecast-mpi",
    platforms: [.macOS(.v13)],
    products: [.executable(name: "forecast-mpi", targets: ["ForecastMPI"])],
    dependencies: [
        .package(name: "forecast", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT) are C macros Swift cannot import: a tiny C shim.
        .target(name: "MPIShim", dependencies: ["CMPI"], path: "Sources/MPIShim"),
        .executableTarget(
            name: "ForecastMPI",
            dependencies: ["MPIShim", .product(name: "Forecast", package: "forecast"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/ForecastMPI"),
    ],
    swiftLanguageModes: [.v5]
)

import ArgumentParser
import Foundation
import Forecast

/// `forecast doctor`: what the toolkit runs on.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Print the OpenBLAS version and kernel in use, relevant CPU flags, threads and workers.",
        discussion: """
        forecast re-executes itself once at start-up with OPENBLAS_CORETYPE set to the best kernel
        for this CPU, unless OPENBLAS_CORETYPE is already set (your setting wins) or
        FORECAST_NO_BLAS_REEXEC is set. The sgemm self-test multiplies two 257x511 and 511x129
        matrices with the running kernel and reports the largest error against a double loop.
        """)

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let check = BLASRuntime.kernelCheck()
        let flags = BLASRuntime.cpuFlags
        let present = BLASRuntime.relevantFlags.filter(flags.contains)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let selfTest = BLASRuntime.sgemmSelfTest()
        let source: String = {
            if check.chosenByForecast { return "chosen by forecast (re-exec with OPENBLAS_CORETYPE=\(check.environmentSetting ?? "?"))" }
            if let s = check.environmentSetting { return "OPENBLAS_CORETYPE=\(s) from the environment" }
            return "OpenBLAS's own detection"
        }()
        if json {
            let obj: [String: Any] = [
                "forecast_version": ForecastVersion.string,
                "openblas_config": BLASRuntime.config,
                "blas_core": check.running,
                "best_core": check.best ?? NSNull(),
                "core_source": source,
                "cpu_flags": present,
                "blas_threads": BLASRuntime.threads,
                "cores": cores,
                "workers": cores,
                "sgemm_selftest_max_error": Double(selfTest),
                "warning": check.warning ?? NSNull(),
            ]
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("forecast \(ForecastVersion.string)")
        print("OpenBLAS:        \(BLASRuntime.config)")
        print("kernel in use:   \(check.running)  (\(source))")
        print("best for CPU:    \(check.best ?? "no better kernel known")")
        print("CPU flags:       \(present.joined(separator: " "))")
        print("BLAS threads:    \(BLASRuntime.threads) (set to 1 inside data-parallel workers)")
        print("cores / workers: \(cores) / \(cores) (default --workers)")
        print("sgemm self-test: max error \(selfTest) \(selfTest < 1e-4 ? "(ok)" : "(WRONG RESULTS: set OPENBLAS_CORETYPE to an older kernel)")")
        if let w = check.warning { print("warning: \(w)") }
    }
}

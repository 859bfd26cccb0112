import ArgumentParser
import Foundation
import Forecast
import ForecastExport

/// `forecast bench`: the workloads of shared/peers/torch_rnn_bench.py, same names and keys.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time train steps and single-window inference on the standard workloads.",
        discussion: """
        Workloads: \(RecurrentWorkload.all.map(\.name).joined(separator: ", ")), \(StreamWorkload.name) (one
        observation into infer-1's network from a carried state), convlstm, sgemm, ingest.
        --export-onnx FILE writes an inference workload's network (the weights it times) as ONNX,
        to time the same network in ONNX Runtime (docs/deploy.md).
        Same definitions and JSON keys as the PyTorch peer script torch_rnn_bench.py, so both can be
        run side by side on one machine. Compare ratios from the same run, never absolute times.
        """)

    @Option(help: "Run only this workload (or 'ingest' with --data).")
    var workload: String?

    @Option(help: ArgumentHelp("For --workload ingest: the CSV file to read into Float32 columns.", valueName: "file"))
    var data: String?

    @Option(help: "Worker threads: data-parallel shards of a train step; for infer-1, the threads of a single-window forecast (at most 2 are used) (default: number of cores).")
    var workers: Int?

    @Option(help: "Shards per minibatch (default: 4, the trainer's default).")
    var shards: Int = 4

    @Option(help: "Seconds to time each workload (after 3 warm-up calls).")
    var seconds: Double = 2

    @Flag(help: "Print one JSON object per workload.")
    var json = false

    @Option(help: ArgumentHelp("For --workload sgemm: time C[M,N] = A[M,K] · Bᵀ (B stored [N,K], as the recurrent layers call it) instead of the 2048³ square.", valueName: "MxNxK"))
    var shape: String?

    @Option(name: .customLong("export-onnx"), help: ArgumentHelp("With --workload infer-1 or infer-256: write its network as ONNX to this file and exit.", valueName: "file"))
    var exportONNX: String?

    func validate() throws {
        if let w = workload, !["ingest", "convlstm", "sgemm", StreamWorkload.name, SamplingWorkload.name].contains(w), !RecurrentWorkload.all.contains(where: { $0.name == w }) {
            throw ValidationError("unknown workload '\(w)'; expected one of \((RecurrentWorkload.all.map(\.name) + [StreamWorkload.name, SamplingWorkload.name, "convlstm", "sgemm", "ingest"]).joined(separator: ", "))")
        }
        if exportONNX != nil, !(RecurrentWorkload.all.first { $0.name == workload }?.inferenceOnly ?? false) {
            throw ValidationError("--export-onnx needs --workload infer-1 or infer-256")
        }
        if workload == "ingest" && data == nil { throw ValidationError("--workload ingest needs --data FILE") }
        if shape != nil && workload != "sgemm" { throw ValidationError("--shape needs --workload sgemm") }
        if let shape, sgemmShape(shape) == nil { throw ValidationError("--shape wants MxNxK with positive integers, e.g. 256x256x64; got '\(shape)'") }
        if let w = workers, w < 1 { throw ValidationError("--workers must be at least 1") }
        if shards < 1 { throw ValidationError("--shards must be at least 1") }
    }

    func run() throws {
        if workload == "ingest", let path = data {
            let result = try IngestBenchmark.run(path: path)
            if json { Output.json(encodable: result) }
            else { print("ingest: \(result.rows) rows, \(result.bytes) bytes in \(Output.format(result.seconds)) s: \(Output.format(result.mbPerSecond)) MB/s") }
            return
        }
        if let out = exportONNX, let w = RecurrentWorkload.all.first(where: { $0.name == workload }) {
            let proto = try ONNXExport.regressor(w.model, params: w.parameters(), length: w.lookback)
            try AtomicFile.write([UInt8](try proto.serializedData()), to: out)
            Output.note("wrote \(w.name)'s network (seed 0 weights) as ONNX to \(out)")
            return
        }
        let workers = self.workers ?? ProcessInfo.processInfo.activeProcessorCount
        let core = BLASRuntime.coreName
        if workload == "sgemm" {
            // The hardware reference: large square sgemm on all cores (the ceiling for L-lstm), or
            // with --shape one product of the recurrent layers' shapes (the roofline of deploy.md).
            let (m, n, k) = shape.flatMap(sgemmShape) ?? (2048, 2048, 2048)
            let transB = shape != nil
            var a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n), c = [Float](repeating: 0, count: m * n)
            BLASRuntime.setThreads(workers)
            func once() { gemm(transB: transB, m: m, n: n, k: k, a: &a, lda: k, b: &b, ldb: transB ? k : n, c: &c, ldc: n) }
            // Warm up for half a second: the second core of these VMs needs a while to come up
            // to speed, and a short run then reports 60% of the rate.
            let warm = Date()
            repeat { once() } while Date().timeIntervalSince(warm) < 0.5
            var runs = 0
            let t0 = Date()
            repeat { once(); runs += 1 } while Date().timeIntervalSince(t0) < seconds || runs < 3
            let per = Date().timeIntervalSince(t0) / Double(runs)
            let gflops = 2 * Double(m * n * k) / per / 1e9
            if json { Output.json(["workload": "sgemm", "n": n, "m": m, "k": k, "gflops": (gflops * 10).rounded() / 10, "blas_core": core, "threads": workers]) }
            else { print("sgemm \(m)x\(n)x\(k): \(Output.format(gflops)) GFLOP/s  [\(core), \(workers) threads]") }
            return
        }
        if workload == SamplingWorkload.name {
            let s = try SamplingWorkload.measure(seconds: seconds, workers: workers)
            if json { Output.json(["workload": SamplingWorkload.name, "paths": SamplingWorkload.paths, "steps": SamplingWorkload.steps,
                                   "ms": (s * 1e4).rounded() / 10, "workers": workers, "blas_core": core]) }
            else { print("\(SamplingWorkload.name): \(Output.format(s * 1e3)) ms per \(SamplingWorkload.paths) paths x \(SamplingWorkload.steps) steps  [\(core), \(workers) workers]") }
            return
        }
        if let w = BLASRuntime.kernelCheck().warning { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        for w in RecurrentWorkload.all where workload == nil || workload == w.name {
            let s = w.measure(seconds: seconds, workers: workers, shards: shards)
            var obj: [String: Any] = ["workload": w.name, "blas_core": core, "workers": w.inferenceOnly ? w.inferenceThreads(workers: workers) : workers]
            if w.inferenceOnly {
                obj["latency_us"] = (s * 1e7).rounded() / 10
                obj["samples_per_s"] = (Double(w.batch) / s * 10).rounded() / 10
                obj["gflops"] = (w.forwardFlops / s / 1e9 * 10).rounded() / 10
            } else {
                obj["train_step_ms"] = (s * 1e6).rounded() / 1000
                obj["samples_per_s"] = (Double(w.batch) / s * 10).rounded() / 10
                obj["shards"] = shards
                obj["gflops"] = (w.trainStepFlops / s / 1e9 * 10).rounded() / 10
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else if w.inferenceOnly {
                print("\(w.name): \(Output.format(s * 1e6)) µs per window  [\(core)]")
            } else {
                print("\(w.name): \(Output.format(s * 1e3)) ms per train step, \(Output.format(Double(w.batch) / s)) samples/s, \(Output.format(w.trainStepFlops / s / 1e9)) GFLOP/s  [\(core), \(workers) workers, \(shards) shards]")
            }
            fflush(stdout)
        }
        if workload == nil || workload == StreamWorkload.name {
            let s = StreamWorkload.measure(seconds: seconds)
            if json { Output.json(["workload": StreamWorkload.name, "blas_core": core, "workers": 1, "latency_us": (s * 1e7).rounded() / 10]) }
            else { print("\(StreamWorkload.name): \(Output.format(s * 1e6)) µs per observation (carried state)  [\(core)]") }
            fflush(stdout)
        }
        if workload == nil || workload == "convlstm" {
            try GridCLI.benchConvLSTM(seconds: seconds, workers: workers, shards: shards, json: json)
        }
    }
}

/// "MxNxK" as three positive integers, or nil.
private func sgemmShape(_ text: String) -> (Int, Int, Int)? {
    let parts = text.split(separator: "x").compactMap { Int($0) }
    guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else { return nil }
    return (parts[0], parts[1], parts[2])
}

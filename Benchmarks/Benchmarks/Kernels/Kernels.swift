import Benchmark
import Forecast
import Foundation

// Kernel-level benchmarks: regressions in any of these show up here before they show up in
// `forecast bench`. Run with `swift package --disable-sandbox benchmark` in Benchmarks/.

/// Made on first use and kept. package-benchmark runs a benchmark's closure once per sample, so
/// a fixture made inside it would be new every time and each sample would time a first call
/// (workspace allocation, weight packing, pool threads waking): 120–160 µs instead of ~25 µs for
/// infer-1.
final class Once<Value>: @unchecked Sendable {
    private let make: () -> Value
    private var made: Value?
    init(_ make: @escaping () -> Value) { self.make = make }
    var value: Value {
        if let made { return made }
        let value = make()
        made = value
        return value
    }
}

/// One train step's pieces for a recurrent layer of `cell` with S-lstm's sizes.
final class RecurrentFixture: @unchecked Sendable {
    let model: SequenceRegressor
    let params: ParameterStore
    let grads: ParameterStore
    let workspace: SequenceRegressor.Workspace
    let x: [Float]
    let dPred: [Float]
    var rng = SeededGenerator(seed: 1)

    init(cell: CellKind, batch: Int = 16, length: Int = 48, input: Int = 8, hidden: Int = 64, layers: Int = 2) {
        var r = SeededGenerator(seed: 0)
        model = SequenceRegressor(.init(recurrent: RecurrentConfig(cell: cell, inputSize: input, hiddenSize: hidden, numLayers: layers), outputs: 1))
        params = model.makeParameters(rng: &r)
        grads = ParameterStore(layout: model.layout)
        workspace = SequenceRegressor.Workspace(model: model, batch: batch, length: length)
        x = (0..<(batch * length * input)).map { _ in r.nextNormal() }
        dPred = [Float](repeating: 0.01, count: batch)
    }

    func forward() {
        x.withUnsafeBufferPointer { _ = model.forward($0.baseAddress!, workspace: workspace, params: params, rng: &rng) }
    }

    func backward() {
        dPred.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: workspace, params: params, grads: grads) }
    }
}

/// The convlstm workload's model (1 -> 32 channels, 3x3, 32x32 grid, 10 frames) on one shard
/// of its batch (2 of 8 frames sequences), single-threaded.
final class ConvLSTMFixture: @unchecked Sendable {
    let model: ConvLSTMRegressor
    let params: ParameterStore
    let grads: ParameterStore
    let workspace: ConvLSTMRegressor.Workspace
    let x: [Float]
    let dPred: [Float]

    init(batch: Int = 2) {
        var r = SeededGenerator(seed: 0)
        model = ConvLSTMWorkload().model
        params = model.makeParameters(rng: &r)
        grads = ParameterStore(layout: model.layout)
        workspace = model.makeWorkspace(batch: batch)
        x = (0..<(batch * model.inputCount)).map { _ in r.nextNormal() }
        dPred = [Float](repeating: 0.01, count: batch * model.predictionCount)
    }

    func forward() {
        x.withUnsafeBufferPointer { _ = model.forward($0.baseAddress!, workspace: workspace, params: params) }
    }

    func backward() {
        dPred.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: workspace, params: params, grads: grads) }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))

    // The GEMM wrapper on the shapes of a recurrent window: input projection and weight gradient.
    for (m, n, k) in [(768, 256, 64), (256, 64, 768), (16, 256, 64)] {
        Benchmark("gemm \(m)x\(n)x\(k)") { benchmark in
            var a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n), c = [Float](repeating: 0, count: m * n)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                gemm(m: m, n: n, k: k, a: &a, lda: k, b: &b, ldb: n, c: &c, ldc: n)
            }
            blackHole(c)
        }
    }

    for cell in [CellKind.lstm, .gru] {
        let fixture = Once { RecurrentFixture(cell: cell) }
        Benchmark("\(cell.rawValue) forward B16 T48 H64 x2") { benchmark in
            let f = fixture.value
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { f.forward() }
        }
        Benchmark("\(cell.rawValue) forward+backward B16 T48 H64 x2") { benchmark in
            let f = fixture.value
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { f.forward(); f.backward() }
        }
    }

    // A layer beyond the step kernel: H = 512 runs the panel kernel (L-lstm's shard shape).
    let panel = Once { RecurrentFixture(cell: .lstm, batch: 32, length: 16, input: 64, hidden: 512, layers: 1) }
    Benchmark("lstm forward+backward B32 T16 H512 (panel kernel)") { benchmark in
        let f = panel.value
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { f.forward(); f.backward() }
    }

    let conv = Once { ConvLSTMFixture() }
    Benchmark("convlstm forward B2 T10 32x32 C32") { benchmark in
        let f = conv.value
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { f.forward() }
    }
    Benchmark("convlstm forward+backward B2 T10 32x32 C32") { benchmark in
        let f = conv.value
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { f.forward(); f.backward() }
    }

    for cell in [CellKind.lstm, .gru] {
        let infer = Once { RecurrentFixture(cell: cell, batch: 1) }
        Benchmark("\(cell.rawValue) infer-1 (B1 T48 H64 x2)") { benchmark in
            let f = infer.value
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { f.forward() }
        }
    }

    // CSV: parse a generated sensor file (timestamps + 6 float columns), with the plain scanner
    // (the default) and with libcsv for every block.
    func sensorCSV() -> [UInt8] {
        var text = "time,a,b,c,d,e,f\n"
        var r = SeededGenerator(seed: 3)
        for i in 0..<100_000 {
            text += "2024-01-01T00:\(String(format: "%02d:%02d", (i / 60) % 60, i % 60)),"
            text += (0..<6).map { _ in String(format: "%.4f", r.nextNormal()) }.joined(separator: ",") + "\n"
        }
        return Array(text.utf8)
    }
    let csv = Once { sensorCSV() }
    Benchmark("csv parse 100k rows") { benchmark in
        let bytes = csv.value
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try CSVReader.read(bytes: bytes, name: "bench.csv")) }
    }
    Benchmark("csv parse 100k rows (libcsv only)") { benchmark in
        let bytes = csv.value
        var options = CSVOptions()
        options.plainScanner = false
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try CSVReader.read(bytes: bytes, name: "bench.csv", options: options)) }
    }

    let floats = Once { () -> [[UInt8]] in
        var r = SeededGenerator(seed: 4)
        return (0..<1_000_000).map { _ in Array(String(format: "%.6g", r.nextNormal() * 1000).utf8) }
    }
    Benchmark("float parse 1M") { benchmark in
        let strings = floats.value
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var sum: Float = 0
            for s in strings {
                s.withUnsafeBufferPointer { p in
                    if case .value(let v) = NumberParser.parseFloat(p.baseAddress!, p.count) { sum += v }
                }
            }
            blackHole(sum)
        }
    }
}

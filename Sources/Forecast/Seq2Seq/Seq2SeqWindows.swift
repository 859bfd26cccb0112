import Foundation

/// Seq2seq training examples: the direct model's ``Windows`` plus, per window, the
/// known-future inputs of the forecast steps (the decoder's covariates).
///
///     windows.x   [N, lookback, F]     encoder inputs, scaled (as PreparedData cuts them)
///     windows.y   [N, horizon * P]     targets, step-major, scaled
///     future      [N, horizon, F_k]    known-future inputs of the rows after each window:
///                                      knownFuture data columns (scaled with the same scaler)
///                                      and calendar sin/cos of the future timestamps
public struct Seq2SeqWindows: Sendable {
    public var windows: Windows
    public var future: [Float]
    public var futureInputs: Int
    public var horizon: Int

    public var count: Int { windows.count }
    public var isEmpty: Bool { windows.isEmpty }

    /// Builds the future inputs of every window in `windows` (cut from `set` with `spec`).
    ///
    /// - Parameters:
    ///   - futureIndices: indices into `spec.inputNames` of the decoder's inputs.
    ///   - scaler: the scaling of the data columns (the model's).
    public init(_ windows: Windows, set: TimeSeriesSet, spec: WindowSpec, futureIndices: [Int], scaler: Scaler,
                missing: MissingPolicy) throws {
        self.windows = windows
        horizon = spec.horizon
        futureInputs = futureIndices.count
        let S = spec.horizon, Fk = futureIndices.count
        future = [Float](repeating: 0, count: windows.count * S * Fk)
        guard Fk > 0, !windows.isEmpty else { return }
        let dataColumns = spec.inputColumns
        let offset = set.timeFormat?.offsetMinutes ?? 0
        // Filled, scaled data columns per series, made when first needed.
        var cache: [Int: [[Float]]] = [:]
        func columns(_ s: Int) throws -> [[Float]] {
            if let c = cache[s] { return c }
            let series = set.series[s]
            var out: [[Float]] = []
            for i in futureIndices where i < dataColumns.count {
                let name = dataColumns[i]
                guard let c = set.columnIndex(name) else { throw DataError.invalidArgument("\(set.source): no column '\(name)'") }
                var v = series.values[c]
                missing.fill(&v, times: series.times)
                let sc = scaler.scaler(for: name)
                out.append(v.map { sc.transform($0) })
            }
            cache[s] = out
            return out
        }
        for w in 0..<windows.count {
            let s = windows.series[w], e = windows.end[w]
            let cols = try columns(s)
            let series = set.series[s]
            for k in 0..<S {
                let r = e + 1 + k
                guard r < series.count else {
                    throw DataError.invalidArgument("\(set.source): window ending at row \(e) has no row \(r) for its forecast step \(k + 1)")
                }
                var dataIndex = 0
                for (f, i) in futureIndices.enumerated() {
                    let value: Float
                    if i < dataColumns.count {
                        value = cols[dataIndex][r]
                        dataIndex += 1
                    } else {
                        let c = i - dataColumns.count
                        guard let times = series.times else {
                            throw DataError.invalidArgument("\(set.source): calendar features need timestamps")
                        }
                        let (sn, cs) = spec.calendar[c / 2].encode(times[r], offsetMinutes: offset)
                        value = c % 2 == 0 ? sn : cs
                    }
                    future[(w * S + k) * Fk + f] = value
                }
            }
        }
    }
}

/// A seq2seq sample as ``WindowedSeq2Seq`` reads it: the encoder window followed by the
/// decoder's known-future inputs, `[lookback·F + horizon·F_k]`; the target `[horizon·P]`.
extension Seq2SeqWindows: TrainingSamples {
    public var inputCount: Int { windows.inputCount + horizon * futureInputs }
    public var targetCount: Int { windows.targetLength }

    public func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        let xs = windows.inputCount, fs = horizon * futureInputs, ys = targetCount, width = xs + fs
        windows.x.withUnsafeBufferPointer { x in windows.y.withUnsafeBufferPointer { y in future.withUnsafeBufferPointer { f in
            guard let xb = x.baseAddress, let yb = y.baseAddress else { return }
            for (k, i) in indices.enumerated() {
                (input + k * width).update(from: xb + i * xs, count: xs)
                if fs > 0, let fb = f.baseAddress { (input + k * width + xs).update(from: fb + i * fs, count: fs) }
                (target + k * ys).update(from: yb + i * ys, count: ys)
            }
        } } }
    }
}

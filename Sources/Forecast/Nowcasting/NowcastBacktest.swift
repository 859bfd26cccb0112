/// Rolling-origin evaluation of the nowcasting family, the grid counterpart of ``Backtest``.
///
/// The last `folds * outFrames` frames are cut into `folds` consecutive blocks of `outFrames`
/// frames. For fold k the model sees only the frames before block k (its origin): it reads
/// the last `inFrames` of them and forecasts the block, scored against the observed frames
/// next to persistence (the last observed frame repeated). Without `refit` one model is trained
/// on the frames before the first origin and reused; with `refit` a model is trained afresh on
/// each fold's history. Training keeps `options.split.validation` for early stopping and
/// holds out no test frames (the folds are the test).
public enum NowcastBacktest {
    public struct Fold: Codable, Sendable, Equatable {
        public var fold: Int
        /// Frames of history before the origin.
        public var originFrame: Int
        /// Formatted time of the first forecast frame.
        public var originTime: String?
        public var model: NowcastScores
        public var persistence: NowcastScores

        enum CodingKeys: String, CodingKey {
            case fold, model, persistence
            case originFrame = "origin_frame", originTime = "origin_time"
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var folds: [Fold]
        /// Means over the folds: `model` and `persistence`, each with `mse`, `mae` and `csi@τ`.
        public var mean: [String: [String: Double]]
        public var outFrames: Int
    }

    public static func run(_ grid: GridData, options: NowcastOptions, folds: Int, refit: Bool, dataFile: String? = nil,
                           onFold: ((Fold) -> Void)? = nil, onEvent: ((TrainingEvent) -> Void)? = nil) throws -> Result {
        guard folds >= 1 else { throw DataError.invalidArgument("--folds must be at least 1") }
        let T = grid.times.count, L = options.outFrames
        let firstOrigin = T - folds * L
        guard firstOrigin >= options.inFrames + L else {
            throw DataError.invalidArgument("\(dataFile ?? "the grid"): \(T) frames are too few for \(folds) folds of \(L) frames after at least in-frames + out-frames = \(options.inFrames + L) frames of history")
        }
        var o = options
        o.split.test = 0
        let pixels = grid.height * grid.width
        var model: Nowcaster? = nil
        var results: [Fold] = []
        for k in 0..<folds {
            let origin = firstOrigin + k * L
            if refit || model == nil {
                model = try Nowcaster.fit(try grid.prefix(frames: origin), options: o, dataFile: dataFile, onEvent: onEvent)
            }
            guard let m = model else { break }
            let raw = try m.frames(of: grid, source: dataFile ?? "the grid")
            guard raw.count == T * pixels else { break }
            let report = m.evaluate(frames: raw, range: (origin - o.inFrames)..<(origin + L))
            let fold = Fold(fold: k + 1, originFrame: origin, originTime: grid.timeFormat.format(grid.times[origin]),
                            model: report.model, persistence: report.persistence)
            results.append(fold)
            onFold?(fold)
        }
        var mean: [String: [String: Double]] = [:]
        for (name, get) in [("model", { (f: Fold) in f.model }), ("persistence", { $0.persistence })] {
            let ss = results.map(get)
            let c = Double(max(ss.count, 1))
            var m = ["mse": ss.map(\.mse).reduce(0, +) / c, "mae": ss.map(\.mae).reduce(0, +) / c]
            for key in ss.first?.csi.keys.sorted() ?? [] {
                let vals = ss.compactMap { $0.csi[key] ?? nil }
                if !vals.isEmpty { m["csi@\(key)"] = vals.reduce(0, +) / Double(vals.count) }
            }
            mean[name] = m
        }
        return Result(folds: results, mean: mean, outFrames: L)
    }
}

extension GridData {
    /// The first `n` frames (and their times).
    public func prefix(frames n: Int) throws -> GridData {
        let T = times.count
        var dims = frames.shape.dims
        guard n >= 1, n <= T, !dims.isEmpty, dims[0] == T else { throw DataError.invalidArgument("cannot keep \(n) of \(T) frames") }
        let per = frames.count / T
        dims[0] = n
        guard let t = Tensor(shape: Shape(dims), scalars: Array(frames.scalars[0..<(n * per)])) else {
            throw DataError.invalidArgument("cannot keep \(n) of \(T) frames")
        }
        var out = self
        out.frames = t
        out.times = Array(times.prefix(n))
        return out
    }
}

import Foundation

/// A forecaster fed one observation at a time (``Forecaster/stream()``): it carries what it
/// needs from the observations so far and forecasts from it, without re-reading a file.
///
/// Two ways to carry the past, chosen from the model (``isIncremental``):
///
/// - **Carried recurrent state** (models without level normalisation, unidirectional and
///   undilated): the stream keeps every layer's `h` (and `c`) `[L, H]`; ``update(_:)`` runs one
///   step of each layer from it, `O(L·H·(I + H))` work, no window. The forecast is the head
///   of the newest top-layer state, exactly the network run from a zero state over *every*
///   observation since the stream started. After exactly `lookback` observations that is
///   ``Forecaster/predict(_:)`` on those rows; after more, the state also remembers the
///   older ones, which a windowed predict forgets (docs/deploy.md measures the difference).
/// - **Window** (level-normalised models, the default of `forecast train`, and bidirectional or
///   dilated ones): each window's inputs are shifted by the window's *last* value, so every
///   new observation changes the inputs of all earlier steps and no state can be carried
///   over exactly. The stream keeps the last `lookback` inputs (a ring, O(F) per update) and
///   ``forecast()`` runs the window: bit-identical to ``Forecaster/predict(_:)`` on the same rows.
///
/// Inputs are raw values in data units, one per ``ModelSpec/inputNames`` entry (calendar
/// inputs as their sin/cos values: ``update(columns:time:offsetMinutes:)`` computes them).
/// A stream belongs to one thread at a time; make one per series.
public final class ForecastStream: @unchecked Sendable {
    public let forecaster: Forecaster
    /// Whether ``update(_:)`` advances a carried recurrent state (else: a window ring).
    public let isIncremental: Bool
    /// Observations taken so far.
    public private(set) var count = 0

    private let spec: ModelSpec
    private let scalers: [ColumnScaler]
    // Carried state (incremental models).
    private let stepper: RecurrentStepper?
    // Window mode: the last `lookback` scaled inputs `[T, F]`, observation k in slot k % T.
    private var ring: [Float]

    public enum StreamError: Error, CustomStringConvertible, Sendable {
        case width(expected: Int, got: Int, names: [String])
        case notFinite(name: String, value: Float)
        case notWarm(needed: Int, have: Int)
        public var description: String {
            switch self {
            case .width(let e, let g, let names): return "an observation needs \(e) inputs (\(names.joined(separator: ", "))), got \(g)"
            case .notFinite(let name, let v): return "input '\(name)' is \(v); a stream needs finite values (fill gaps before updating)"
            case .notWarm(let needed, let have): return "the stream has \(have) observations; it forecasts after \(needed) (the model's lookback)"
            }
        }
    }

    init(_ forecaster: Forecaster) {
        self.forecaster = forecaster
        let spec = forecaster.spec
        self.spec = spec
        scalers = spec.inputNames.map { spec.scaler.scaler(for: $0) }
        let incremental = !spec.levelNormalization && spec.windowScaling == nil && spec.window.mode == .manyToOne && RecurrentStepper.supports(spec.architecture)
        isIncremental = incremental
        if incremental {
            stepper = RecurrentStepper(model: forecaster.model, params: forecaster.params)
            ring = []
        } else {
            stepper = nil
            ring = [Float](repeating: 0, count: spec.window.lookback * spec.inputNames.count)
        }
    }

    /// Takes one observation: `inputs` raw, in ``ModelSpec/inputNames`` order.
    public func update(_ inputs: [Float]) throws {
        let F = spec.inputNames.count
        guard inputs.count == F else { throw StreamError.width(expected: F, got: inputs.count, names: spec.inputNames) }
        var x = [Float](repeating: 0, count: F)
        for i in 0..<F {
            guard inputs[i].isFinite else { throw StreamError.notFinite(name: spec.inputNames[i], value: inputs[i]) }
            x[i] = scalers[i].transform(inputs[i])
        }
        if let stepper {
            x.withUnsafeBufferPointer { _ = stepper.step($0.baseAddress!) }
        } else {
            // Slot count % T: once full, it holds the oldest observation, which this one replaces.
            let slot = count % spec.window.lookback
            ring.withUnsafeMutableBufferPointer { ($0.baseAddress! + slot * F).update(from: x, count: F) }
        }
        count += 1
    }

    /// Takes one observation given by column: the model's data columns from `columns` and its
    /// calendar inputs computed from `time` (ms since the epoch; needed only when the model
    /// has calendar inputs).
    public func update(columns: [String: Float], time: Int64?, offsetMinutes: Int = 0) throws {
        var inputs: [Float] = []
        for name in spec.window.inputColumns {
            guard let v = columns[name] else { throw DataError.invalidArgument("the observation has no column '\(name)'") }
            inputs.append(v)
        }
        for feature in spec.window.calendar {
            guard let time else { throw DataError.invalidArgument("calendar input \(feature.rawValue) needs the observation's time") }
            let (s, c) = feature.encode(time, offsetMinutes: offsetMinutes)
            inputs += [s, c]
        }
        try update(inputs)
    }

    /// The forecast from the observations so far: `[horizon][P]` in data units, with the
    /// interval bounds of interval losses. Needs at least `lookback` observations.
    public func forecast() throws -> (values: [[Float]], lower: [[Float]]?, upper: [[Float]]?) {
        let T = spec.window.lookback
        guard count >= T else { throw StreamError.notWarm(needed: T, have: count) }
        let raw: [Float]
        if let stepper {
            raw = Array(stepper.output)
        } else {
            let F = spec.inputNames.count
            var window = [Float](repeating: 0, count: T * F)
            let oldest = count % T
            for t in 0..<T { for f in 0..<F { window[t * F + f] = ring[((oldest + t) % T) * F + f] } }
            raw = forecaster.predictScaled(window, windows: 1)
        }
        return forecaster.decode(raw[...])
    }
}

extension Forecaster {
    /// A stream that takes one observation at a time and forecasts from the observations so
    /// far (``ForecastStream``). Warm it with at least `lookback` observations first.
    public func stream() -> ForecastStream { ForecastStream(self) }
}

import ArgumentParser
import Forecast

// Typed option values: every option that names a choice parses into the library's own type, so
// a bad value is a usage error (exit code 2) listing the choices, never a silent default.

/// `--model`: a windowed recurrent regressor with this cell, or seq2seq.
enum ModelChoice: ExpressibleByArgument, Equatable, CustomStringConvertible {
    case recurrent(CellKind)
    case seq2seq
    /// The autoregressive probabilistic family (DeepAR).
    case deepar
    /// Ensemble of LSTMs, ETS and Theta, combination chosen on the validation split.
    case auto
    /// Per-series Holt-Winters smoothing learned jointly with a global LSTM (ES-hybrid).
    case eshybrid

    init?(argument: String) {
        if argument.lowercased() == "seq2seq" { self = .seq2seq; return }
        if argument.lowercased() == "deepar" { self = .deepar; return }
        if argument.lowercased() == "auto" { self = .auto; return }
        if argument.lowercased() == "eshybrid" { self = .eshybrid; return }
        guard let cell = CellKind(name: argument) else { return nil }
        self = .recurrent(cell)
    }

    static var allValueStrings: [String] { CellKind.allValueStrings + ["seq2seq", "deepar", "auto", "eshybrid"] }
    var description: String {
        switch self {
        case .recurrent(let c): return c == .rnnTanh ? "rnn" : c.rawValue
        case .seq2seq: return "seq2seq"
        case .deepar: return "deepar"
        case .auto: return "auto"
        case .eshybrid: return "eshybrid"
        }
    }
    var defaultValueDescription: String { description }

    /// The family this choice trains.
    var family: ModelFamily {
        switch self {
        case .recurrent: return .recurrent
        case .seq2seq: return .seq2seq
        case .deepar: return .autoregressive
        case .auto: return .ensemble
        case .eshybrid: return .eshybrid
        }
    }
}

extension CellKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    /// Every cell by its file name (`rnn_tanh` also parses as `rnn`): a new cell is listed here
    /// without touching this file.
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
    public var defaultValueDescription: String { rawValue }
}

extension LossKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { ["mse", "mae", "huber", "gaussian", "quantile"] }
    public var defaultValueDescription: String { name }
}

/// `--intervals`: how a point model gets prediction intervals.
enum IntervalMethod: String, ExpressibleByArgument, CaseIterable {
    /// Split conformal on the validation residuals per horizon step (``ConformalCalibration``).
    case conformal
}

extension LearningRateSchedule: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { ["constant", "step", "cosine", "plateau"] }
}

extension ConformalScore: ExpressibleByArgument {}
extension ConformalRule: ExpressibleByArgument {}
extension AutoregressiveScaling: ExpressibleByArgument {}

/// `--level 80,95` / `--quantiles 0.05,0.5,0.95`: a comma-separated list of numbers in an open
/// range, parsed and checked once.
struct NumberList: ExpressibleByArgument {
    var values: [Double]
    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, !parts.contains(nil), parts.allSatisfy({ $0!.isFinite }) else { return nil }
        values = parts.compactMap { $0 }
    }
    var defaultValueDescription: String { values.map { "\($0)" }.joined(separator: ",") }
}

extension Likelihood: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
    public var defaultValueDescription: String { rawValue }
}

extension MissingPolicy: ExpressibleByArgument {
    public static var allValueStrings: [String] { ["interpolate", "ffill", "drop", "error"] }
    public var defaultValueDescription: String { rawValue }
}

extension GapPolicy: ExpressibleByArgument {
    public static var allValueStrings: [String] { ["split", "reindex", "ignore"] }
    public var defaultValueDescription: String { rawValue }
}

extension AttentionKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { ["additive", "luong", "none"] }
    public var defaultValueDescription: String { rawValue }
}

extension BridgeKind: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension TeacherForcingSchedule: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public static var allValueStrings: [String] { ["teacher", "free", "constant:P", "linear[:MAX[:EPOCHS]]", "inverse-sigmoid[:K]"] }
    public var defaultValueDescription: String { "linear" }
}

extension EncoderForecaster.OutputActivation: ExpressibleByArgument {
    /// `linear` is accepted for `identity` (no output constraint).
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { ["softplus", "relu", "linear"] }
    public var defaultValueDescription: String { name }
}

extension FrameScaling.Transform: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// `forecast export --format`: the formats a model can be exported to.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    /// ONNX (opset 17): one graph from raw inputs to forecasts in data units.
    case onnx
}

extension ScalerScope: ExpressibleByArgument {}

/// `--window-scaling`: a ``WindowScaling`` or `none`.
enum WindowScalingChoice: String, ExpressibleByArgument, CaseIterable {
    /// Median and median absolute deviation of each window's inputs (``WindowScaling/robust``).
    case robust
    /// No per-window scaling.
    case none

    var scaling: WindowScaling? { self == .robust ? .robust : nil }
}

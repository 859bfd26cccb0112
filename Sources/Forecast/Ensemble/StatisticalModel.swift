/// A fitted statistical forecaster of one series and target, as an ensemble member holds it:
/// its forecast from any origin is a function of the history up to that origin (which starts
/// at the series' first row) and the parameters fitted at training time.
public enum StatisticalModel: Codable, Sendable, Equatable {
    /// Holt–Winters exponential smoothing (``ExponentialSmoothing``), form chosen by AICc.
    case ets(ExponentialSmoothing)
    /// The Theta method (``ThetaMethod``).
    case theta(ThetaMethod)
    /// The last value, repeated.
    case naive
    /// The value one season before each step.
    case seasonalNaive(period: Int)

    /// The kinds an ensemble fits, in the order `inspect` lists them.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case ets, theta, naive
        case seasonalNaive = "snaive"
    }

    /// Fits `kind` to `y` (season length m), on up to `workers` threads (the result does not
    /// depend on it); falls back to the naive forecast when `y` is too short for the model.
    public static func fit(_ kind: Kind, _ y: [Double], season m: Int, workers: Int = 1) -> StatisticalModel {
        switch kind {
        case .ets: return ExponentialSmoothing.fit(y, season: m, workers: workers).map { .ets($0) } ?? .naive
        case .theta: return ThetaMethod.fit(y, season: m).map { .theta($0) } ?? .naive
        case .naive: return .naive
        case .seasonalNaive: return .seasonalNaive(period: max(1, m))
        }
    }

    /// The `horizon`-step forecast after `history`.
    public func forecast(history: ArraySlice<Double>, horizon: Int) -> [Double] {
        switch self {
        case .ets(let m): return m.forecast(history: history, horizon: horizon)
        case .theta(let m): return m.forecast(history: history, horizon: horizon)
        case .naive:
            return [Double](repeating: history.last ?? .nan, count: horizon)
        case .seasonalNaive(let m):
            return (1...max(1, horizon)).prefix(horizon).map { h in
                let i = history.endIndex - 1 - (m * ((h + m - 1) / m) - h)
                return i >= history.startIndex ? history[i] : (history.last ?? .nan)
            }
        }
    }

    /// The forecasts after `history[history.startIndex...e]` for every `e` of `ends`, in the
    /// order of `ends`: bit for bit what ``forecast(history:horizon:)`` gives for each prefix, in
    /// one pass over the history for ETS (and the seasonal indices of Theta).
    public func forecasts(history: ArraySlice<Double>, ends: [Int], horizon: Int) -> [[Double]] {
        switch self {
        case .ets(let m): return m.forecasts(history: history, ends: ends, horizon: horizon)
        case .theta(let m): return m.forecasts(history: history, ends: ends, horizon: horizon)
        case .naive, .seasonalNaive:
            return ends.map { forecast(history: history[history.startIndex...$0], horizon: horizon) }
        }
    }

    /// A short description (`ETS(A,Ad,M)`, `Theta (multiplicative seasonal adjustment)`, …).
    public var name: String {
        switch self {
        case .ets(let m): return m.name
        case .theta(let m): return "Theta" + (m.decomposition.map { " (\($0.rawValue) seasonal adjustment)" } ?? "")
        case .naive: return "naive"
        case .seasonalNaive(let m): return "seasonal naive (\(m))"
        }
    }
}

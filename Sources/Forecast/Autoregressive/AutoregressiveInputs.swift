import Foundation

/// What the autoregressive family feeds its network at the step that predicts y_r (row r of a
/// series), next to y_{r−1}/ν, which is always input 0 (DeepAR's inputs, Salinas et al. 2020):
///
///     y_{r−1}/ν                                   the previous value (sampled when forecasting)
///     y_{r−L}/ν              for each L in lags   lagged values (e.g. one season back)
///     (x_{c,r} − mean_c) / scale_c  per covariate  known at every step, the forecast ones too
///     sin, cos  per calendar feature              of the timestamp of row r
///     sin, cos of 2π (r mod P)/P                  season phase by row index (P = phasePeriod;
///                                                 for data without timestamps)
///
/// with ν and the location ℓ of ``AutoregressiveScaling`` (y − ℓ in place of y: 0 for `mean`).
/// F = 1 + lags + covariates + 2 calendar + 2 phase inputs per step. Everything after the lags
/// is *known*: it depends on the row, never on the target, so forecasting reads it for the
/// forecast rows too. Kept in the model file (`config.inputs`); a file without it (the first
/// form of the family) reads y_{r−1}/ν only.
public struct AutoregressiveInputs: Codable, Sendable, Equatable {
    /// Extra lags of the target in steps, each at least 2, increasing.
    public var lags: [Int]
    /// Covariate columns, their training mean and scale (standard deviation, 1 when constant).
    public var covariates: [String]
    public var covariateMean: [Float]
    public var covariateScale: [Float]
    /// Calendar features of each row's timestamp (sin/cos pairs).
    public var calendar: [CalendarFeature]
    /// Period of the row-index phase features; nil: none.
    public var phasePeriod: Int?
    /// How a window's values are scaled.
    public var scaling: AutoregressiveScaling

    public init(lags: [Int] = [], covariates: [String] = [], covariateMean: [Float] = [], covariateScale: [Float] = [],
                calendar: [CalendarFeature] = [], phasePeriod: Int? = nil, scaling: AutoregressiveScaling = .mean) {
        self.lags = lags; self.covariates = covariates; self.covariateMean = covariateMean
        self.covariateScale = covariateScale; self.calendar = calendar; self.phasePeriod = phasePeriod
        self.scaling = scaling
    }

    /// Inputs per step that depend on the row only (covariates, calendar, phase).
    public var knownCount: Int { covariates.count + 2 * calendar.count + (phasePeriod == nil ? 0 : 2) }
    /// Inputs per step.
    public var featureCount: Int { 1 + lags.count + knownCount }
    /// How many rows before a step its inputs read: max(1, largest lag).
    public var reach: Int { max(1, lags.last ?? 1) }

    /// Appends the `knownCount` known inputs of row `row`: `covariates` holds the row's raw
    /// covariate values (data units, in `self.covariates` order), `time` its timestamp (needed
    /// when `calendar` is not empty).
    public func appendKnown(to out: inout [Float], row: Int, covariates x: [Float], time: Int64?, offsetMinutes: Int) {
        for c in covariates.indices { out.append((x[c] - covariateMean[c]) / covariateScale[c]) }
        for f in calendar {
            let (s, co) = f.encode(time ?? 0, offsetMinutes: offsetMinutes)
            out.append(s); out.append(co)
        }
        if let p = phasePeriod {
            let a = 2 * Double.pi * Double(row % p) / Double(p)
            out.append(Float(sin(a))); out.append(Float(cos(a)))
        }
    }

    /// Known inputs of `rows` of one series `[rows.count, knownCount]`: covariates from
    /// `columns` (indices of `set`'s columns, in `self.covariates` order), times from the series.
    /// Rows with a missing covariate give NaN inputs (windows touching them are skipped).
    public func known(_ series: TimeSeries, columns: [Int], rows: Range<Int>, offsetMinutes: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows.count * knownCount)
        for r in rows {
            appendKnown(to: &out, row: r, covariates: columns.map { series.values[$0][r] }, time: series.times?[r], offsetMinutes: offsetMinutes)
        }
        return out
    }

    /// Checks a loaded spec: lags increasing from 2, one mean and a positive finite scale per
    /// covariate, a phase period of at least 2.
    public func validate() throws {
        guard lags.allSatisfy({ (2...100_000).contains($0) }), zip(lags, lags.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw DataError.invalidArgument("inputs.lags must increase, each in 2...100000 (got \(lags))")
        }
        guard covariateMean.count == covariates.count, covariateScale.count == covariates.count,
              covariateMean.allSatisfy(\.isFinite), covariateScale.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw DataError.invalidArgument("inputs: each covariate needs a finite mean and a positive scale")
        }
        if let p = phasePeriod, !(2...1_000_000).contains(p) { throw DataError.invalidArgument("inputs.phasePeriod must be in 2...1000000") }
    }

    /// The calendar features that fit a frequency: hour of day and day of week below a day,
    /// day of week and of year for daily data, day of year (the month) for weekly and monthly
    /// data, none for yearly data.
    public static func defaultCalendar(_ f: Frequency) -> [CalendarFeature] {
        let day: Int64 = 86_400_000
        switch f.nominalMillis {
        case ..<day: return [.hourOfDay, .dayOfWeek]
        case day..<(2 * day): return [.dayOfWeek, .dayOfYear]
        case (2 * day)..<(360 * day): return [.dayOfYear]
        default: return []
        }
    }
}

/// How the autoregressive family scales a window from its context y_c (the C values before the
/// first forecast step): the network sees (y − ℓ)/ν and the likelihood scores y − ℓ with its
/// parameters scaled by ν (``Likelihood``: μ = ν u₀, σ = ν softplus(u₁) …); draws get ℓ added back.
public enum AutoregressiveScaling: String, Codable, Sendable, CaseIterable {
    /// DeepAR's mean scaling: ℓ = 0, ν = 1 + mean |y_c|. The right one for counts and positive
    /// data whose spread grows with the level; the family's first form.
    case mean
    /// Standardisation: ℓ = mean y_c, ν = standard deviation of y_c (at least 10⁻³ (1 + mean |y_c|)).
    /// For data on an interval scale (temperatures: 0 °F is no "zero level"), where spread does
    /// not follow |level|. Gaussian and Student-t are location families, so scoring y − ℓ under
    /// (ν u₀, ν σ′) is scoring y under (ℓ + ν u₀, ν σ′): the same likelihood, no new loss.
    case standard

    /// (ℓ, ν) of a context (missing values skipped).
    public func location(_ context: ArraySlice<Float>) -> (location: Float, scale: Float) {
        switch self {
        case .mean: return (0, AutoregressiveSamples.scale(context))
        case .standard:
            let finite = context.filter(\.isFinite)
            guard !finite.isEmpty else { return (0, 1) }
            var sum = 0.0, absSum = 0.0
            for v in finite { sum += Double(v); absSum += Double(abs(v)) }
            let mean = sum / Double(finite.count)
            var sq = 0.0
            for v in finite { sq += (Double(v) - mean) * (Double(v) - mean) }
            let sd = (sq / Double(finite.count)).squareRoot()
            return (Float(mean), Float(max(sd, 1e-3 * (1 + absSum / Double(finite.count)))))
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The regular index behind a column of decimal years, as R writes a `ts`: row `i` of a series
/// with frequency `f` (steps per year) starting at `start` has the time
///
///     t_i = start + i · (1/f)                       (R: seq.int(tsp[1], by = 1/f, length.out = n))
///     start = Y + k/f                               (R: start = c(Y, k + 1))
///
/// so a value maps back to its step by `i = round((t − start) · f)`. The steps are regular by
/// construction: R's daily series (f = 365) ignore leap days, weekly ones (f = 52) ignore the
/// 52.18 weeks of a real year. The grid therefore maps row `i` to the instant `i` steps after the
/// start's instant, not to the calendar date the fraction would suggest:
///
/// | f | step | start instant of `Y + k/f` |
/// | --- | --- | --- |
/// | 1, 2, 3, 4, 6, 12 | 12/f calendar months | the first of month `1 + k·12/f` of `Y` |
/// | 52 | 1 week | `Y`-01-01 + 7k days |
/// | 365, 365.25 | 1 day | `Y`-01-01 + k days |
/// | 365·m, 365.25·m (m = 24, 48, 96, 144, 288, 1440) | 1 day / m | `Y`-01-01 + k steps |
///
/// Writing an instant back gives `start + i · (1/f)` with R's 15 significant digits, so a
/// forecast continues the file's sequence digit for digit.
public struct DecimalYearGrid: Sendable, Equatable, Codable {
    /// R's frequency: steps per year (1, 4, 12, 52, 365, 365.25, 8760, …).
    public var stepsPerYear: Double
    /// The whole year and step of the start: `start = startYear + startStep / stepsPerYear`.
    public var startYear: Int
    public var startStep: Int
    /// Whether whole years were written with a trailing `.0` (`1981.0` rather than R's `1981`).
    public var wholeYearsWithPointZero: Bool

    public init(stepsPerYear: Double, startYear: Int, startStep: Int, wholeYearsWithPointZero: Bool = false) {
        self.stepsPerYear = stepsPerYear; self.startYear = startYear; self.startStep = startStep
        self.wholeYearsWithPointZero = wholeYearsWithPointZero
    }

    /// The frequencies a grid may have, finest last.
    public static let candidates: [Double] = {
        var c: [Double] = [1, 2, 3, 4, 6, 12, 52, 365, 365.25]
        for m in [24.0, 48, 96, 144, 288, 1440] { c += [365 * m, 365.25 * m] }
        return c
    }()

    /// Residual (in steps) up to which a value counts as lying on the grid.
    static let tolerance = 0.02

    /// The start value `Y + k/f`, computed as R does.
    public var start: Double { Double(startYear) + Double(startStep) / stepsPerYear }

    /// The regular step: calendar months for f dividing 12, else a fixed duration.
    public var step: Frequency {
        let f = stepsPerYear
        if f <= 12, 12.0.truncatingRemainder(dividingBy: f) == 0 {
            let months = Int(12 / f)
            return months == 12 ? .yearly : Frequency(.month, months)
        }
        if f == 52 { return .weekly }
        let perDay = (f / 365).rounded() == f / 365 ? f / 365 : f / 365.25
        return Frequency.fixed(millis: CivilTime.dayMillis / Int64(perDay.rounded())) ?? .daily
    }

    /// The instant of the start value.
    public var startInstant: Int64 {
        let s = step
        if s.isCalendar {
            return CivilTime(year: startYear, month: 1 + startStep * s.months, day: 1).instant()
        }
        return s.advance(CivilTime(year: startYear, month: 1, day: 1).instant(), by: startStep)
    }

    /// The step index of value `v` and how far (in steps) it lies from that step.
    public func index(of v: Double) -> (step: Int, residual: Double)? {
        guard v.isFinite else { return nil }
        let x = (v - start) * stepsPerYear
        guard abs(x) < 1e12 else { return nil }
        let i = x.rounded()
        return (Int(i), abs(x - i))
    }

    /// The instant of `v`, or nil when `v` is not on the grid.
    public func instant(of v: Double) -> Int64? {
        guard let (i, r) = index(of: v), r <= DecimalYearGrid.tolerance else { return nil }
        return step.advance(startInstant, by: i)
    }

    /// The value of step `i`: `start + i · (1/f)`, as R computes it.
    public func value(atStep i: Int) -> Double { start + Double(i) * (1 / stepsPerYear) }

    /// Writes `instant` as the decimal year of its step (15 significant digits, as R's
    /// `write.csv`); nil when the instant is not on the grid.
    public func format(_ instant: Int64) -> String? {
        guard let i = step.steps(from: startInstant, to: instant) else { return nil }
        let v = value(atStep: i)
        var s = DecimalYearGrid.significant15(v)
        if wholeYearsWithPointZero && !s.contains(".") && !s.contains("e") { s += ".0" }
        return s
    }

    /// A short human description: "365 steps per year (daily), start 1981".
    public var description: String {
        let f = stepsPerYear == stepsPerYear.rounded() ? String(Int(stepsPerYear)) : String(stepsPerYear)
        return "decimal year, \(f) steps per year"
    }

    /// `%.15g`, R's digits for `write.csv`.
    public static func significant15(_ v: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 40)
        let n = buffer.withUnsafeMutableBufferPointer { b in
            withVaList([v]) { vsnprintf(b.baseAddress, 40, "%.15g", $0) }
        }
        return String(decoding: buffer.prefix(Int(max(0, min(n, 39)))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Infers the grid of a column from sample values (in file order): the frequency comes from
    /// the most common spacing, `1/median(Δt)`; every candidate within 10% of it is tried and the
    /// one with the fewest values off the grid, then the smallest largest residual, wins (this
    /// separates 365 from 365.25 and copes with values rounded to a few decimals). A candidate may
    /// leave 1% of the values (at least one) off its grid — those cells fail later with their
    /// line — and nil means no candidate fits: irregular decimal years keep the proportional reading.
    /// - Parameter pointZero: whether whole years were written `1981.0`.
    public static func infer(_ sample: [Double], pointZero: Bool = false) -> DecimalYearGrid? {
        let values = sample.filter(\.isFinite)
        guard let first = values.first else { return nil }
        var diffs: [Double] = []
        for i in 1..<max(1, values.count) where values[i] > values[i - 1] { diffs.append(values[i] - values[i - 1]) }
        // One value, or no increasing step: a yearly grid is the only reading that needs no spacing.
        let estimate: Double
        if diffs.isEmpty {
            estimate = 1
        } else {
            diffs.sort()
            estimate = 1 / diffs[diffs.count / 2]
        }
        // A stray value (a typo) must not hide the grid: it is then an error naming its line.
        let allowedOff = max(1, values.count / 100)
        var best: (grid: DecimalYearGrid, off: Int, worst: Double)? = nil
        for f in candidates where abs(f / estimate - 1) <= 0.1 {
            let year = Int((first + 1e-9).rounded(.down))
            var k = Int(((first - Double(year)) * f).rounded())
            var y = year
            if Double(k) >= f.rounded(.down) && f == f.rounded() { y += 1; k -= Int(f) }
            let grid = DecimalYearGrid(stepsPerYear: f, startYear: y, startStep: k, wholeYearsWithPointZero: pointZero)
            var worst = 0.0, off = 0
            for v in values {
                guard let (_, r) = grid.index(of: v), r <= tolerance else { off += 1; if off > allowedOff { break }; continue }
                worst = max(worst, r)
            }
            guard off <= allowedOff, off < values.count else { continue }
            if let b = best, (b.off, b.worst) <= (off, worst) { continue }
            best = (grid, off, worst)
        }
        return best?.grid
    }
}

import Foundation

/// Verification scores of rain forecasts, per lead time and averaged over lead times, as in
/// Shi et al. (2015): in the data's units (mm/h),
///
///     MSE = mean (f - o)²        MAE = mean |f - o|      correlation = Pearson r over all pixels
///     at a threshold τ, per pixel: hit  f ≥ τ and o ≥ τ,  miss  f < τ ≤ o,  false alarm  o < τ ≤ f
///     CSI = hits / (hits + misses + false alarms)   POD = hits / (hits + misses)
///     FAR = false alarms / (hits + false alarms)
///
/// Counts are pooled over all test windows and pixels of a lead time; the averages are means of
/// the per-lead scores (a score whose denominator is zero is left out of the mean and reported
/// as null for that lead).
public struct NowcastScores: Codable, Sendable, Equatable {
    public struct Lead: Codable, Sendable, Equatable {
        public var lead: Int
        public var mse: Double
        public var mae: Double
        public var correlation: Double?
        /// Keyed by threshold label ("0.5", "2", "5").
        public var csi: [String: Double?]
        public var pod: [String: Double?]
        public var far: [String: Double?]
    }
    /// Per lead time 1...outFrames.
    public var leads: [Lead]
    /// Means over lead times.
    public var mse: Double
    public var mae: Double
    public var correlation: Double?
    public var csi: [String: Double?]
    public var pod: [String: Double?]
    public var far: [String: Double?]
}

/// Model and persistence scores on the same windows: the result of `forecast evaluate --grid`.
public struct NowcastReport: Codable, Sendable, Equatable {
    public var model: NowcastScores
    public var persistence: NowcastScores
    public var windows: Int
    public var leadTimes: Int
    public var thresholds: [Double]
    /// Minutes per lead time, when the data has a regular time step.
    public var minutesPerLead: Double?

    /// The flat JSON object of `forecast evaluate --grid --json`: `model` and `persistence`,
    /// each with `mse`, `mae`, `correlation`, `csi@τ`, `pod@τ`, `far@τ` averaged over lead
    /// times, and `per_lead` with the same keys for every lead time.
    public func jsonObject() -> [String: Any] {
        func flat(_ s: NowcastScores) -> [String: Any] {
            var o: [String: Any] = ["mse": s.mse, "mae": s.mae, "correlation": s.correlation ?? NSNull()]
            for (k, v) in s.csi { o["csi@\(k)"] = v ?? NSNull() }
            for (k, v) in s.pod { o["pod@\(k)"] = v ?? NSNull() }
            for (k, v) in s.far { o["far@\(k)"] = v ?? NSNull() }
            o["per_lead"] = s.leads.map { l -> [String: Any] in
                var d: [String: Any] = ["lead": l.lead, "mse": l.mse, "mae": l.mae, "correlation": l.correlation ?? NSNull()]
                for (k, v) in l.csi { d["csi@\(k)"] = v ?? NSNull() }
                for (k, v) in l.pod { d["pod@\(k)"] = v ?? NSNull() }
                for (k, v) in l.far { d["far@\(k)"] = v ?? NSNull() }
                return d
            }
            return o
        }
        var o: [String: Any] = ["model": flat(model), "persistence": flat(persistence), "windows": windows,
                                "lead_times": leadTimes, "thresholds": thresholds]
        if let m = minutesPerLead { o["minutes_per_lead"] = m }
        return o
    }
}

/// Accumulates verification counts per lead time.
public struct NowcastScoreAccumulator: Sendable {
    public static let defaultThresholds: [Double] = [0.5, 2, 5]
    public let thresholds: [Double]
    let leads: Int
    var n: [Double], sq: [Double], abs: [Double]
    var sf: [Double], so: [Double], sff: [Double], soo: [Double], sfo: [Double]
    var hits: [[Double]], misses: [[Double]], falseAlarms: [[Double]]

    public init(leads: Int, thresholds: [Double] = NowcastScoreAccumulator.defaultThresholds) {
        self.leads = leads
        self.thresholds = thresholds
        let z = [Double](repeating: 0, count: leads)
        n = z; sq = z; abs = z; sf = z; so = z; sff = z; soo = z; sfo = z
        let zz = [[Double]](repeating: [Double](repeating: 0, count: thresholds.count), count: leads)
        hits = zz; misses = zz; falseAlarms = zz
    }

    /// Adds one frame pair at lead `lead` (0-based): forecast and observation, same length.
    public mutating func add(lead: Int, forecast f: UnsafePointer<Float>, observed o: UnsafePointer<Float>, count: Int) {
        var cn = 0.0, csq = 0.0, cabs = 0.0, csf = 0.0, cso = 0.0, csff = 0.0, csoo = 0.0, csfo = 0.0
        var h = [Double](repeating: 0, count: thresholds.count), m = h, fa = h
        let th = thresholds.map { Float($0) }
        for i in 0..<count {
            let fv = f[i], ov = o[i]
            guard fv.isFinite, ov.isFinite else { continue }
            let e = Double(fv) - Double(ov)
            cn += 1; csq += e * e; cabs += Swift.abs(e)
            csf += Double(fv); cso += Double(ov); csff += Double(fv) * Double(fv); csoo += Double(ov) * Double(ov)
            csfo += Double(fv) * Double(ov)
            for (k, t) in th.enumerated() {
                let fy = fv >= t, oy = ov >= t
                if fy && oy { h[k] += 1 } else if oy { m[k] += 1 } else if fy { fa[k] += 1 }
            }
        }
        n[lead] += cn; sq[lead] += csq; abs[lead] += cabs
        sf[lead] += csf; so[lead] += cso; sff[lead] += csff; soo[lead] += csoo; sfo[lead] += csfo
        for k in 0..<thresholds.count { hits[lead][k] += h[k]; misses[lead][k] += m[k]; falseAlarms[lead][k] += fa[k] }
    }

    /// Labels of the thresholds as used in keys: "0.5", "2", "5".
    public static func label(_ t: Double) -> String {
        t == t.rounded() ? String(Int(t)) : String(t)
    }

    public func scores() -> NowcastScores {
        var out: [NowcastScores.Lead] = []
        for l in 0..<leads {
            let c = max(n[l], 1)
            let cov = sfo[l] / c - (sf[l] / c) * (so[l] / c)
            let vf = sff[l] / c - (sf[l] / c) * (sf[l] / c), vo = soo[l] / c - (so[l] / c) * (so[l] / c)
            let corr: Double? = vf > 1e-12 && vo > 1e-12 ? cov / (vf * vo).squareRoot() : nil
            var csi: [String: Double?] = [:], pod: [String: Double?] = [:], far: [String: Double?] = [:]
            for (k, t) in thresholds.enumerated() {
                let key = Self.label(t)
                let h = hits[l][k], m = misses[l][k], fa = falseAlarms[l][k]
                csi[key] = h + m + fa > 0 ? h / (h + m + fa) : nil
                pod[key] = h + m > 0 ? h / (h + m) : nil
                far[key] = h + fa > 0 ? fa / (h + fa) : nil
            }
            out.append(.init(lead: l + 1, mse: sq[l] / c, mae: abs[l] / c, correlation: corr, csi: csi, pod: pod, far: far))
        }
        func mean(_ xs: [Double?]) -> Double? {
            let v = xs.compactMap { $0 }
            return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
        }
        var csi: [String: Double?] = [:], pod: [String: Double?] = [:], far: [String: Double?] = [:]
        for t in thresholds {
            let key = Self.label(t)
            csi[key] = mean(out.map { $0.csi[key] ?? nil })
            pod[key] = mean(out.map { $0.pod[key] ?? nil })
            far[key] = mean(out.map { $0.far[key] ?? nil })
        }
        return NowcastScores(leads: out, mse: mean(out.map(\.mse)) ?? 0, mae: mean(out.map(\.mae)) ?? 0,
                             correlation: mean(out.map(\.correlation)), csi: csi, pod: pod, far: far)
    }
}

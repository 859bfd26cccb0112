/// Cross-conformal refits of the `auto` ensemble (``ConformalRule/cross``): the whole
/// procedure of ``EnsembleForecaster/fit(_:targets:options:dataFile:networkMembers:onEvent:)``
/// (members, statistical fits, the choice of the combination on the refit's own validation
/// rows) rerun at ``ConformalFolds``' earlier origins and scored at their held-out rows.
///
///     refit k   EnsembleForecaster.fit(set cut to E_k(s) rows per series, the same options and
///               horizon, the same number of recurrent members, no calibration); its
///               statistical members refitted on its training rows [0, v(E_k)) only, so that
///               both its validation and test rows are out of sample for every component
///               →  its combination's forecasts at every origin e (e ≥ its reach − 1, whole
///               window in the full series) and step h with e + h in [v(E_k), E_k)
///
/// As for the single network (``Forecaster/crossResiduals``): the scored steps' inputs are
/// rows before E_k, the held-out rows were never a training target of any component, the test
/// rows are never read, and refits are seeded and bit-identical for any worker count. A refit
/// costs about a training of the ensemble on E_k rows.
extension EnsembleForecaster {
    /// The held-out residuals of up to `options.conformalFolds` refits on `set`, each with
    /// `networkMembers` recurrent members (the trained ensemble's count); local scales over the
    /// `scaleRows` rows up to each origin.
    static func crossResiduals(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions, window: WindowSpec,
                               networkMembers: Int, scaleRows: Int) throws -> ConformalResiduals {
        let plan = ConformalFolds(rows: set.series.map(\.count), split: options.split, folds: options.conformalFolds,
                                  minimumTrainingRows: window.lookback + window.horizon)
        var o = options
        o.conformal = false
        o.horizon = window.horizon
        let filled = EnsembleForecaster.filledTargets(set, targets: targets)
        var all = ConformalResiduals()
        for k in 0..<plan.count {
            let cut = ConformalFolds.truncated(set, ends: plan.ends[k])
            let refit = try EnsembleForecaster.fit(cut, targets: targets, options: o, networkMembers: networkMembers)
            var spec = refit.spec
            spec.statistical = fitStatistical(EnsembleForecaster.filledTargets(cut, targets: targets), season: spec.seasonLength,
                                              split: spec.split, throughValidation: false)
            let model = EnsembleForecaster(spec: spec, networks: refit.networks, hybrid: refit.hybrid, provenance: nil)
            let H = spec.window.horizon, P = spec.window.targets.count, reach = model.conformalReach
            var origins: [Origin] = []
            for (s, series) in set.series.enumerated() {
                let block = plan.heldOut(k, series: s)
                for segment in series.segments {
                    var first = max(segment.lowerBound + reach - 1, block.lowerBound - H)
                    if spec.split.boundary == .whole { first = max(first, block.lowerBound + spec.window.lookback - 1) }
                    let last = min(segment.upperBound - 1 - H, block.upperBound - 2)
                    guard first <= last else { continue }
                    for e in first...last { origins.append((s, e)) }
                }
            }
            let forecasts = try model.combinedForecasts(set, filled: filled, origins: origins).map { $0.flatMap { $0 } }
            var actuals = model.conformalActuals(set, origins: origins)
            for (i, origin) in origins.enumerated() {
                let block = plan.heldOut(k, series: origin.series)
                for h in 1...H where !block.contains(origin.end + h) {
                    for p in 0..<P { actuals[i][(h - 1) * P + p] = .nan }
                }
            }
            all.append(ConformalResiduals(forecasts: forecasts, actuals: actuals,
                                          scales: EnsembleForecaster.localScales(filled, origins: origins, rows: scaleRows), folds: 1))
        }
        return all
    }
}

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
    /// `scaleRows` rows up to each origin. `model`: the trained ensemble with its statistical
    /// members still fitted on the training rows; a refit whose error on the model's validation
    /// rows (origins both reach) exceeds ``ConformalFolds/admissibleErrorRatio`` times the
    /// model's is left out (its ratio is still recorded).
    static func crossResiduals(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions, window: WindowSpec,
                               networkMembers: Int, scaleRows: Int, model trained: EnsembleForecaster) throws -> ConformalResiduals {
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
                                              split: spec.split, throughValidation: false, workers: options.training.workers)
            let model = EnsembleForecaster(spec: spec, networks: refit.networks, hybrid: refit.hybrid, provenance: nil)
            let reach = model.conformalReach
            // Its error on the trained model's validation rows against the model's, from origins both reach.
            var common = ConformalResiduals(), own = ConformalResiduals()
            for (m, into) in [(model, 0), (trained, 1)] {
                let r = try m.heldOutResiduals(set, filled: filled, reach: max(reach, trained.conformalReach), scaleRows: scaleRows) { s in
                    let (vStart, tStart) = trained.spec.split.boundaries(rows: set.series[s].count)
                    return vStart..<tStart
                }
                if into == 0 { common = r } else { own = r }
            }
            let ratio = ConformalResiduals.errorRatio(common, model: own)
            all.foldErrorRatios.append(ratio)
            guard ratio <= ConformalFolds.admissibleErrorRatio else { continue }
            var r = try model.heldOutResiduals(set, filled: filled, reach: reach, scaleRows: scaleRows) { plan.heldOut(k, series: $0) }
            r.folds = 1
            all.append(r)
        }
        return all
    }

    /// The combination's residuals at every origin e ≥ `reach` − 1 (stride 1, whole window in
    /// its series) and step h with e + h in `heldOut(series)`; other steps masked (NaN actuals).
    /// Local scales over the `scaleRows` rows up to each origin.
    func heldOutResiduals(_ set: TimeSeriesSet, filled: [[[Double]]], reach: Int, scaleRows: Int,
                          heldOut: (Int) -> Range<Int>) throws -> ConformalResiduals {
        let H = spec.window.horizon, P = spec.window.targets.count
        var origins: [Origin] = []
        for (s, series) in set.series.enumerated() {
            let block = heldOut(s)
            for segment in series.segments {
                var first = max(segment.lowerBound + reach - 1, block.lowerBound - H)
                if spec.split.boundary == .whole { first = max(first, block.lowerBound + spec.window.lookback - 1) }
                let last = min(segment.upperBound - 1 - H, block.upperBound - 2)
                guard first <= last else { continue }
                for e in first...last { origins.append((s, e)) }
            }
        }
        let forecasts = try combinedForecasts(set, filled: filled, origins: origins).map { $0.flatMap { $0 } }
        var actuals = conformalActuals(set, origins: origins)
        for (i, origin) in origins.enumerated() {
            let block = heldOut(origin.series)
            for h in 1...H where !block.contains(origin.end + h) {
                for p in 0..<P { actuals[i][(h - 1) * P + p] = .nan }
            }
        }
        return ConformalResiduals(forecasts: forecasts, actuals: actuals, scales: EnsembleForecaster.localScales(filled, origins: origins, rows: scaleRows))
    }
}

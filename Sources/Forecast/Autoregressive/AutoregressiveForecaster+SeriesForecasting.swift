import Foundation

extension AutoregressiveForecaster: SeriesForecasting {
    public var family: ModelFamily { .autoregressive }
    public var horizon: Int { spec.horizon }
    public func forecasts(after set: TimeSeriesSet) throws -> [SeriesForecast] { try predict(set) }
    public func evaluate(_ set: TimeSeriesSet) throws -> EvaluationReport { try evaluate(set, workers: 1) }

    /// Warm start: continues training on `set` with a fresh optimizer, keeping the spec.
    public func fineTuned(on set: TimeSeriesSet, training: TrainingConfig, dataFile: String?, checkpointPath: String?, resume: Bool,
                          onEvent: ((TrainingEvent) -> Void)?) throws -> AutoregressiveForecaster {
        guard let col = set.columnIndex(spec.target) else { throw DataError.invalidArgument("\(set.source): no column '\(spec.target)'") }
        var train = AutoregressiveSamples(context: spec.context, horizon: spec.horizon, inputs: spec.inputs)
        var validation = train
        let columns = try covariateColumns(set)
        for s in set.series {
            let (v, t) = spec.split.boundaries(rows: s.count)
            let known = knownCount == 0 ? [] : spec.inputs?.known(s, columns: columns, rows: 0..<s.count, offsetMinutes: set.timeFormat?.offsetMinutes ?? 0) ?? []
            train.append(s.values[col], known: known, rows: 0..<v, stride: 1)
            validation.append(s.values[col], known: known, rows: max(0, v - spec.context)..<t, stride: 1)
        }
        if train.isEmpty { throw TrainingError.emptyTrainingSet }
        var cfg = training
        cfg.loss = .likelihood(spec.likelihood)
        let trainer = try Trainer.starting(model: model, config: cfg, initial: params, checkpointPath: checkpointPath, resume: resume, spec: spec)
        trainer.onEvent = onEvent
        try trainer.fit(train: train, validation: validation.isEmpty ? nil : validation, checkpointPath: checkpointPath,
                        checkpointSections: try Trainer<AutoregressiveRegressor>.specSection(spec))
        var calibrated = spec
        if spec.spread != nil {
            calibrated.spread = try AutoregressiveForecaster(spec: spec, params: trainer.params, provenance: nil).spreadFactors(set, workers: cfg.workers)
        }
        let tuned = AutoregressiveForecaster(spec: calibrated, params: trainer.params, provenance: nil)
        let report = try? tuned.evaluate(set)
        let prov = Provenance(dataFile: dataFile, source: set.source, training: cfg, history: (provenance?.history ?? []) + trainer.history, bestEpoch: trainer.bestEpoch,
                              trainWindows: train.count, validationWindows: validation.count, testWindows: report?.windows ?? 0,
            extra: SeriesRecord(rows: set.rowCount, series: set.series.count, testMetrics: report))
        return AutoregressiveForecaster(spec: calibrated, params: trainer.params, provenance: prov)
    }
}

import Foundation

extension Nowcaster {
    /// Warm start: continues training this nowcaster on `grid` for `training.epochs` epochs with
    /// a fresh optimizer, through the one ``Trainer`` (as ``Forecaster`` and
    /// ``Seq2SeqForecaster`` fine-tune). The architecture, the frame scaling fitted at `fit`
    /// time and the split fractions (`spec.split`) are kept, so the weights keep their meaning:
    ///
    ///     frames [T, H, W] (data units) -> scaling.forward -> windows of the train / validation
    ///     ranges of spec.split.ranges(frames: T) -> Trainer (MSE in model units)
    ///
    /// The test range is scored afterwards (model against persistence) into
    /// `provenance.testReport`; the history continues this model's. `self` is unchanged.
    /// With `checkpointPath`, a checkpoint is written atomically after every epoch; with
    /// `resume` and an existing checkpoint there, training continues from it exactly.
    public func fineTuned(on grid: GridData, training: TrainingConfig, dataFile: String? = nil,
                          checkpointPath: String? = nil, resume: Bool = false,
                          onEvent: ((TrainingEvent) -> Void)? = nil) throws -> Nowcaster {
        let source = dataFile ?? "the grid"
        let started = DispatchTime.now().uptimeNanoseconds
        let raw = try frames(of: grid, source: source)
        let a = spec.architecture, P = a.height * a.width
        let T = raw.count / max(P, 1)
        let ranges = spec.split.ranges(frames: T)
        let span = a.inFrames + a.outFrames
        guard ranges.train.count >= span else {
            throw DataError.invalidArgument("\(source): \(T) frames leave \(ranges.train.count) for training, fewer than in-frames + out-frames = \(span)")
        }
        let scaled = raw.map { spec.scaling.forward($0) }
        let train = FrameWindows(frames: scaled, frameSize: P, inFrames: a.inFrames, outFrames: a.outFrames, range: ranges.train)
        let validation = FrameWindows(frames: scaled, frameSize: P, inFrames: a.inFrames, outFrames: a.outFrames, range: ranges.validation)
        let test = FrameWindows(frames: scaled, frameSize: P, inFrames: a.inFrames, outFrames: a.outFrames, range: ranges.test)
        var cfg = training
        cfg.loss = .mse
        let trainer = try Trainer.starting(model: EncoderForecaster(a), config: cfg, initial: params,
                                           checkpointPath: checkpointPath, resume: resume, spec: spec)
        trainer.onEvent = onEvent
        try trainer.fit(train: train, validation: validation.isEmpty ? nil : validation, checkpointPath: checkpointPath,
                        checkpointSections: try Trainer<EncoderForecaster>.specSection(spec))
        let untested = Nowcaster(spec: spec, params: trainer.params, provenance: nil)
        let report = test.isEmpty ? nil : untested.evaluate(frames: raw, range: ranges.test)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let prov = NowcastProvenance(
            dataFile: dataFile, source: source, training: cfg, history: (provenance?.history ?? []) + trainer.history,
            bestEpoch: trainer.bestEpoch, trainWindows: train.count, validationWindows: validation.count, testWindows: test.count,
            extra: NowcastRecord(frames: T, trainingSeconds: seconds, testReport: report))
        return Nowcaster(spec: spec, params: trainer.params, provenance: prov)
    }
}

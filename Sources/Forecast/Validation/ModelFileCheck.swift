/// Validates a model file's `config` section against the limits and against the tensors the
/// file actually holds, before the network or any buffer is built. Each loader calls one of
/// these right after decoding the section; any failure is a ``ModelFileError`` naming the file
/// and the field. The rules, on top of ``ConfigLimits`` and ``LayoutMatch``:
///
///     window      lookback, horizon, stride and season within ``WindowLimits``; at least one target
///     inputs      `inputNames` are exactly the window's inputs, as many as the network reads
///     head        the network's outputs per window equal targets × steps × the loss's outputs
///     loss        quantiles: 1 ... 99 of them, each strictly between 0 and 1
///     scaler      one scaler per column, finite offsets, finite non-zero scales
///     split       finite fractions, each in [0, 1), summing to less than 1
///     frequency   count 1 ... 1000000
///     time format (grid models) fraction digits 0 ... 9, UTC offset within ±24 h
public enum ModelFileCheck {
    /// A series (LSTM/GRU/RNN) model.
    public static func check(_ spec: ModelSpec, tensors: [(name: String, tensor: Tensor)], path: String) throws {
        do {
            try ConfigLimits.check(spec.architecture)
            try window(spec.window, inputNames: spec.inputNames, inputSize: spec.architecture.rawInputSize)
            try common(loss: spec.loss, scaler: spec.scaler, season: spec.seasonLength, split: spec.split, frequency: spec.frequency)
            let arch = spec.architecture
            let perWindow = arch.readout == .last ? arch.outputs : ConfigLimits.product(spec.window.lookback, arch.outputs)
            let implied = ConfigLimits.product(spec.window.targetLength, spec.loss.outputsPerTarget)
            guard let perWindow, perWindow == implied else {
                throw ConfigFieldError(field: "architecture.outputs", message: "is \(arch.outputs), but \(spec.window.targets.count) target(s) x horizon \(spec.window.horizon) with loss \(spec.loss.name) need \(implied.map(String.init) ?? "too many") outputs")
            }
            try LayoutMatch.check(SequenceRegressor(arch).layout, tensors: tensors)
        } catch let e as ConfigFieldError { throw ModelFileError(path: path, e) }
    }

    /// A seq2seq model.
    public static func check(_ spec: Seq2SeqSpec, tensors: [(name: String, tensor: Tensor)], path: String) throws {
        do {
            try ConfigLimits.check(spec.model)
            try window(spec.window, inputNames: spec.inputNames, inputSize: spec.model.encoder.inputSize)
            try common(loss: spec.loss, scaler: spec.scaler, season: spec.seasonLength, split: spec.split, frequency: spec.frequency)
            guard spec.window.targets.count == spec.model.targets else {
                throw ConfigFieldError(field: "model.targets", message: "is \(spec.model.targets), but the window has \(spec.window.targets.count) target(s)")
            }
            guard spec.window.horizon == spec.model.horizon else {
                throw ConfigFieldError(field: "window.horizon", message: "is \(spec.window.horizon), but the decoder runs \(spec.model.horizon) steps")
            }
            guard spec.loss.outputsPerTarget == spec.model.outputsPerTarget else {
                throw ConfigFieldError(field: "model.outputsPerTarget", message: "is \(spec.model.outputsPerTarget), but loss \(spec.loss.name) needs \(spec.loss.outputsPerTarget)")
            }
            guard spec.futureInputIndices.count == spec.model.futureInputs, spec.futureInputNames.count == spec.futureInputIndices.count,
                  spec.futureInputIndices.allSatisfy({ $0 >= 0 && $0 < spec.inputNames.count }) else {
                throw ConfigFieldError(field: "futureInputIndices", message: "do not match model.futureInputs (\(spec.model.futureInputs)) and the \(spec.inputNames.count) inputs")
            }
            try LayoutMatch.check(Seq2Seq(spec.model).layout, tensors: tensors)
        } catch let e as ConfigFieldError { throw ModelFileError(path: path, e) }
    }

    /// A grid (ConvLSTM nowcasting) model.
    public static func check(_ spec: NowcastSpec, tensors: [(name: String, tensor: Tensor)], path: String) throws {
        do {
            try ConfigLimits.check(spec.architecture)
            guard spec.scaling.scale.isFinite, spec.scaling.scale > 0 else {
                throw ConfigFieldError(field: "scaling.scale", message: "is \(spec.scaling.scale); it must be finite and positive")
            }
            try fractions(spec.split.validation, spec.split.test, field: "split")
            try frequency(spec.frequency)
            if let t = spec.timeFormat {
                try ConfigLimits.require(t.fractionDigits, in: 0...9, field: "timeFormat.fractionDigits")
                try ConfigLimits.require(t.offsetMinutes, in: -1440...1440, field: "timeFormat.zone")
            }
            try LayoutMatch.check(EncoderForecaster(spec.architecture).layout, tensors: tensors)
        } catch let e as ConfigFieldError { throw ModelFileError(path: path, e) }
    }

    // MARK: Shared rules

    static func window(_ w: WindowSpec, inputNames: [String], inputSize: Int) throws {
        try ConfigLimits.require(w.lookback, in: WindowLimits.lookback, field: "window.lookback")
        try ConfigLimits.require(w.horizon, in: WindowLimits.horizon, field: "window.horizon")
        try ConfigLimits.require(w.stride, in: 1...WindowLimits.lookback.upperBound, field: "window.stride")
        try ConfigLimits.require(w.targets.count, in: ConfigLimits.inputs, field: "window.targets")
        guard inputNames == w.inputNames else {
            throw ConfigFieldError(field: "inputNames", message: "has \(inputNames.count) name(s), but the window's targets, features and calendar make \(w.inputNames.count)")
        }
        guard inputNames.count == inputSize else {
            throw ConfigFieldError(field: "inputNames", message: "has \(inputNames.count) name(s), but the network reads \(inputSize) inputs per step")
        }
    }

    static func common(loss: LossKind, scaler: Scaler, season: Int, split: SplitSpec, frequency f: Frequency?) throws {
        if case .quantile(let qs) = loss {
            try ConfigLimits.require(qs.count, in: 1...99, field: "loss.quantile")
            for q in qs where !(q > 0 && q < 1) {
                throw ConfigFieldError(field: "loss.quantile", message: "holds \(q); quantiles must lie strictly between 0 and 1")
            }
        }
        guard scaler.columns.count == scaler.scalers.count else {
            throw ConfigFieldError(field: "scaler", message: "has \(scaler.columns.count) column(s) but \(scaler.scalers.count) scaler(s)")
        }
        for (c, s) in zip(scaler.columns, scaler.scalers) where !(s.offset.isFinite && s.scale.isFinite && s.scale != 0) {
            throw ConfigFieldError(field: "scaler", message: "for column '\(c)' has offset \(s.offset) and scale \(s.scale); both must be finite and the scale non-zero")
        }
        try ConfigLimits.require(season, in: WindowLimits.season, field: "seasonLength")
        try fractions(split.validation, split.test, field: "split")
        try frequency(f)
    }

    static func fractions(_ v: Double, _ t: Double, field: String) throws {
        guard v.isFinite, t.isFinite, v >= 0, t >= 0, v < 1, t < 1, v + t < 1 else {
            throw ConfigFieldError(field: field, message: "has validation \(v) and test \(t); each must be in [0, 1) and their sum below 1")
        }
    }

    static func frequency(_ f: Frequency?) throws {
        if let f { try ConfigLimits.require(f.count, in: 1...1_000_000, field: "frequency.count") }
    }
}

/// The largest sizes a model may have, checked before anything is allocated, whether the
/// numbers come from a model file or from command-line options. Every check is a plain
/// comparison or an overflow-checked product, so no value can trap.
///
///     hidden units (recurrent, seq2seq decoder, attention)   1 ... 16384
///     stacked layers                                          1 ... 64
///     inputs per step                                         1 ... 100000
///     head outputs                                            1 ... 1000000
///     ConvLSTM channels per layer                             1 ... 4096
///     ConvLSTM kernel                                         odd, 1 ... 31
///     grid side / pixels                                      1 ... 16384 / 2^26
///     parameters in a model                                   at most 2^31
///
/// Window sizes (lookback, horizon, steps) have their own limits in ``WindowLimits``.
public enum ConfigLimits {
    public static let hidden = 1...16_384
    public static let layers = 1...64
    public static let inputs = 1...100_000
    public static let outputs = 1...1_000_000
    public static let channels = 1...4_096
    public static let kernel = 1...31
    public static let gridSide = 1...16_384
    public static let maxPixels = 1 << 26
    public static let maxParameters = 1 << 31

    /// Throws unless `value` lies in `range`.
    public static func require(_ value: Int, in range: ClosedRange<Int>, field: String) throws {
        guard range.contains(value) else {
            throw ConfigFieldError(field: field, message: "is \(value), outside the allowed range \(range.lowerBound) ... \(range.upperBound)")
        }
    }

    /// Throws unless `value` is finite and in `range`.
    public static func require(_ value: Double, in range: ClosedRange<Double>, field: String) throws {
        guard value.isFinite, range.contains(value) else {
            throw ConfigFieldError(field: field, message: "is \(value), outside the allowed range \(range.lowerBound) ... \(range.upperBound)")
        }
    }

    /// `a × b × ...` or nil when the product overflows or passes `limit`.
    public static func product(_ factors: Int..., limit: Int = Int.max) -> Int? {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            guard !overflow, r <= limit else { return nil }
            p = r
        }
        return p
    }

    /// A recurrent stack (`field` names it, e.g. `architecture.recurrent`).
    public static func check(_ c: RecurrentConfig, field: String) throws {
        try require(c.inputSize, in: inputs, field: "\(field).inputSize")
        try require(c.hiddenSize, in: hidden, field: "\(field).hiddenSize")
        try require(c.numLayers, in: layers, field: "\(field).numLayers")
        try require(Double(c.dropout), in: 0...0.999_999, field: "\(field).dropout")
        // Weights of the widest layer times the layer count: the parameter count's bound.
        let width = max(c.inputSize, c.outputSize)
        guard product(c.cell.gates, c.hiddenSize, width + c.hiddenSize + 2, c.directions, c.numLayers, limit: maxParameters) != nil else {
            throw ConfigFieldError(field: "\(field).hiddenSize", message: "is \(c.hiddenSize): with \(c.numLayers) layer(s) and \(c.inputSize) inputs the model would pass \(maxParameters) parameters")
        }
    }

    /// A windowed regressor (`architecture` in a series model file).
    public static func check(_ c: SequenceRegressor.Config, field: String = "architecture") throws {
        try check(c.recurrent, field: "\(field).recurrent")
        try require(c.outputs, in: outputs, field: "\(field).outputs")
        guard product(c.outputs, c.recurrent.outputSize + 1, limit: maxParameters) != nil else {
            throw ConfigFieldError(field: "\(field).outputs", message: "is \(c.outputs): the head would pass \(maxParameters) parameters")
        }
        if let e = c.embeddings {
            // Each index column lies in the raw row (and appears once); tables stay small.
            let raw = c.rawInputSize
            guard raw >= e.count, Set(e.map(\.column)).count == e.count else {
                throw ConfigFieldError(field: "\(field).embeddings", message: "do not fit an input of \(c.recurrent.inputSize) values per step")
            }
            for (k, x) in e.enumerated() {
                try require(x.column, in: 0...(raw - 1), field: "\(field).embeddings[\(k)].column")
                try require(x.cardinality, in: 1...1_000_000, field: "\(field).embeddings[\(k)].cardinality")
                try require(x.dimension, in: 1...256, field: "\(field).embeddings[\(k)].dimension")
            }
        }
    }

    /// A seq2seq network (`model` in a seq2seq model file), then its own combination rules.
    public static func check(_ c: Seq2SeqConfig, field: String = "model") throws {
        try check(c.encoder, field: "\(field).encoder")
        try require(c.decoderHidden, in: hidden, field: "\(field).decoderHidden")
        try require(c.attentionSize, in: hidden, field: "\(field).attentionSize")
        try require(c.targets, in: inputs, field: "\(field).targets")
        try require(c.futureInputs, in: 0...inputs.upperBound, field: "\(field).futureInputs")
        try require(c.horizon, in: WindowLimits.horizon, field: "\(field).horizon")
        try require(c.outputsPerTarget, in: 1...1_000, field: "\(field).outputsPerTarget")
        guard product(c.targets, c.outputsPerTarget, c.horizon, limit: outputs.upperBound) != nil else {
            throw ConfigFieldError(field: "\(field).horizon", message: "is \(c.horizon): with \(c.targets) target(s) the head would pass \(outputs.upperBound) outputs")
        }
        do { try c.validate() } catch { throw ConfigFieldError(field: field, message: "is inconsistent: \(error)") }
    }

    /// A ConvLSTM encoder–forecaster (`architecture` in a grid model file).
    public static func check(_ c: EncoderForecaster.Config, field: String = "architecture") throws {
        try require(c.channels, in: 1...64, field: "\(field).channels")
        try require(c.height, in: gridSide, field: "\(field).height")
        try require(c.width, in: gridSide, field: "\(field).width")
        guard product(c.height, c.width, limit: maxPixels) != nil else {
            throw ConfigFieldError(field: "\(field).height", message: "is \(c.height): \(c.height)x\(c.width) passes \(maxPixels) pixels")
        }
        try require(c.kernel, in: kernel, field: "\(field).kernel")
        try require(c.hidden.count, in: layers, field: "\(field).hidden")
        for (l, h) in c.hidden.enumerated() { try require(h, in: channels, field: "\(field).hidden[\(l)]") }
        try require(c.inFrames, in: WindowLimits.lookback, field: "\(field).inFrames")
        try require(c.outFrames, in: WindowLimits.horizon, field: "\(field).outFrames")
        if let p = c.problem { throw ConfigFieldError(field: field, message: "is inconsistent: \(p)") }
        let widest = (c.hidden.max() ?? 1) + max(c.hidden.max() ?? 1, c.patchedChannels)
        guard product(4, c.hidden.max() ?? 1, widest, c.kernel, c.kernel, c.hidden.count, 2, limit: maxParameters) != nil else {
            throw ConfigFieldError(field: "\(field).hidden", message: "is \(c.hidden): the model would pass \(maxParameters) parameters")
        }
    }
}

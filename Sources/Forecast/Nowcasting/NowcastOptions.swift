/// Settings of ``Nowcaster/fit(_:options:dataFile:onEvent:)``. The defaults are the documented
/// ones (docs/nowcasting.md) that meet the skill target on a 32x32 radar set of 600 frames in a
/// few minutes on two cores.
public struct NowcastOptions: Sendable {
    /// The value column to forecast (nil: the grid's only value column).
    public var value: String?
    public var inFrames = 10
    public var outFrames = 10
    /// Hidden channels per ConvLSTM layer (encoder and forecaster).
    public var hidden: [Int] = [32, 32]
    /// Kernel of the recurrent convolutions (odd).
    public var kernel = 3
    /// Space-to-depth patch; nil chooses from the grid: 1 up to 16x16, 2 up to 64x64, else 4.
    public var patch: Int?
    public var output: EncoderForecaster.OutputActivation = .softplus
    public var transform: FrameScaling.Transform = .linear
    public var split = FrameSplit()
    public var training: TrainingConfig
    /// Shares gradients with other processes (`forecast-mpi`); nil in one process.
    public var exchange: GradientExchange? = nil
    /// Whether this process writes checkpoints (in a multi-process run only rank 0 does).
    public var writesCheckpoints = true

    public init() {
        var t = TrainingConfig()
        t.epochs = 40
        t.batchSize = 8
        t.learningRate = 2e-3
        t.schedule = .cosine(warmup: 1, minFactor: 0.05)
        t.clipNorm = 5
        t.patience = 8
        t.shards = 4
        training = t
    }

    /// The patch chosen for a grid of `height` x `width`.
    public func patch(height: Int, width: Int) -> Int {
        if let patch { return patch }
        let side = max(height, width)
        return side <= 16 ? 1 : (side <= 64 ? 2 : 4)
    }
}

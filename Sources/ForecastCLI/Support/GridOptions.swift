import ArgumentParser
import Forecast

/// Options of `forecast train --grid` (ConvLSTM nowcasting on gridded data).
struct GridOptions: ParsableArguments {
    @Flag(help: "Gridded long-format data (time,y,x,value): train a ConvLSTM encoder-forecaster.")
    var grid = false

    @Option(help: ArgumentHelp("With --grid: the value column (default: the only value column).", valueName: "column"))
    var value: String?

    @Option(name: .customLong("in-frames"), help: "With --grid: frames the encoder reads.")
    var inFrames: Int = 10

    @Option(name: .customLong("out-frames"), help: "With --grid: frames to forecast.")
    var outFrames: Int = 10

    @Option(help: "With --grid: convolution kernel size (odd).")
    var kernel: Int = 3

    @Option(help: ArgumentHelp("With --grid: space-to-depth patch size (1, 2 or 4; default: chosen from the grid size).", valueName: "n"))
    var patch: Int?

    @Option(help: ArgumentHelp("With --grid: output activation, softplus (non-negative rain), relu or linear (no constraint).", valueName: "activation"))
    var output: EncoderForecaster.OutputActivation = .softplus

    @Option(help: ArgumentHelp("With --grid: value transform before scaling, linear or log1p.", valueName: "transform"))
    var transform: FrameScaling.Transform = .linear

    func validate() throws {
        try OptionLimits.require([("--in-frames", inFrames, WindowLimits.lookback), ("--out-frames", outFrames, WindowLimits.horizon),
                                  ("--kernel", kernel, ConfigLimits.kernel)])
        if inFrames < 1 || outFrames < 1 { throw ValidationError("--in-frames and --out-frames must be at least 1") }
        if kernel < 1 || kernel % 2 == 0 { throw ValidationError("--kernel must be an odd number") }
        if let p = patch, ![1, 2, 4].contains(p) { throw ValidationError("--patch must be 1, 2 or 4") }
    }

    /// Grid-only options given without --grid are a usage error.
    func rejectWithoutGrid() throws {
        if value != nil || patch != nil { throw ValidationError("--value and --patch need --grid") }
    }
}

/// A ``SequenceRegressor`` bound to its window length: the windowed recurrent family as a
/// ``TrainableModel``.
///
///     input  [B, T*I]   a window of T steps of I features, batch-first (`x [B, T, I]`)
///     target [B, M]     M = P / K targets (last readout) or T*P / K (every step)
///     pred   [B, P]     or [B, T, P]: the regressor's own prediction layout
///
/// The target is never read by forward (no teacher forcing); dropout draws come from `rng`.
public struct WindowedRegressor: TrainableModel {
    public struct Config: Codable, Sendable, Equatable {
        public var regressor: SequenceRegressor.Config
        /// Window length T (the lookback).
        public var length: Int
        public init(regressor: SequenceRegressor.Config, length: Int) {
            self.regressor = regressor
            self.length = length
        }
    }

    public let config: Config
    public let regressor: SequenceRegressor

    public init(_ config: Config) {
        self.config = config
        regressor = SequenceRegressor(config.regressor)
    }

    public init(_ regressor: SequenceRegressor, length: Int) {
        config = Config(regressor: regressor.config, length: length)
        self.regressor = regressor
    }

    public static func checkConfig(_ c: Config, field: String) throws {
        try ConfigLimits.check(c.regressor, field: field + ".regressor")
        try ConfigLimits.require(c.length, in: WindowLimits.lookback, field: field + ".length")
    }

    public var layout: ParameterLayout { regressor.layout }
    public func makeParameters(rng: inout SeededGenerator) -> ParameterStore { regressor.makeParameters(rng: &rng) }

    public var inputCount: Int { config.length * config.regressor.rawInputSize }
    public var predictionCount: Int { regressor.predictionCount(length: config.length) }

    public func makeWorkspace(batch: Int) -> SequenceRegressor.Workspace {
        SequenceRegressor.Workspace(model: regressor, batch: batch, length: config.length)
    }

    public func forward(_ input: UnsafePointer<Float>, target: UnsafePointer<Float>?, workspace: SequenceRegressor.Workspace,
                        params: ParameterStore, pass: ForwardPass, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        regressor.forward(input, workspace: workspace, params: params, training: pass.training, rng: &rng).pointer
    }

    public func backward(_ dPred: UnsafePointer<Float>, workspace: SequenceRegressor.Workspace, params: ParameterStore, grads: ParameterStore) {
        regressor.backward(dPred, workspace: workspace, params: params, grads: grads)
    }
}

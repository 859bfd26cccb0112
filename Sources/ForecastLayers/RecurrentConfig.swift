/// Hyper-parameters of a (stacked, optionally bidirectional) recurrent layer, as
/// `torch.nn.LSTM(input_size, hidden_size, num_layers, bidirectional=, dropout=)`, plus two
/// extensions PyTorch lacks: per-layer dilations (skip recurrence) and leaky-integrator time
/// constants. Both decode with their defaults from model files written before them, and are
/// written only when they differ from the defaults.
public struct RecurrentConfig: Codable, Sendable, Equatable {
    public var cell: CellKind
    public var inputSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    public var bidirectional: Bool
    /// Dropout on the outputs of every layer but the last, in training only.
    public var dropout: Float
    /// Skip (time-delay) recurrence per layer: layer l's step t reads `h_{t-D_l}` (and
    /// `c_{t-D_l}`) instead of `h_{t-1}`; steps t < D_l read the initial state. Empty means 1
    /// for every layer; otherwise one entry ≥ 1 per layer. `[1, 2, 4, …]` is a dilated RNN.
    public var dilations: [Int]
    /// Leaky units (``CellKind/leakyRNN``): the time constant τ ≥ 1 of every unit, fixed, or the
    /// initial value when ``learnsTau``. Ignored by the other cells.
    public var tau: Float
    /// Leaky units: learn τ per unit as `τ = 1 + softplus(ρ)`, ρ stored as
    /// `{prefix}.tau_rho_l{k}[_reverse]` `[H]`.
    public var learnsTau: Bool

    public init(cell: CellKind, inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bidirectional: Bool = false, dropout: Float = 0,
                dilations: [Int] = [], tau: Float = 1, learnsTau: Bool = false) {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.dilations = dilations
        self.tau = tau
        self.learnsTau = learnsTau
    }

    /// Directions D: 2 when bidirectional, else 1.
    public var directions: Int { bidirectional ? 2 : 1 }
    /// Width of each step's output, D*H.
    public var outputSize: Int { directions * hiddenSize }
    /// The dilation of layer `l` (1 unless ``dilations`` says otherwise; values below 1, which
    /// ``validate()`` rejects, count as 1).
    public func dilation(_ l: Int) -> Int { l < dilations.count ? max(1, dilations[l]) : 1 }
    /// The largest dilation of any layer.
    public var maxDilation: Int { max(1, dilations.max() ?? 1) }
    /// Whether every layer recurs on the previous step.
    public var isUndilated: Bool { dilations.allSatisfy { $0 == 1 } }

    /// Checks what the initialiser cannot: sizes ≥ 1, dilations (none or one per layer, each
    /// ≥ 1), τ ≥ 1 (> 1 when learned).
    public func validate() throws {
        guard inputSize >= 1, hiddenSize >= 1, numLayers >= 1 else {
            throw ConfigError.invalid("recurrent sizes must be at least 1 (input \(inputSize), hidden \(hiddenSize), layers \(numLayers))")
        }
        guard dilations.isEmpty || dilations.count == numLayers else {
            throw ConfigError.invalid("dilations need one entry per layer (\(numLayers)), got \(dilations.count)")
        }
        guard dilations.allSatisfy({ $0 >= 1 }) else { throw ConfigError.invalid("dilations must be at least 1, got \(dilations)") }
        guard tau.isFinite, tau >= 1 else { throw ConfigError.invalid("tau must be at least 1, got \(tau)") }
        guard !learnsTau || tau > 1 else { throw ConfigError.invalid("a learned tau starts above 1 (τ = 1 + softplus(ρ)), got \(tau)") }
    }

    public enum ConfigError: Error, CustomStringConvertible, Sendable {
        case invalid(String)
        public var description: String { switch self { case .invalid(let m): return "invalid recurrent configuration: \(m)" } }
    }

    enum CodingKeys: String, CodingKey {
        case cell, inputSize, hiddenSize, numLayers, bidirectional, dropout, dilations, tau, learnsTau
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cell = try c.decode(CellKind.self, forKey: .cell)
        inputSize = try c.decode(Int.self, forKey: .inputSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numLayers = try c.decode(Int.self, forKey: .numLayers)
        bidirectional = try c.decode(Bool.self, forKey: .bidirectional)
        dropout = try c.decode(Float.self, forKey: .dropout)
        dilations = try c.decodeIfPresent([Int].self, forKey: .dilations) ?? []
        tau = try c.decodeIfPresent(Float.self, forKey: .tau) ?? 1
        learnsTau = try c.decodeIfPresent(Bool.self, forKey: .learnsTau) ?? false
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cell, forKey: .cell)
        try c.encode(inputSize, forKey: .inputSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(numLayers, forKey: .numLayers)
        try c.encode(bidirectional, forKey: .bidirectional)
        try c.encode(dropout, forKey: .dropout)
        if !isUndilated { try c.encode(dilations, forKey: .dilations) }
        if tau != 1 { try c.encode(tau, forKey: .tau) }
        if learnsTau { try c.encode(learnsTau, forKey: .learnsTau) }
    }
}

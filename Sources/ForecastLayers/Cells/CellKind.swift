/// The recurrent cell of a layer, with PyTorch's gate layouts. Each case is a unit in its own
/// file under Cells/ (``RecurrentCell``); this enum is the stored, Codable name and the one
/// place that maps a name to its unit.
public enum CellKind: String, Codable, Sendable, CaseIterable {
    /// Elman RNN, `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)` (``ElmanTanhCell``).
    case rnnTanh = "rnn_tanh"
    /// Elman RNN with ReLU (``ElmanReLUCell``).
    case rnnRelu = "rnn_relu"
    /// LSTM, gates stacked `i, f, g, o` (``LSTMCell``).
    case lstm
    /// GRU, gates stacked `r, z, n`, reset applied after the hidden matmul:
    /// `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`, `h' = (1 - z) * n + z * h` (``GRUCell``).
    case gru
    /// Leaky-integrator Elman units, `h' = (1 - 1/τ) h + (1/τ) tanh(W_ih x + b_ih + W_hh h + b_hh)`
    /// with τ ≥ 1 per unit, fixed or learned (``LeakyRNNCell``, ``RecurrentConfig/tau``).
    case leakyRNN = "leaky_rnn"

    /// Runs `visitor` with this kind's cell type: the one switch from a name to a unit.
    func accept<V: CellVisitor>(_ visitor: V) -> V.Result {
        switch self {
        case .rnnTanh: return visitor.visit(ElmanTanhCell.self)
        case .rnnRelu: return visitor.visit(ElmanReLUCell.self)
        case .lstm: return visitor.visit(LSTMCell.self)
        case .gru: return visitor.visit(GRUCell.self)
        case .leakyRNN: return visitor.visit(LeakyRNNCell.self)
        }
    }

    private struct Traits: CellVisitor {
        func visit<Cell: RecurrentCell>(_ cell: Cell.Type) -> (gates: Int, cellState: Bool, hiddenProjection: Bool,
                                                               hiddenGradient: Bool, unitFactors: Bool, split: SplitPlan) {
            (Cell.gates, Cell.hasCellState, Cell.savesHiddenProjection, Cell.separateHiddenGradient, Cell.usesUnitFactors, Cell.splitPlan)
        }
    }

    /// Gate blocks per hidden unit (G in `[G*H, in]`).
    public var gates: Int { accept(Traits()).gates }
    /// Whether the cell carries a cell state c besides h (LSTM).
    public var hasCellState: Bool { accept(Traits()).cellState }
    var savesHiddenProjection: Bool { accept(Traits()).hiddenProjection }
    var separateHiddenGradient: Bool { accept(Traits()).hiddenGradient }
    var usesUnitFactors: Bool { accept(Traits()).unitFactors }
    var splitPlan: SplitPlan { accept(Traits()).split }

    /// Parses user-facing names: `lstm`, `gru`, `rnn` (tanh), `rnn_tanh`, `rnn_relu`,
    /// `leaky_rnn` (also `leaky-rnn`).
    public init?(name: String) {
        switch name.lowercased() {
        case "lstm": self = .lstm
        case "gru": self = .gru
        case "rnn", "rnn_tanh", "elman": self = .rnnTanh
        case "rnn_relu": self = .rnnRelu
        case "leaky_rnn", "leaky-rnn", "leaky": self = .leakyRNN
        default: return nil
        }
    }
}

extension CellKind {
    private struct UnitParameters: CellVisitor {
        let config: RecurrentConfig
        func visit<Cell: RecurrentCell>(_ cell: Cell.Type) -> (names: [String], initial: Float) {
            (Cell.unitParameterNames(config), Cell.unitParameterInitialValue(config))
        }
    }

    /// Name stems and initial value of the cell's extra per-unit parameters under `config`.
    func unitParameters(_ config: RecurrentConfig) -> (names: [String], initial: Float) {
        accept(UnitParameters(config: config))
    }
}

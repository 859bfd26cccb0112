/// The recurrent cell of a layer, with PyTorch's gate layouts.
public enum CellKind: String, Codable, Sendable, CaseIterable {
    /// Elman RNN, `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`.
    case rnnTanh = "rnn_tanh"
    /// Elman RNN with ReLU.
    case rnnRelu = "rnn_relu"
    /// LSTM, gates stacked `i, f, g, o`.
    case lstm
    /// GRU, gates stacked `r, z, n`, reset applied after the hidden matmul:
    /// `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`, `h' = (1 - z) * n + z * h`.
    case gru

    /// Gate blocks per hidden unit (G in `[G*H, in]`).
    public var gates: Int {
        switch self {
        case .rnnTanh, .rnnRelu: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    public var hasCellState: Bool { self == .lstm }

    /// Parses user-facing names: `lstm`, `gru`, `rnn` (tanh), `rnn_tanh`, `rnn_relu`.
    public init?(name: String) {
        switch name.lowercased() {
        case "lstm": self = .lstm
        case "gru": self = .gru
        case "rnn", "rnn_tanh", "elman": self = .rnnTanh
        case "rnn_relu": self = .rnnRelu
        default: return nil
        }
    }
}

/// Hyper-parameters of a (stacked, optionally bidirectional) recurrent layer, as
/// `torch.nn.LSTM(input_size, hidden_size, num_layers, bidirectional=, dropout=)`.
public struct RecurrentConfig: Codable, Sendable, Equatable {
    public var cell: CellKind
    public var inputSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    public var bidirectional: Bool
    /// Dropout on the outputs of every layer but the last, in training only.
    public var dropout: Float

    public init(cell: CellKind, inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bidirectional: Bool = false, dropout: Float = 0) {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bidirectional = bidirectional
        self.dropout = dropout
    }

    /// Directions D: 2 when bidirectional, else 1.
    public var directions: Int { bidirectional ? 2 : 1 }
    /// Width of each step's output, D*H.
    public var outputSize: Int { directions * hiddenSize }
}

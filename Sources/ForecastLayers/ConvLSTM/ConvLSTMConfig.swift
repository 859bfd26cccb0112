/// Hyper-parameters of a stacked convolutional LSTM (Shi et al. 2015):
///
///     i, f, g, o = split(conv_k([x_t, h_{t-1}]) + b)        "same" padding, k odd
///     c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)      h_t = σ(o) ⊙ tanh(c_t)
///
/// Layer l reads `inputChannels` (l = 0) or `hidden[l-1]` channels and keeps `hidden[l]`
/// channels of state. An input width of 0 is allowed (a layer driven by its state alone, as
/// the forecaster of an encoder–forecaster).
public struct ConvLSTMConfig: Codable, Sendable, Equatable {
    public var inputChannels: Int
    /// Hidden channels of each layer, bottom to top.
    public var hidden: [Int]
    /// Odd kernel size k (k x k convolution, padding k / 2).
    public var kernel: Int

    public init(inputChannels: Int, hidden: [Int], kernel: Int = 3) {
        self.inputChannels = inputChannels
        self.hidden = hidden
        self.kernel = kernel
    }

    public var numLayers: Int { hidden.count }
    /// Channels of the top layer's output.
    public var outputChannels: Int { hidden.last ?? 0 }
    /// Input channels of layer `l`.
    public func inputChannels(ofLayer l: Int) -> Int { l == 0 ? inputChannels : hidden[l - 1] }

    /// A description of what is wrong with the configuration, or nil when it is usable.
    public var problem: String? {
        if hidden.isEmpty { return "a ConvLSTM needs at least one layer" }
        if let c = hidden.first(where: { $0 < 1 }) { return "hidden channels must be at least 1 (got \(c))" }
        if inputChannels < 0 { return "input channels must not be negative (got \(inputChannels))" }
        if kernel < 1 || kernel % 2 == 0 { return "the kernel size must be odd and positive for 'same' padding (got \(kernel))" }
        return nil
    }
}

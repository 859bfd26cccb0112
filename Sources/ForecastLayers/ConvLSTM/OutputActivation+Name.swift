extension EncoderForecaster.OutputActivation {
    /// Parses `softplus`, `relu`, and `identity` or its synonym `linear` (any case): the one
    /// spelling of the CLI's `--output` and a job file's `model.output`.
    public init?(name: String) {
        let n = name.lowercased()
        if n == "linear" { self = .identity; return }
        self.init(rawValue: n)
    }

    /// The name a user writes: `linear` for ``identity``.
    public var name: String { self == .identity ? "linear" : rawValue }
}

/// Why a model cannot be exported, naming the model file and the part ONNX cannot express.
public enum ExportError: Error, CustomStringConvertible, Sendable {
    /// The model uses something ONNX's operators cannot express (the message says what and why).
    case unsupported(model: String, reason: String)
    /// The output file would overwrite an input, or cannot be written.
    case output(path: String, reason: String)

    public var description: String {
        switch self {
        case .unsupported(let model, let reason): return "\(model): cannot export to ONNX: \(reason)"
        case .output(let path, let reason): return "\(path): \(reason)"
        }
    }
}

import Forecast

// The family this build does not export yet. It is expressible in ONNX (see docs/deploy.md,
// "What is not exported"); it refuses with a clear message instead of writing a graph nobody
// has checked against ONNX Runtime.

extension Nowcaster {
    /// Not exported yet: throws ``ExportError/unsupported(model:reason:)``.
    public func onnxModel(name: String = "model") throws -> Onnx_ModelProto {
        throw ExportError.unsupported(model: name, reason: "ConvLSTM (grid) export is not implemented in this version (ONNX has Conv but no ConvLSTM operator: the cell must be unrolled over the sequence; docs/deploy.md)")
    }
}

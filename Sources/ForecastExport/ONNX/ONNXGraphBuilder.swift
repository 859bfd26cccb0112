import Foundation
import SwiftProtobuf

/// Builds one ONNX graph: named constant tensors (initializers), nodes and the graph's inputs
/// and outputs, over the generated `Onnx_*` messages (onnx.pb.swift). Every value is Float32
/// except index and shape constants (Int64).
///
/// Names are made unique by the builder (`fresh(_:)`), so callers compose sub-graphs (the
/// scaler, each recurrent layer, the head, the decoding of the outputs) without clashes.
struct ONNXGraphBuilder {
    /// The operator set the exported graphs use (ONNX 1.12+, ONNX Runtime 1.12+).
    static let opset: Int64 = 17
    /// IR version matching ``opset``.
    static let irVersion: Int64 = 8

    private(set) var graph = Onnx_GraphProto()
    private var counter = 0

    init(name: String) { graph.name = name }

    /// A new unique value name starting with `stem`.
    mutating func fresh(_ stem: String) -> String {
        counter += 1
        return "\(stem)_\(counter)"
    }

    // MARK: Constants

    /// A Float32 initializer `name` of `shape` (row-major values).
    @discardableResult
    mutating func constant(_ stem: String, _ values: [Float], shape: [Int]) -> String {
        precondition(values.count == shape.reduce(1, *), "constant \(stem): \(values.count) values for shape \(shape)")
        var t = Onnx_TensorProto()
        t.name = fresh(stem)
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.dims = shape.map(Int64.init)
        // raw_data is little-endian IEEE 754, as Float32 is in memory on every platform Swift
        // runs this package on (x86_64, arm64).
        t.rawData = values.withUnsafeBytes { Data($0) }
        graph.initializer.append(t)
        return t.name
    }

    /// An Int64 initializer (indices, shapes, axes).
    @discardableResult
    mutating func constant(_ stem: String, int64 values: [Int64], shape: [Int]? = nil) -> String {
        var t = Onnx_TensorProto()
        t.name = fresh(stem)
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.dims = (shape ?? [values.count]).map(Int64.init)
        t.int64Data = values
        graph.initializer.append(t)
        return t.name
    }

    // MARK: Nodes

    /// Appends a node `op(inputs) -> outputs` (fresh output names from `op` when `outputs` is a
    /// count) and returns its output names.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], outputs count: Int = 1, attributes: [Onnx_AttributeProto] = []) -> [String] {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = fresh(op)
        n.input = inputs
        n.output = (0..<count).map { _ in fresh(op.lowercased()) }
        n.attribute = attributes
        graph.node.append(n)
        return n.output
    }

    /// A node with one output.
    mutating func op(_ op: String, _ inputs: [String], _ attributes: [Onnx_AttributeProto] = []) -> String {
        node(op, inputs, attributes: attributes)[0]
    }

    /// Renames the output `value` to `name` with an Identity node (graph outputs keep stable names).
    mutating func identity(_ value: String, as name: String) {
        var n = Onnx_NodeProto()
        n.opType = "Identity"
        n.name = fresh("Identity")
        n.input = [value]
        n.output = [name]
        graph.node.append(n)
    }

    // MARK: Inputs and outputs

    /// A Float32 graph input or output; a nil dimension is symbolic (`dimParam`).
    static func valueInfo(_ name: String, dims: [Int?], symbols: [String] = []) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var type = Onnx_TypeProto.Tensor()
        type.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var shape = Onnx_TensorShapeProto()
        var symbolIndex = 0
        for d in dims {
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = Int64(d) } else {
                dim.dimParam = symbolIndex < symbols.count ? symbols[symbolIndex] : "dim\(symbolIndex)"
                symbolIndex += 1
            }
            shape.dim.append(dim)
        }
        type.shape = shape
        v.type.tensorType = type
        return v
    }

    mutating func input(_ name: String, dims: [Int?], symbols: [String] = ["batch"]) {
        graph.input.append(Self.valueInfo(name, dims: dims, symbols: symbols))
    }

    mutating func output(_ value: String, as name: String, dims: [Int?], symbols: [String] = ["batch"]) {
        identity(value, as: name)
        graph.output.append(Self.valueInfo(name, dims: dims, symbols: symbols))
    }

    /// The finished model with `metadata` (string key/value pairs) as `metadata_props`.
    func model(docString: String, metadata: [(String, String)]) -> Onnx_ModelProto {
        var m = Onnx_ModelProto()
        m.irVersion = Self.irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Self.opset
        m.opsetImport = [opset]
        m.producerName = "forecast"
        m.producerVersion = forecastExportVersion
        m.docString = docString
        m.graph = graph
        m.metadataProps = metadata.map { k, v in
            var e = Onnx_StringStringEntryProto()
            e.key = k; e.value = v
            return e
        }
        return m
    }
}

/// The producer version written into exported models.
let forecastExportVersion = "0.1.0"

// MARK: Attributes

enum ONNXAttribute {
    static func int(_ name: String, _ v: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = Int64(v); return a
    }
    static func float(_ name: String, _ v: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .float; a.f = v; return a
    }
    static func string(_ name: String, _ v: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .string; a.s = Data(v.utf8); return a
    }
    static func ints(_ name: String, _ v: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = v.map(Int64.init); return a
    }
    static func strings(_ name: String, _ v: [String]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .strings; a.strings = v.map { Data($0.utf8) }; return a
    }
}

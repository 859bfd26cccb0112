import Foundation

/// The safetensors file format (the one PyTorch's `safetensors` package reads and writes):
///
///     [8 bytes: N, little-endian UInt64] [N bytes: JSON header] [tensor bytes]
///
/// The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the start of the tensor bytes) and may hold `"__metadata__"`, a
/// string-to-string map. The toolkit stores Float32 (`F32`) tensors; it reads F32 and F64.
public struct SafeTensorsFile: Sendable {
    /// Tensors in file order.
    public var tensors: [(name: String, tensor: Tensor)]
    /// The `__metadata__` map.
    public var metadata: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    public var names: [String] { tensors.map(\.name) }

    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let message: String
        public var description: String { "\(path): not a valid safetensors file: \(message)" }
    }

    /// Reads and validates a safetensors file.
    public static func read(path: String) throws -> SafeTensorsFile {
        try decode(AtomicFile.read(path), path: path)
    }

    /// Parses safetensors bytes; `path` only names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> SafeTensorsFile {
        func fail(_ m: String) -> FormatError { FormatError(path: path, message: m) }
        guard bytes.count >= 8 else { throw fail("file is \(bytes.count) bytes, shorter than the 8-byte header length") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8) else { throw fail("header length \(n) exceeds the file size \(bytes.count)") }
        guard n <= UInt64(TensorBounds.maxHeaderBytes) else { throw fail("header length \(n) exceeds the limit of \(TensorBounds.maxHeaderBytes) bytes") }
        let headerEnd = 8 + Int(n)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) } catch { throw fail("header is not JSON") }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }
        let dataCount = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var entries: [(name: String, begin: Int, end: Int, dtype: String, shape: [Int])] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("__metadata__[\(k)] is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any],
                  let dtype = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any],
                  let offsAny = info["data_offsets"] as? [Any], offsAny.count == 2
            else { throw fail("tensor '\(name)' has no dtype, shape or data_offsets") }
            guard let shape = TensorBounds.shape(shapeAny) else {
                throw fail("tensor '\(name)' has a bad shape (at most \(TensorBounds.maxRank) non-negative integer dimensions, at most \(TensorBounds.maxElements) elements)")
            }
            guard let b = TensorBounds.integer(offsAny[0]), let e = TensorBounds.integer(offsAny[1]),
                  0 <= b, b <= e, e <= dataCount else { throw fail("tensor '\(name)' has data offsets outside the file") }
            entries.append((name, b, e, dtype, shape))
        }
        entries.sort { $0.begin < $1.begin || ($0.begin == $1.begin && $0.name < $1.name) }
        var tensors: [(String, Tensor)] = []
        tensors.reserveCapacity(entries.count)
        for e in entries {
            let count = e.shape.reduce(1, *)        // bounded by TensorBounds.shape: cannot overflow
            let scalars: [Float]
            switch e.dtype {
            case "F32":
                guard e.end - e.begin == count * 4 else { throw fail("tensor '\(e.name)' has \(e.end - e.begin) bytes for \(count) F32 values") }
                var values = [Float](repeating: 0, count: count)
                let start = headerEnd + e.begin
                bytes.withUnsafeBytes { raw in
                    values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 4 * count)])) }
                }
                #if _endian(big)
                values = values.map { Float(bitPattern: $0.bitPattern.byteSwapped) }
                #endif
                scalars = values
            case "F64":
                guard e.end - e.begin == count * 8 else { throw fail("tensor '\(e.name)' has \(e.end - e.begin) bytes for \(count) F64 values") }
                scalars = bytes.withUnsafeBytes { raw in
                    (0..<count).map { i in Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: headerEnd + e.begin + 8 * i, as: UInt64.self).littleEndian)) }
                }
            default:
                throw fail("tensor '\(e.name)' has dtype \(e.dtype); only F32 and F64 are supported")
            }
            tensors.append((e.name, Tensor(unchecked: Shape(e.shape), scalars)))
        }
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// The file's bytes: tensors in the order given, F32, 8-byte-aligned header.
    public func encode() -> [UInt8] {
        var header = "{"
        var offset = 0
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            header += metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",")
            header += "}"
            first = false
        }
        for (name, t) in tensors {
            if !first { header += "," }
            first = false
            let end = offset + t.count * 4
            header += "\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.dims.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        header += "}"
        var h = Array(header.utf8)
        while (8 + h.count) % 8 != 0 { h.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + h.count + offset)
        let n = UInt64(h.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        out.append(contentsOf: h)
        for (_, t) in tensors {
            t.scalars.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Writes the file atomically (temporary file, fsync, rename).
    public func write(path: String) throws {
        try AtomicFile.write(encode(), to: path)
    }
}

/// A JSON string literal for `s` (quotes and escapes).
public func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

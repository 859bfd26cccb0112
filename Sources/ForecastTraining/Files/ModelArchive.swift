import Foundation

/// The on-disk container for models and checkpoints: one safetensors file whose tensors use
/// PyTorch's names and whose `__metadata__` holds
///
///     "format": "forecast"            identifies the file
///     "format_version": "1"           refused when newer than this build understands
///     "kind": "model" | "checkpoint"
///     "sha256": hex digest of the tensor bytes (the data section, in file order)
///     plus named JSON sections ("config", "provenance", "trainer", ...)
///
/// A PyTorch user loads the tensors with `safetensors.torch.load_file` and gets a `state_dict`.
/// Writes are atomic (temporary file, fsync, rename); reads verify format, version and checksum.
public struct ModelArchive: Sendable {
    public static let format = "forecast"
    public static let formatVersion = 1

    public enum Kind: String, Sendable { case model, checkpoint }

    public var kind: Kind
    public var tensors: [(name: String, tensor: Tensor)]
    /// JSON sections by name.
    public var sections: [String: String]

    public init(kind: Kind, tensors: [(name: String, tensor: Tensor)] = [], sections: [String: String] = [:]) {
        self.kind = kind
        self.tensors = tensors
        self.sections = sections
    }

    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    public enum ArchiveError: Error, CustomStringConvertible, Sendable {
        case notAForecastFile(path: String)
        case unsupportedVersion(path: String, version: String)
        case checksumMismatch(path: String)
        case wrongKind(path: String, expected: String, found: String)
        case missingSection(path: String, name: String)
        case badSection(path: String, name: String, reason: String)

        public var description: String {
            switch self {
            case .notAForecastFile(let p): return "\(p): not a forecast model file (no \"format\": \"forecast\" in its metadata)"
            case .unsupportedVersion(let p, let v): return "\(p): model file format version \(v) is not supported by this build (it reads version \(ModelArchive.formatVersion)); upgrade forecast"
            case .checksumMismatch(let p): return "\(p): checksum mismatch: the tensor data does not match the SHA-256 recorded in the file (corrupted or truncated)"
            case .wrongKind(let p, let e, let f): return "\(p): expected a \(e) file, found a \(f) file"
            case .missingSection(let p, let n): return "\(p): metadata has no '\(n)' section"
            case .badSection(let p, let n, let r): return "\(p): metadata section '\(n)' is invalid: \(r)"
            }
        }
    }

    public func encode() -> [UInt8] {
        var meta = sections
        meta["format"] = Self.format
        meta["format_version"] = String(Self.formatVersion)
        meta["kind"] = kind.rawValue
        var sha = SHA256()
        for (_, t) in tensors { t.scalars.withUnsafeBytes { sha.update($0) } }
        meta["sha256"] = sha.finalizeHex()
        return SafeTensorsFile(tensors: tensors, metadata: meta).encode()
    }

    /// Writes atomically.
    public func write(path: String) throws {
        try AtomicFile.write(encode(), to: path)
    }

    public static func read(path: String, expecting: Kind? = nil) throws -> ModelArchive {
        let file = try SafeTensorsFile.read(path: path)
        let meta = file.metadata
        guard meta["format"] == format else { throw ArchiveError.notAForecastFile(path: path) }
        guard let v = meta["format_version"], let vi = Int(v), vi >= 1, vi <= formatVersion else {
            throw ArchiveError.unsupportedVersion(path: path, version: meta["format_version"] ?? "missing")
        }
        var sha = SHA256()
        for (_, t) in file.tensors { t.scalars.withUnsafeBytes { sha.update($0) } }
        guard meta["sha256"] == sha.finalizeHex() else { throw ArchiveError.checksumMismatch(path: path) }
        let kind = Kind(rawValue: meta["kind"] ?? "") ?? .model
        if let expecting, expecting != kind { throw ArchiveError.wrongKind(path: path, expected: expecting.rawValue, found: kind.rawValue) }
        var sections = meta
        for k in ["format", "format_version", "kind", "sha256"] { sections[k] = nil }
        return ModelArchive(kind: kind, tensors: file.tensors, sections: sections)
    }

    /// Decodes JSON section `name` as `T`.
    public func section<T: Decodable>(_ name: String, as type: T.Type, path: String) throws -> T {
        guard let s = sections[name] else { throw ArchiveError.missingSection(path: path, name: name) }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try dec.decode(T.self, from: Data(s.utf8)) }
        catch { throw ArchiveError.badSection(path: path, name: name, reason: "\(error)") }
    }

    /// Encodes `value` as JSON section `name` (sorted keys, stable across runs).
    public mutating func setSection<T: Encodable>(_ name: String, _ value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        sections[name] = String(decoding: try enc.encode(value), as: UTF8.self)
    }
}

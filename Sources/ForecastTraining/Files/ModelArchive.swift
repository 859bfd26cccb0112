import Foundation

/// The on-disk container for models and checkpoints: one safetensors file whose tensors use
/// PyTorch's names and whose `__metadata__` holds
///
///     "format": "forecast"            identifies the file
///     "format_version": "1"           refused when newer than this build understands
///     "kind": "model" | "checkpoint"
///     "sha256": hex digest of the tensor bytes (the data section, in file order)
///     "sha256_file": hex digest of the metadata and the tensor bytes (``ArchiveChecksum``)
///     plus named JSON sections ("config", "provenance", "trainer", ...)
///
/// A PyTorch user loads the tensors with `safetensors.torch.load_file` and gets a `state_dict`.
/// Writes are atomic (temporary file, fsync, rename); reads verify format, version and checksums.
/// A file from 0.1 has no "sha256_file": it still loads, with ``legacyChecksum`` set so the
/// caller can say that its metadata was not verified.
public struct ModelArchive: Sendable {
    public static let format = "forecast"
    public static let formatVersion = 1

    public enum Kind: String, Sendable { case model, checkpoint }

    public var kind: Kind
    public var tensors: [(name: String, tensor: Tensor)]
    /// JSON sections by name.
    public var sections: [String: String]
    /// True when the file was read and had only the tensor checksum (written by 0.1): its
    /// metadata is not covered by a checksum.
    public var legacyChecksum = false

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
        case metadataChecksumMismatch(path: String)
        case wrongKind(path: String, expected: String, found: String)
        case missingSection(path: String, name: String)
        case badSection(path: String, name: String, reason: String)

        public var description: String {
            switch self {
            case .notAForecastFile(let p): return "\(p): not a forecast model file (no \"format\": \"forecast\" in its metadata)"
            case .unsupportedVersion(let p, let v): return "\(p): model file format version \(v) is not supported by this build (it reads version \(ModelArchive.formatVersion)); upgrade forecast"
            case .checksumMismatch(let p): return "\(p): checksum mismatch: the tensor data does not match the SHA-256 recorded in the file (corrupted or truncated)"
            case .metadataChecksumMismatch(let p): return "\(p): checksum mismatch: field 'sha256_file' does not match the metadata and tensors (the file was edited or damaged after it was written)"
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
        meta[ArchiveChecksum.fileKey] = nil
        meta[ArchiveChecksum.tensorKey] = ArchiveChecksum.tensors(tensors)
        meta[ArchiveChecksum.fileKey] = ArchiveChecksum.file(metadata: meta, tensors: tensors)
        return SafeTensorsFile(tensors: tensors, metadata: meta).encode()
    }

    /// Writes atomically.
    public func write(path: String) throws {
        try AtomicFile.write(encode(), to: path)
    }

    /// The note to print for a file with ``legacyChecksum``.
    public static func legacyNote(path: String) -> String {
        "note: \(path) was written by forecast 0.1: only its tensors are checksummed, not its metadata (save it again to add the full checksum)"
    }

    public static func read(path: String, expecting: Kind? = nil) throws -> ModelArchive {
        let file = try SafeTensorsFile.read(path: path)
        let meta = file.metadata
        guard meta["format"] == format else { throw ArchiveError.notAForecastFile(path: path) }
        guard let v = meta["format_version"], let vi = Int(v), vi >= 1, vi <= formatVersion else {
            throw ArchiveError.unsupportedVersion(path: path, version: meta["format_version"] ?? "missing")
        }
        let legacy: Bool
        if let whole = meta[ArchiveChecksum.fileKey] {
            guard whole == ArchiveChecksum.file(metadata: meta, tensors: file.tensors) else { throw ArchiveError.metadataChecksumMismatch(path: path) }
            legacy = false
        } else {
            guard meta[ArchiveChecksum.tensorKey] == ArchiveChecksum.tensors(file.tensors) else { throw ArchiveError.checksumMismatch(path: path) }
            legacy = true
        }
        let kind = Kind(rawValue: meta["kind"] ?? "") ?? .model
        if let expecting, expecting != kind { throw ArchiveError.wrongKind(path: path, expected: expecting.rawValue, found: kind.rawValue) }
        var sections = meta
        for k in ["format", "format_version", "kind", ArchiveChecksum.tensorKey, ArchiveChecksum.fileKey] { sections[k] = nil }
        var archive = ModelArchive(kind: kind, tensors: file.tensors, sections: sections)
        archive.legacyChecksum = legacy
        return archive
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

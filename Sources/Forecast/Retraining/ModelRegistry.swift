import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A model registry on disk: one folder per model name.
///
/// ```
/// REGISTRY/NAME/
///   manifest.json        every version: metrics, data hash and row range, settings, timings,
///                        promoted or not and why; which version is current (the source of truth)
///   current              symlink to the current version file, switched atomically by rename
///   v0001.safetensors    model files (pruned to the newest `keep`, the current one always kept)
///   last_run.json        the report of the last run
///   retrain.lock         lock file (flock) naming the running process
///   .work/               state of an unfinished run: state.json + checkpoint.safetensors
/// ```
///
/// Every change is a write to a temporary file, fsync and rename, in an order that keeps the
/// registry consistent at every instant: a version file is written before the manifest names
/// it, the manifest is committed before `current` is switched to it, and files are deleted only
/// after the manifest stopped naming them. ``recover(logger:)`` repairs what an interrupted run
/// left (leftover temporary and version files, a lagging `current`).
public final class ModelRegistry: @unchecked Sendable {
    /// `REGISTRY/NAME`.
    public let folder: String
    public private(set) var manifest: RegistryManifest

    public var manifestPath: String { folder + "/manifest.json" }
    public var currentLinkPath: String { folder + "/current" }
    public var workFolder: String { folder + "/.work" }
    public var lockPath: String { folder + "/retrain.lock" }
    public var lastRunPath: String { folder + "/last_run.json" }

    /// The file name of version `v`: `v0007.safetensors`.
    public static func fileName(version v: Int) -> String { String(format: "v%04d.safetensors", v) }

    /// The version number of a version file name, nil for other names.
    public static func version(ofFileName name: String) -> Int? {
        guard name.hasPrefix("v"), name.hasSuffix(".safetensors") else { return nil }
        let digits = name.dropFirst().dropLast(".safetensors".count)
        guard digits.count >= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// Model names: letters, digits, `.`, `_`, `-`; not starting with `.`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.count <= 200
            && name.unicodeScalars.allSatisfy { ($0.isASCII && (CharacterSet.alphanumerics.contains($0))) || "._-".unicodeScalars.contains($0) }
    }

    /// Opens the registry folder `folder` (`REGISTRY/NAME`), creating it when `create` is set.
    /// A folder without a manifest is an empty registry.
    public init(folder: String, create: Bool = false) throws {
        self.folder = folder
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) {
            guard create else { throw RetrainError.registry("\(folder): no such model registry folder") }
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw RetrainError.registry("\(folder): cannot create the registry folder: \(error.localizedDescription)")
            }
        } else if !isDir.boolValue {
            throw RetrainError.registry("\(folder): is a file, expected a registry folder")
        }
        manifest = try ModelRegistry.readManifest(folder + "/manifest.json", name: (folder as NSString).lastPathComponent)
    }

    static func readManifest(_ path: String, name: String) throws -> RegistryManifest {
        guard FileManager.default.fileExists(atPath: path) else { return RegistryManifest(name: name) }
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path) } catch { throw RetrainError.registry("\(error)") }
        let m: RegistryManifest
        do { m = try registryDecoder().decode(RegistryManifest.self, from: Data(bytes)) } catch {
            throw RetrainError.registry("\(path): not a valid registry manifest: \(shortDecodingError(error))")
        }
        guard m.format == RegistryManifest.formatName else { throw RetrainError.registry("\(path): not a forecast registry manifest (format '\(m.format)')") }
        guard m.formatVersion <= RegistryManifest.currentFormatVersion else {
            throw RetrainError.registry("\(path): manifest format version \(m.formatVersion) is newer than this build reads (\(RegistryManifest.currentFormatVersion)); upgrade forecast")
        }
        return m
    }

    /// Writes the manifest atomically: this is the commit point of every change.
    public func save(_ m: RegistryManifest) throws {
        let data: Data
        do { data = try registryEncoder(pretty: true).encode(m) } catch { throw RetrainError.registry("\(manifestPath): cannot encode the manifest: \(error)") }
        do { try AtomicFile.write([UInt8](data) + [0x0A], to: manifestPath) } catch { throw RetrainError.registry("\(error)") }
        manifest = m
    }

    /// Re-reads the manifest from disk.
    public func reload() throws {
        manifest = try ModelRegistry.readManifest(manifestPath, name: manifest.name)
    }

    // MARK: Current

    /// The version `current` points to on disk (nil when it is missing or not a version file).
    public func currentLinkVersion() -> Int? {
        guard let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: currentLinkPath) else { return nil }
        return ModelRegistry.version(ofFileName: (dest as NSString).lastPathComponent)
    }

    /// Points `current` at version `v` atomically (a new symlink renamed over the old one).
    public func switchCurrent(to v: Int) throws {
        let tmp = folder + "/.current.tmp-\(getpid())"
        unlink(tmp)
        guard symlink(ModelRegistry.fileName(version: v), tmp) == 0 else {
            throw RetrainError.registry("\(tmp): cannot create a symlink: \(String(cString: strerror(errno)))")
        }
        guard rename(tmp, currentLinkPath) == 0 else {
            let msg = String(cString: strerror(errno))
            unlink(tmp)
            throw RetrainError.registry("\(currentLinkPath): cannot switch the current pointer: \(msg)")
        }
        syncFolder()
    }

    func syncFolder() {
        let fd = open(folder, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// The path of version `v`'s file.
    public func path(version v: Int) -> String { folder + "/" + ModelRegistry.fileName(version: v) }

    /// The current champion, loaded and verified; nil when no version was promoted yet.
    public func loadCurrent() throws -> (entry: RegistryManifest.Version, model: Forecaster)? {
        guard let c = manifest.current else { return nil }
        guard let entry = manifest.versions.first(where: { $0.version == c }) else {
            throw RetrainError.registry("\(manifestPath): the current version \(c) has no entry")
        }
        do { return (entry, try Forecaster.load(from: path(version: c))) } catch {
            throw RetrainError.registry("the current model cannot be loaded: \(error)")
        }
    }

    // MARK: Recovery

    /// Brings the folder in line with the manifest after an interrupted run: removes temporary
    /// files, version files the manifest does not name (written by a run killed before its
    /// commit) or marks pruned, and points `current` at the manifest's current version.
    /// Returns what was done, one line each. Call it while holding the lock.
    @discardableResult
    public func recover() throws -> [String] {
        var done: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let live = Set(manifest.versions.filter { !$0.pruned }.map(\.version))
        for name in names {
            let p = folder + "/" + name
            if name.contains(".tmp-") {
                if unlink(p) == 0 { done.append("removed the temporary file \(name) of an interrupted write") }
            } else if let v = ModelRegistry.version(ofFileName: name), !live.contains(v) {
                if unlink(p) == 0 {
                    done.append(manifest.versions.contains { $0.version == v }
                                ? "removed \(name), pruned from the manifest by an interrupted run"
                                : "removed \(name), left uncommitted by an interrupted run")
                }
            }
        }
        let work = (try? FileManager.default.contentsOfDirectory(atPath: workFolder)) ?? []
        for name in work where name.contains(".tmp-") { unlink(workFolder + "/" + name) }
        for v in live where !FileManager.default.fileExists(atPath: path(version: v)) {
            if v == manifest.current {
                throw RetrainError.registry("\(path(version: v)): the current model's file is missing; restore it or edit \(manifestPath)")
            }
            done.append("warning: \(ModelRegistry.fileName(version: v)) is missing (deleted by hand?)")
        }
        if let c = manifest.current {
            if currentLinkVersion() != c {
                try switchCurrent(to: c)
                done.append("pointed current at \(ModelRegistry.fileName(version: c)) as the manifest says")
            }
        } else if (try? FileManager.default.destinationOfSymbolicLink(atPath: currentLinkPath)) != nil {
            unlink(currentLinkPath)
            syncFolder()
            done.append("removed a current pointer the manifest does not have")
        }
        if !done.isEmpty { syncFolder() }
        return done
    }

    // MARK: Pruning

    /// Marks versions beyond the newest `keep` (never the current one) as pruned, commits the
    /// manifest, then deletes their files. Returns the pruned versions.
    @discardableResult
    public func prune(keep: Int) throws -> [Int] {
        var m = manifest
        let live = m.versions.filter { !$0.pruned }.map(\.version).sorted(by: >)
        let keepSet = Set(live.prefix(max(1, keep))).union(m.current.map { [$0] } ?? [])
        let drop = live.filter { !keepSet.contains($0) }
        guard !drop.isEmpty else { return [] }
        for i in m.versions.indices where drop.contains(m.versions[i].version) { m.versions[i].pruned = true }
        try save(m)
        for v in drop { unlink(path(version: v)) }
        syncFolder()
        return drop.sorted()
    }

    // MARK: Resolving model paths

    /// Maps a registry folder `REGISTRY/NAME` (a folder with a manifest.json) to its current
    /// model file, `REGISTRY/NAME@7` or `REGISTRY/NAME@v0007` to version 7's file, and returns
    /// any other path unchanged.
    public static func resolveModelPath(_ path: String) throws -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { return path }
            let folder = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
            guard FileManager.default.fileExists(atPath: folder + "/manifest.json") else {
                throw RetrainError.registry("\(path): is a folder without a manifest.json, not a model registry (REGISTRY/NAME) or a model file")
            }
            let link = folder + "/current"
            guard let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else {
                throw RetrainError.registry("\(path): the registry has no current model yet (no version was promoted)")
            }
            return dest.hasPrefix("/") ? dest : folder + "/" + dest
        }
        if let at = path.lastIndex(of: "@") {
            let folder = String(path[..<at])
            var spec = path[path.index(after: at)...]
            if spec.hasPrefix("v") { spec = spec.dropFirst() }
            if FileManager.default.fileExists(atPath: folder + "/manifest.json"), let v = Int(spec) {
                let file = folder + "/" + fileName(version: v)
                guard FileManager.default.fileExists(atPath: file) else {
                    throw RetrainError.registry("\(path): the registry has no file for version \(v) (pruned or never made)")
                }
                return file
            }
        }
        return path
    }
}

/// `REGISTRY/NAME/manifest.json`.
public struct RegistryManifest: Codable, Sendable, Equatable {
    public static let formatName = "forecast-registry"
    public static let currentFormatVersion = 1

    public var format = RegistryManifest.formatName
    public var formatVersion = RegistryManifest.currentFormatVersion
    public var name: String
    /// The promoted version `current` points to; nil before the first promotion.
    public var current: Int? = nil
    /// The number the next version gets (numbers are never reused).
    public var nextVersion = 1
    public var versions: [Version] = []

    public init(name: String) { self.name = name }

    /// One trained model (promoted or not).
    public struct Version: Codable, Sendable, Equatable {
        public var version: Int
        public var file: String
        /// SHA-256 of the whole file and of its tensor bytes (the checksum inside the file).
        public var fileSha256: String
        public var tensorSha256: String
        public var createdAt: String
        public var runId: String
        /// warm (fine-tuned from `parent`) or cold.
        public var mode: RetrainJob.Mode
        public var parent: Int?
        public var data: DataRecord
        public var settings: SettingsRecord
        public var training: TrainingRecord
        public var metrics: MetricsRecord
        public var timings: Timings
        public var promoted: Bool
        public var reason: String
        /// The file was deleted by pruning.
        public var pruned = false
    }

    public struct DataRecord: Codable, Sendable, Equatable {
        public var source: String
        public var sha256: String
        public var files: Int
        public var rowsRead: Int
        public var rows: Int
        public var rowsAdded: Int
        public var series: Int
        public var firstTime: String?
        public var lastTime: String?
        /// Rows per series scored as the holdout (the last ones of each series).
        public var holdoutRows: Int
    }

    public struct SettingsRecord: Codable, Sendable, Equatable {
        public var modelHash: String
        public var runHash: String
        public var data: RetrainJob.DataSettings
        public var model: RetrainJob.ModelSettings
        public var training: RetrainJob.TrainingSettings
        public var retrain: RetrainJob.RetrainSettings
        public var lookback: Int
        public var horizon: Int
    }

    public struct TrainingRecord: Codable, Sendable, Equatable {
        public var epochs: Int
        public var bestEpoch: Int
        public var resumedFromEpoch: Int?
        public var trainLoss: Double?
        public var validationLoss: Double?
    }

    public struct MetricsRecord: Codable, Sendable, Equatable {
        public var metric: RetrainJob.Metric
        public var challenger: Double
        /// The champion's score on the same holdout (nil when there was none).
        public var champion: Double?
        public var championVersion: Int?
        public var challengerReport: EvaluationReport
        public var championReport: EvaluationReport?
    }

    public struct Timings: Codable, Sendable, Equatable {
        public var readSeconds: Double
        public var trainSeconds: Double
        public var evaluateSeconds: Double
        public var totalSeconds: Double
    }
}

func registryEncoder(pretty: Bool) -> JSONEncoder {
    let enc = JSONEncoder()
    enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return enc
}

func registryDecoder() -> JSONDecoder {
    let dec = JSONDecoder()
    dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return dec
}

/// One line for a DecodingError: the key path and what was wrong.
func shortDecodingError(_ error: Error) -> String {
    guard let e = error as? DecodingError else { return "\(error)" }
    func path(_ c: DecodingError.Context) -> String {
        let p = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return p.isEmpty ? "" : " at \(p)"
    }
    switch e {
    case .dataCorrupted(let c): return "\(c.debugDescription)\(path(c))"
    case .keyNotFound(let k, let c): return "missing key '\(k.stringValue)'\(path(c))"
    case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(c.debugDescription)\(path(c))"
    @unknown default: return "\(error)"
    }
}

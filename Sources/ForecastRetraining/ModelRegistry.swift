import Foundation
import Forecast
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
/// after the manifest stopped naming them. ``recover()`` repairs what an interrupted run left
/// (leftover temporary and version files, a lagging `current`).
///
/// Safety rules (see docs/retraining.md, "Safety"):
/// - The folder is opened once (``DirectoryHandle``, `O_NOFOLLOW`) and every entry is reached
///   relative to it without following symlinks: a link, FIFO or device planted as
///   `manifest.json`, `retrain.lock`, `.work`, `current`'s target or a version file is refused,
///   never read, written, truncated or deleted through.
/// - Only a folder forecast created is used: one holding a `manifest.json`, or an empty one
///   (a `retrain.lock` alone counts as empty), which is marked with an empty manifest under
///   the lock (``markIfNew()``). Any other folder is refused, so nothing in it is ever deleted.
/// - The manifest is checked on every read (``RegistryManifest/validate(path:)``): versions
///   in range and unique, `nextVersion` above every version, `current` a live promoted one.
/// - A version file is created only under a free name (``saveVersion(_:version:)``); an
///   existing file of that name is never overwritten. A version file the manifest does not
///   name is deleted only when `.work/state.json` says this registry's interrupted run made it.
public final class ModelRegistry: @unchecked Sendable {
    /// `REGISTRY/NAME`.
    public let folder: String
    public private(set) var manifest: RegistryManifest
    /// The open registry folder; every entry is reached through it.
    public let directory: DirectoryHandle

    public static let manifestName = "manifest.json"
    public static let currentName = "current"
    public static let workName = ".work"
    public static let lockName = "retrain.lock"
    public static let lastRunName = "last_run.json"
    /// The largest manifest read (a real one is a few KB per version).
    public static let maxManifestBytes = 64 << 20

    public var manifestPath: String { folder + "/" + ModelRegistry.manifestName }
    public var currentLinkPath: String { folder + "/" + ModelRegistry.currentName }
    public var workFolder: String { folder + "/" + ModelRegistry.workName }
    public var lockPath: String { folder + "/" + ModelRegistry.lockName }
    public var lastRunPath: String { folder + "/" + ModelRegistry.lastRunName }

    /// The file name of version `v`: `v0007.safetensors`.
    public static func fileName(version v: Int) -> String { String(format: "v%04d.safetensors", v) }

    /// The version number of a version file name, nil for other names.
    public static func version(ofFileName name: String) -> Int? {
        guard name.hasPrefix("v"), name.hasSuffix(".safetensors") else { return nil }
        let digits = name.dropFirst().dropLast(".safetensors".count)
        guard digits.count >= 4, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// Model names: letters, digits, `.`, `_`, `-`; not starting with `.`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.count <= 200
            && name.unicodeScalars.allSatisfy { ($0.isASCII && (CharacterSet.alphanumerics.contains($0))) || "._-".unicodeScalars.contains($0) }
    }

    /// Opens the registry folder `folder` (`REGISTRY/NAME`), creating it when `create` is set.
    /// A folder without a manifest is an empty registry; it must be empty (or hold only
    /// `retrain.lock`), else it is refused as not a registry.
    public convenience init(folder: String, create: Bool = false) throws {
        try self.init(folder: folder, create: create, lockingFor: nil)
    }

    /// Opens (or creates) the registry folder for a retrain run and takes its lock before
    /// judging the folder's contents: a run that holds the lock may be writing its first
    /// manifest (a `.manifest.json.tmp-*` file beside a missing `manifest.json`), which a second
    /// run must report as a held lock, not as a foreign folder.
    public static func lockedForRun(folder: String, runID: String) throws -> (ModelRegistry, RegistryLock) {
        var taken: RegistryLock?
        let registry = try ModelRegistry(folder: folder, create: true, lockingFor: runID) { taken = $0 }
        guard let taken else { throw RetrainError.registry("\(folder): the lock was not taken") }
        return (registry, taken)
    }

    private init(folder: String, create: Bool, lockingFor runID: String?, took: ((RegistryLock) -> Void)? = nil) throws {
        self.folder = folder
        do {
            if create {
                directory = try DirectoryHandle.openOrCreate(path: folder).handle
            } else {
                var st = stat()
                if lstat(folder, &st) != 0 && errno == ENOENT { throw RetrainError.registry("\(folder): no such model registry folder") }
                directory = try DirectoryHandle(path: folder)
            }
        } catch let e as FileError {
            throw RetrainError.registry("\(e.path): not usable as a model registry folder: \(e.message)")
        }
        if let runID {
            // Judge the folder before creating a lock file in it (a foreign folder stays
            // untouched), tolerating a first manifest being written by the lock's holder; then
            // judge it again under the lock.
            try ModelRegistry.checkContents(directory, folder: folder, toleratingFirstManifest: true)
            took?(try RegistryLock.acquire(in: directory, name: ModelRegistry.lockName, runID: runID))
        }
        try ModelRegistry.checkContents(directory, folder: folder, toleratingFirstManifest: false)
        manifest = try ModelRegistry.readManifest(directory, name: (folder as NSString).lastPathComponent)
    }

    /// Refuses a folder that is not a registry: a `manifest.json` that is a link or not a
    /// regular file, or no manifest beside entries other than `retrain.lock` (and, with
    /// `toleratingFirstManifest`, the temporary files of a manifest being written).
    static func checkContents(_ directory: DirectoryHandle, folder: String, toleratingFirstManifest: Bool) throws {
        switch try ModelRegistry.kind(directory, ModelRegistry.manifestName) {
        case .file:
            break
        case .missing:
            let names: [String]
            do { names = try directory.names() } catch { throw RetrainError.registry("\(error)") }
            let foreign = names.filter { $0 != ModelRegistry.lockName && !(toleratingFirstManifest && $0.hasPrefix(".\(ModelRegistry.manifestName).tmp-")) }.sorted()
            if !foreign.isEmpty {
                let shown = foreign.prefix(3).joined(separator: ", ") + (foreign.count > 3 ? ", ..." : "")
                throw RetrainError.registry("\(folder): is not a model registry (no manifest.json, and it holds \(shown)); forecast only uses a registry folder it created: point registry.path/name at a new or empty folder")
            }
        case .symlink:
            throw RetrainError.registry("\(folder)/manifest.json: is a symbolic link; refusing to follow it")
        default:
            throw RetrainError.registry("\(folder)/manifest.json: is not a regular file")
        }
    }

    static func kind(_ dir: DirectoryHandle, _ name: String) throws -> DirectoryHandle.Kind {
        do { return try dir.kind(name) } catch { throw RetrainError.registry("\(error)") }
    }

    static func readManifest(_ dir: DirectoryHandle, name: String) throws -> RegistryManifest {
        let path = dir.display(manifestName)
        guard try kind(dir, manifestName) != .missing else { return RegistryManifest(name: name) }
        let bytes: [UInt8]
        do { bytes = try dir.read(manifestName, maxBytes: maxManifestBytes) } catch { throw RetrainError.registry("\(error)") }
        let m: RegistryManifest
        do { m = try registryDecoder().decode(RegistryManifest.self, from: Data(bytes)) } catch {
            throw RetrainError.registry("\(path): not a valid registry manifest: \(shortDecodingError(error))")
        }
        guard m.format == RegistryManifest.formatName else { throw RetrainError.registry("\(path): not a forecast registry manifest (format '\(m.format)')") }
        guard m.formatVersion <= RegistryManifest.currentFormatVersion else {
            throw RetrainError.registry("\(path): manifest format version \(m.formatVersion) is newer than this build reads (\(RegistryManifest.currentFormatVersion)); upgrade forecast")
        }
        try m.validate(path: path)
        return m
    }

    /// Writes the manifest atomically: this is the commit point of every change.
    public func save(_ m: RegistryManifest) throws {
        try m.validate(path: manifestPath)
        let data: Data
        do { data = try registryEncoder(pretty: true).encode(m) } catch { throw RetrainError.registry("\(manifestPath): cannot encode the manifest: \(error)") }
        do { try directory.writeAtomically([UInt8](data) + [0x0A], to: ModelRegistry.manifestName) } catch { throw RetrainError.registry("\(error)") }
        manifest = m
    }

    /// Writes an empty manifest when there is none yet, marking the folder as a registry.
    /// Call it while holding the lock.
    public func markIfNew() throws {
        if try ModelRegistry.kind(directory, ModelRegistry.manifestName) == .missing { try save(manifest) }
    }

    /// Re-reads the manifest from disk.
    public func reload() throws {
        manifest = try ModelRegistry.readManifest(directory, name: manifest.name)
    }

    /// Writes `bytes` to `REGISTRY/NAME/name` atomically (e.g. `last_run.json`).
    public func writeFile(_ name: String, _ bytes: [UInt8]) throws {
        do { try directory.writeAtomically(bytes, to: name) } catch { throw RetrainError.registry("\(error)") }
    }

    // MARK: Current

    /// The version `current` points to on disk: nil when it is missing, not a symlink, or not a
    /// link to a plain version file name in the folder (`v0007.safetensors`, no `/`).
    public func currentLinkVersion() -> Int? {
        guard let dest = directory.linkTarget(ModelRegistry.currentName), !dest.contains("/") else { return nil }
        return ModelRegistry.version(ofFileName: dest)
    }

    /// Points `current` at version `v` atomically (a new symlink renamed over the old one).
    public func switchCurrent(to v: Int) throws {
        do { try directory.replaceSymlink(ModelRegistry.currentName, target: ModelRegistry.fileName(version: v)) } catch {
            throw RetrainError.registry("\(currentLinkPath): cannot switch the current pointer: \(error)")
        }
    }

    func syncFolder() { directory.sync() }

    /// The path of version `v`'s file.
    public func path(version v: Int) -> String { folder + "/" + ModelRegistry.fileName(version: v) }

    /// What the entry of version `v`'s file is (not following links).
    public func versionFileKind(_ v: Int) throws -> DirectoryHandle.Kind {
        try ModelRegistry.kind(directory, ModelRegistry.fileName(version: v))
    }

    /// The current champion, loaded and verified with its family's loader (``AnyModel``); nil
    /// when no version was promoted yet.
    public func loadCurrent() throws -> (entry: RegistryManifest.Version, model: AnyModel)? {
        guard let c = manifest.current else { return nil }
        guard let entry = manifest.versions.first(where: { $0.version == c }) else {
            throw RetrainError.registry("\(manifestPath): the current version \(c) has no entry")
        }
        let kind = try versionFileKind(c)
        guard kind == .file else {
            throw RetrainError.registry("\(path(version: c)): the current model's file is \(kind == .missing ? "missing" : "not a regular file (\(kind))"); refusing to use it")
        }
        do { return (entry, try AnyModel.load(from: path(version: c))) } catch {
            throw RetrainError.registry("the current model cannot be loaded: \(error)")
        }
    }

    /// Saves `model` as version `v`'s file: written under a temporary name, then linked to
    /// `vNNNN.safetensors` only when that name is free. An existing entry is never replaced.
    public func saveVersion(_ model: AnyModel, version v: Int) throws {
        let name = ModelRegistry.fileName(version: v)
        let existing = try ModelRegistry.kind(directory, name)
        guard existing == .missing else {
            throw RetrainError.registry("\(path(version: v)): exists although manifest.json does not name version \(v); refusing to overwrite it (move the file away, or fix nextVersion in \(manifestPath))")
        }
        let tmp = ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try model.save(to: folder + "/" + tmp)
            try directory.commit(tmp, to: name, replace: false)
        } catch {
            directory.remove(tmp)
            throw RetrainError.registry("cannot save the new version: \(error)")
        }
    }

    // MARK: Work folder

    /// The `.work` folder (created when `create`); refused when it is a link or not a folder.
    public func workDirectory(create: Bool) throws -> DirectoryHandle? {
        let kind = try ModelRegistry.kind(directory, ModelRegistry.workName)
        switch kind {
        case .missing where !create: return nil
        case .missing, .directory:
            do { return try directory.subfolder(ModelRegistry.workName, create: create) } catch {
                throw RetrainError.registry("\(workFolder): cannot use the run's work folder: \((error as? FileError)?.message ?? "\(error)")")
            }
        case .symlink:
            throw RetrainError.registry("\(workFolder): is a symbolic link; refusing to follow it (remove it: it is the work folder of unfinished runs)")
        default:
            throw RetrainError.registry("\(workFolder): is \(kind == .file ? "a file" : "\(kind)"), expected the run's work folder (remove it)")
        }
    }

    /// Removes `.work` and all in it (links removed, never followed).
    public func removeWork() throws {
        do { try directory.removeTree(ModelRegistry.workName) } catch { throw RetrainError.registry("\(error)") }
        directory.sync()
    }

    // MARK: Recovery

    /// Brings the folder in line with the manifest after an interrupted run: removes temporary
    /// files, the version file of an interrupted run (the manifest does not name it and
    /// `.work/state.json` records it) and files the manifest marks pruned, and points `current`
    /// at the manifest's current version. Other version files the manifest does not name are
    /// left alone (with a warning). Returns what was done, one line each. Call it while holding
    /// the lock.
    @discardableResult
    public func recover() throws -> [String] {
        var done: [String] = []
        let names: [String]
        do { names = try directory.names() } catch { throw RetrainError.registry("\(error)") }
        let work = try workDirectory(create: false)
        let interrupted = work.flatMap { WorkState.load($0) }?.version
        let known = Set(manifest.versions.map(\.version))
        let live = Set(manifest.versions.filter { !$0.pruned }.map(\.version))
        for name in names.sorted() {
            if name.contains(".tmp-") {
                if directory.remove(name) { done.append("removed the temporary file \(name) of an interrupted write") }
            } else if let v = ModelRegistry.version(ofFileName: name), !live.contains(v) {
                if known.contains(v) {
                    if directory.remove(name) { done.append("removed \(name), pruned from the manifest by an interrupted run") }
                } else if v == interrupted && v >= manifest.nextVersion {
                    if directory.remove(name) { done.append("removed \(name), left uncommitted by an interrupted run") }
                } else {
                    done.append("warning: \(name) is not named by the manifest; left alone")
                }
            }
        }
        if let work {
            for name in ((try? work.names()) ?? []) where name.contains(".tmp-") { work.remove(name) }
        }
        for v in live.sorted() {
            let kind = try versionFileKind(v)
            guard kind != .file else { continue }
            if v == manifest.current {
                throw RetrainError.registry("\(path(version: v)): the current model's file is \(kind == .missing ? "missing" : "not a regular file"); restore it or edit \(manifestPath)")
            }
            done.append("warning: \(ModelRegistry.fileName(version: v)) is \(kind == .missing ? "missing (deleted by hand?)" : "not a regular file")")
        }
        if let c = manifest.current {
            if currentLinkVersion() != c {
                try switchCurrent(to: c)
                done.append("pointed current at \(ModelRegistry.fileName(version: c)) as the manifest says")
            }
        } else if try ModelRegistry.kind(directory, ModelRegistry.currentName) == .symlink {
            directory.remove(ModelRegistry.currentName)
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
        for v in drop { directory.remove(ModelRegistry.fileName(version: v)) }
        syncFolder()
        return drop.sorted()
    }

    // MARK: Resolving model paths

    /// Maps a registry folder `REGISTRY/NAME` (a folder with a manifest.json) to its current
    /// model file, `REGISTRY/NAME@7` or `REGISTRY/NAME@v0007` to version 7's file, and returns
    /// any other path unchanged. The folder given may be a link (the caller's choice); inside it
    /// nothing is followed through a link: `current` must name a version file of the folder,
    /// and that file must be a regular file.
    public static func resolveModelPath(_ path: String) throws -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { return path }
            let folder = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
            guard FileManager.default.fileExists(atPath: folder + "/manifest.json") else {
                throw RetrainError.registry("\(path): is a folder without a manifest.json, not a model registry (REGISTRY/NAME) or a model file")
            }
            let dir: DirectoryHandle
            do { dir = try DirectoryHandle(path: folder, followLink: true) } catch { throw RetrainError.registry("\(error)") }
            guard let dest = dir.linkTarget(currentName) else {
                throw RetrainError.registry("\(path): the registry has no current model yet (no version was promoted)")
            }
            guard !dest.contains("/"), version(ofFileName: dest) != nil else {
                throw RetrainError.registry("\(folder)/current: points at '\(dest)', not a version file of the registry; refusing to follow it")
            }
            return try regularVersionFile(dir, dest, shown: path)
        }
        if let at = path.lastIndex(of: "@") {
            let folder = String(path[..<at])
            var spec = path[path.index(after: at)...]
            if spec.hasPrefix("v") { spec = spec.dropFirst() }
            if FileManager.default.fileExists(atPath: folder + "/manifest.json"), let v = Int(spec), v >= 0, v <= RegistryManifest.maxVersion {
                let dir: DirectoryHandle
                do { dir = try DirectoryHandle(path: folder, followLink: true) } catch { throw RetrainError.registry("\(error)") }
                return try regularVersionFile(dir, fileName(version: v), shown: path)
            }
        }
        return path
    }

    private static func regularVersionFile(_ dir: DirectoryHandle, _ name: String, shown: String) throws -> String {
        switch try kind(dir, name) {
        case .file: return dir.display(name)
        case .missing: throw RetrainError.registry("\(shown): the registry has no file for version \(version(ofFileName: name) ?? 0) (pruned or never made)")
        case .symlink: throw RetrainError.registry("\(dir.display(name)): is a symbolic link; refusing to follow it")
        default: throw RetrainError.registry("\(dir.display(name)): is not a regular file")
        }
    }
}

/// `REGISTRY/NAME/manifest.json`.
public struct RegistryManifest: Codable, Sendable, Equatable {
    public static let formatName = "forecast-registry"
    public static let currentFormatVersion = 1
    /// The largest version number (`v99999999.safetensors`).
    public static let maxVersion = 99_999_999

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
        /// Lookback and horizon (a grid model: in-frames and out-frames).
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
        /// Holdout scores of a series model (model and baselines); nil for a grid model.
        public var challengerReport: EvaluationReport?
        public var championReport: EvaluationReport?
        /// Holdout scores of a grid model (model and persistence per lead time); nil for series.
        public var challengerGridReport: NowcastReport?
        public var championGridReport: NowcastReport?
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

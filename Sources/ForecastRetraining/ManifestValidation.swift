import Foundation
import Forecast

extension RegistryManifest {
    /// The largest row or file count a manifest may record (2^50): keeps every sum and
    /// difference of counts far from `Int` overflow.
    public static let maxCount = 1 << 50

    /// Checks a manifest read from disk (or about to be written) so that a hand-edited or
    /// damaged one cannot make a run overwrite a file, trap on arithmetic or use a version
    /// that does not exist. Throws ``RetrainError/registry(_:)`` naming `path` and the field.
    ///
    /// Rules:
    /// - every version number is in 1...``maxVersion`` and appears once; its `file` is
    ///   `vNNNN.safetensors` of that number (the name the file is read and pruned by);
    /// - `nextVersion` is in 1...``maxVersion``+1 and greater than every version (numbers are
    ///   never reused, so a new version can never land on an existing one);
    /// - `current`, when set, is a version of the list that was promoted and not pruned;
    /// - `parent` and `championVersion`, when set, are in 1...``maxVersion``;
    /// - row and file counts are in 0...``maxCount`` (`rowsAdded` in -maxCount...maxCount);
    ///   `holdoutRows` is in 0...``maxCount``.
    public func validate(path: String) throws {
        func fail(_ field: String, _ why: String) -> RetrainError {
            RetrainError.registry("\(path): \(field) \(why); the manifest was edited or damaged (restore it from a backup or fix that field)")
        }
        let range = 1...RegistryManifest.maxVersion
        var seen = Set<Int>()
        for (i, v) in versions.enumerated() {
            let at = "versions[\(i)]"
            guard range.contains(v.version) else { throw fail("\(at).version", "is \(v.version), outside 1...\(RegistryManifest.maxVersion)") }
            guard seen.insert(v.version).inserted else { throw fail("\(at).version", "repeats version \(v.version)") }
            guard v.file == ModelRegistry.fileName(version: v.version) else {
                throw fail("\(at).file", "is '\(v.file)', expected \(ModelRegistry.fileName(version: v.version))")
            }
            if let p = v.parent, !range.contains(p) { throw fail("\(at).parent", "is \(p), outside 1...\(RegistryManifest.maxVersion)") }
            if let c = v.metrics.championVersion, !range.contains(c) {
                throw fail("\(at).metrics.championVersion", "is \(c), outside 1...\(RegistryManifest.maxVersion)")
            }
            let counts: [(String, Int)] = [("data.files", v.data.files), ("data.rowsRead", v.data.rowsRead), ("data.rows", v.data.rows),
                                           ("data.series", v.data.series), ("data.holdoutRows", v.data.holdoutRows),
                                           ("training.epochs", v.training.epochs), ("training.bestEpoch", v.training.bestEpoch)]
            for (name, n) in counts where n < 0 || n > RegistryManifest.maxCount {
                throw fail("\(at).\(name)", "is \(n), outside 0...\(RegistryManifest.maxCount)")
            }
            guard v.data.rowsAdded >= -RegistryManifest.maxCount && v.data.rowsAdded <= RegistryManifest.maxCount else {
                throw fail("\(at).data.rowsAdded", "is \(v.data.rowsAdded), outside ±\(RegistryManifest.maxCount)")
            }
        }
        guard nextVersion >= 1 && nextVersion <= RegistryManifest.maxVersion + 1 else {
            throw fail("nextVersion", "is \(nextVersion), outside 1...\(RegistryManifest.maxVersion + 1)")
        }
        if let top = seen.max(), nextVersion <= top {
            throw fail("nextVersion", "is \(nextVersion), not above the newest version \(top) (a new version would overwrite an existing one)")
        }
        if let c = current {
            guard let entry = versions.first(where: { $0.version == c }) else { throw fail("current", "is \(c), a version the manifest does not list") }
            guard entry.promoted else { throw fail("current", "is \(c), a version that was not promoted") }
            guard !entry.pruned else { throw fail("current", "is \(c), a version marked pruned (its file was deleted)") }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Temporary files that ``AtomicFile/write(_:to:)-(_,String)`` leaves when its process is
/// killed between creating `NAME.tmp-PID-N` and renaming it over `NAME`. The next run that
/// writes into the same folder removes those whose PID is no longer a running process; a
/// temporary of a live process (another write in progress) is never touched.
public enum StaleTemporaries {
    /// Removes stale temporaries in the folder of `path`; returns the names removed.
    @discardableResult
    public static func remove(inFolderOf path: String) -> [String] {
        let dir: String
        if let slash = path.lastIndex(of: "/") { dir = slash == path.startIndex ? "/" : String(path[..<slash]) } else { dir = "." }
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var removed: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = ownerPID(name), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH {
                let full = dir == "/" ? "/" + name : dir + "/" + name
                if unlink(full) == 0 { removed.append(full) }
            }
        }
        return removed
    }

    /// The PID in a name of the form `BASE.tmp-PID-N` (PID and N decimal), else nil.
    public static func ownerPID(_ name: String) -> pid_t? {
        guard let r = name.range(of: ".tmp-", options: .backwards), r.lowerBound > name.startIndex else { return nil }
        let parts = name[r.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              parts[0].count <= 9, let pid = Int32(parts[0]) else { return nil }
        return pid
    }
}

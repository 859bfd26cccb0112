import ArgumentParser
import Foundation
import Forecast

/// The rules for the files a command writes, checked before any work (usage errors, exit 2):
///
///     --out (and --attention-out)   not empty; absent, or a regular file once links are followed
///                                   (never a device, FIFO, socket or folder); never the same
///                                   file as an input, compared by device and inode, so a hard
///                                   or symbolic link to an input counts as the input
///     --checkpoint-dir              absent or a folder
///
/// Inputs themselves must be regular files; the readers refuse anything else (``RegularFile``).
enum InputFiles {
    /// Checks an output path against the rules above; `inputs` are the files the command reads.
    static func checkOutput(_ out: String, option: String = "--out", inputs: [String]) throws {
        guard !out.isEmpty else { throw ValidationError("\(option) is empty: give a file name") }
        var st = stat()
        guard stat(out, &st) == 0 else {
            if errno == ENOENT { return }
            throw ValidationError("\(option) \(out): cannot check the file: \(String(cString: strerror(errno)))")
        }
        if let kind = RegularFile.kindName(st.st_mode) {
            throw ValidationError("\(option) \(out): is \(kind); \(option) must be a regular file or a new file name")
        }
        for input in inputs {
            var s = stat()
            if stat(input, &s) == 0, s.st_dev == st.st_dev, s.st_ino == st.st_ino {
                throw ValidationError("\(option) \(out): is the input file \(input) (or a link to it); writing there would destroy the input")
            }
        }
    }

    /// `--checkpoint-dir`: absent (it is created) or a folder.
    static func checkFolder(_ dir: String, option: String) throws {
        guard !dir.isEmpty else { throw ValidationError("\(option) is empty: give a folder name") }
        var st = stat()
        if stat(dir, &st) == 0, (st.st_mode & S_IFMT) != S_IFDIR {
            throw ValidationError("\(option) \(dir): is \(RegularFile.kindName(st.st_mode) ?? "a regular file"), expected a folder")
        }
    }

    /// Before writing `out`: removes temporaries a killed run left beside it, and says so
    /// (unless `quiet`).
    static func prepareOutput(_ out: String, quiet: Bool = false) {
        for name in StaleTemporaries.remove(inFolderOf: out) where !quiet {
            Output.note("removed \(name), left by an interrupted run")
        }
    }

    /// Says on stderr when a model file has only the 0.1 tensor checksum (its metadata is
    /// not covered). Unreadable files are left to the loader, which reports them.
    static func noteModel(_ path: String) {
        guard let file = try? SafeTensorsFile.read(path: path), file.metadata["format"] == ModelArchive.format,
              file.metadata[ArchiveChecksum.fileKey] == nil else { return }
        Output.note(ModelArchive.legacyNote(path: path))
    }
}

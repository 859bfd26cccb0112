#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors from reading and writing files, naming the file and the system's reason.
public struct FileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// Crash-safe file writes: the bytes go to a temporary file in the same folder, are flushed
/// to disk (`fsync`), and the temporary file is renamed over the destination; finally the
/// folder itself is fsynced so the rename is durable. A crash at any moment leaves either the
/// old file or the new one, never a torn mix.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let dir: String = {
            if let slash = path.lastIndex(of: "/") { return slash == path.startIndex ? "/" : String(path[..<slash]) }
            return "."
        }()
        let tmp = "\(path).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max) & 0xffffff)"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: path, message: "cannot create file: \(errnoString())") }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        var written = 0
        try bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    let msg = errnoString()
                    close(fd)
                    throw FileError(path: path, message: "write failed: \(msg)")
                }
                written += n
            }
        }
        if fsync(fd) != 0 { let msg = errnoString(); close(fd); throw FileError(path: path, message: "fsync failed: \(msg)") }
        close(fd)
        guard rename(tmp, path) == 0 else { throw FileError(path: path, message: "rename failed: \(errnoString())") }
        ok = true
        let dfd = open(dir, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Reads a whole regular file into memory. Anything else (a FIFO, a device, a socket, a
    /// folder) is refused without blocking (see ``RegularFile``), and so is a file larger
    /// than `maxBytes`.
    public static func read(_ path: String, maxBytes: Int = Int(Int32.max)) throws -> [UInt8] {
        let (fd, size) = try RegularFile.open(path)
        defer { close(fd) }
        guard size <= maxBytes else { throw FileError(path: path, message: "is \(size) bytes, larger than the limit of \(maxBytes) bytes") }
        var out = [UInt8](repeating: 0, count: size)
        var got = 0
        try out.withUnsafeMutableBytes { raw in
            while got < raw.count {
                let n = Glibc.read(fd, raw.baseAddress! + got, raw.count - got)
                if n < 0 { if errno == EINTR { continue }; throw FileError(path: path, message: "read failed: \(errnoString())") }
                if n == 0 { break }
                got += n
            }
        }
        if got < out.count { out.removeLast(out.count - got) }
        return out
    }
}

func errnoString() -> String { String(cString: strerror(errno)) }

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening and reading input files that must be regular files, with no way to block forever
/// or to read a device:
///
///     stat first                    a path already known to be something else is refused
///                                   without being opened (opening some devices has effects)
///     open(O_RDONLY | O_NONBLOCK)   a FIFO with no writer opens at once instead of waiting
///     fstat on the open descriptor  the kind is that of the file actually opened (no race
///                                   between the check and the read)
///     regular file only             FIFOs, character and block devices, sockets and folders
///                                   are refused with a ``FileError`` naming the path and kind
///     O_NONBLOCK cleared            reads of the regular file behave as usual
///
/// A size limit (`maxBytes`) is checked against the size `fstat` reports and again while
/// reading (a file that grows past it is refused too). Symbolic links given by the caller are
/// followed (the path is the caller's choice); code that must not follow links inside a folder
/// uses ``DirectoryHandle`` instead.
public enum RegularFile {
    /// The name of the file type in `mode` for messages: "a FIFO (named pipe)", "a directory", ...
    public static func describeType(_ mode: mode_t) -> String { kindName(mode) ?? "a regular file" }

    /// "a directory", "a FIFO (named pipe)", ... for a mode that is not a regular file; nil
    /// for a regular file.
    public static func kindName(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// Opens the regular file at `path`: the open descriptor (the caller closes it) and the
    /// file's size in bytes.
    public static func open(_ path: String) throws -> (fd: Int32, size: Int) {
        guard !path.isEmpty else { throw FileError(path: "''", message: "empty file name") }
        var st = stat()
        if stat(path, &st) == 0, let kind = kindName(st.st_mode) { throw FileError(path: path, message: "is \(kind), expected a regular file") }
        var fd: Int32
        repeat {
            #if canImport(Glibc)
            fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            #else
            fd = Darwin.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            #endif
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw FileError(path: path, message: "cannot open: \(errnoString())") }
        guard fstat(fd, &st) == 0 else { let m = errnoString(); close(fd); throw FileError(path: path, message: "cannot stat: \(m)") }
        if let kind = kindName(st.st_mode) {
            close(fd)
            throw FileError(path: path, message: "is \(kind), expected a regular file")
        }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return (fd, Int(st.st_size))
    }

    /// Reads the whole regular file at `path` (at most `maxBytes` bytes).
    public static func read(_ path: String, maxBytes: Int = Int.max) throws -> [UInt8] {
        let (fd, _) = try open(path)
        defer { close(fd) }
        return try read(fd: fd, path: path, maxBytes: maxBytes)
    }

    /// Reads the whole regular file open on `fd` (from offset 0; the descriptor stays open).
    /// `path` only names the file in errors.
    public static func read(fd: Int32, path: String, maxBytes: Int = Int.max) throws -> [UInt8] {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError(path: path, message: "cannot stat: \(errnoString())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw FileError(path: path, message: "is \(describeType(st.st_mode)), expected a regular file")
        }
        let size = Int(st.st_size)
        guard size >= 0, size <= maxBytes else {
            throw FileError(path: path, message: "is \(size) bytes, more than the limit of \(maxBytes)")
        }
        // Regular files never block; clear O_NONBLOCK anyway so reads behave as usual.
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        var out = [UInt8](repeating: 0, count: size)
        var got = 0
        while true {
            if got == out.count {
                // The file may have grown since fstat: look for more, within the limit.
                guard out.count < maxBytes else {
                    var probe: UInt8 = 0
                    let n = pread(fd, &probe, 1, off_t(got))
                    if n > 0 { throw FileError(path: path, message: "grew past the limit of \(maxBytes) bytes while being read") }
                    break
                }
                out.append(contentsOf: [UInt8](repeating: 0, count: min(max(4096, out.count), maxBytes - out.count)))
            }
            let want = out.count - got
            let n = out.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return pread(fd, base + got, want, off_t(got))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, message: "read failed: \(errnoString())")
            }
            if n == 0 { break }
            got += n
        }
        if got < out.count { out.removeLast(out.count - got) }
        return out
    }
}

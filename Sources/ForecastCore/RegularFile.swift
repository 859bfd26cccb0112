#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening an input file so that no kind of path can make a read block forever or read a
/// device:
///
///     open(O_RDONLY | O_NONBLOCK)   a FIFO with no writer opens at once instead of waiting
///     fstat on the open descriptor  the kind is that of the file actually opened (no race)
///     regular file only             FIFOs, character and block devices, sockets and folders
///                                   are refused with a one-line reason
///     O_NONBLOCK cleared            reads of the regular file behave as usual
///
/// A symbolic link to a regular file is followed and accepted.
public enum RegularFile {
    /// The open descriptor (the caller closes it) and the file's size in bytes.
    public static func open(_ path: String) throws -> (fd: Int32, size: Int) {
        guard !path.isEmpty else { throw FileError(path: "''", message: "empty file name") }
        #if canImport(Glibc)
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        #else
        let fd = Darwin.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        #endif
        guard fd >= 0 else {
            let reason = errnoString()
            var st = stat()
            if stat(path, &st) == 0, let kind = kindName(st.st_mode) { throw FileError(path: path, message: "is \(kind), expected a regular file") }
            throw FileError(path: path, message: "cannot open: \(reason)")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { let m = errnoString(); close(fd); throw FileError(path: path, message: "cannot stat: \(m)") }
        if let kind = kindName(st.st_mode) {
            close(fd)
            throw FileError(path: path, message: "is \(kind), expected a regular file")
        }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return (fd, Int(st.st_size))
    }

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
}

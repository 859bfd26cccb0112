#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder opened once, whose entries are reached only relative to its descriptor
/// (`openat`, `fstatat`, `renameat`, `unlinkat`, `symlinkat`, `readlinkat`), never through a
/// symbolic link.
///
/// Rules:
/// - The folder itself is opened with `O_DIRECTORY | O_NOFOLLOW`: a symlink in its place is
///   refused (components above it are the caller's choice and may be links).
/// - Entry names are single path components (no `/`, not `.` or `..`, not empty); anything
///   else is refused, so no operation can leave the folder.
/// - Files are opened with `O_NOFOLLOW | O_NONBLOCK` and checked with `fstat` on the open
///   descriptor: a symlink, FIFO, device, socket or folder where a file is expected is refused
///   with a ``FileError`` and nothing is read, written, truncated or deleted through it.
/// - ``writeAtomically(_:to:replace:)`` writes a new temporary entry (`O_EXCL`), fsyncs it and
///   renames it over the name (`replace`) or links it to the name only when the name is free
///   (no replace: an existing entry is never overwritten); the folder is fsynced after.
/// - ``removeTree(_:)`` deletes a sub-folder's entries without following links (a link is
///   removed, not its target).
public final class DirectoryHandle: @unchecked Sendable {
    /// The folder's path (for messages and for APIs that need a path).
    public let path: String
    /// The open descriptor (`O_DIRECTORY`), closed with the handle.
    public let fd: Int32

    /// What a name in the folder is, without following links.
    public enum Kind: Equatable, Sendable {
        case missing, file, directory, symlink
        /// A FIFO, device or socket (described).
        case other(String)
    }

    private init(path: String, fd: Int32) { self.path = path; self.fd = fd }
    deinit { close(fd) }

    /// Opens the existing folder `path`; refuses a symlink (unless `followLink`: for read-only
    /// use of a path the caller chose) or anything but a folder.
    public convenience init(path: String, followLink: Bool = false) throws {
        let fd = try DirectoryHandle.openDirectory(AT_FDCWD, path, display: path, followLink: followLink)
        self.init(path: path, fd: fd)
    }

    /// Opens the folder `path`, creating it (and missing parents, mode 0755) when absent.
    /// Returns whether this call created the last component.
    public static func openOrCreate(path: String) throws -> (handle: DirectoryHandle, created: Bool) {
        var created = false
        if mkdir(path, 0o755) == 0 {
            created = true
        } else if errno == ENOENT {
            let parent = parentPath(path)
            if parent != path { _ = try openOrCreate(path: parent) }
            if mkdir(path, 0o755) == 0 { created = true } else if errno != EEXIST {
                throw FileError(path: path, message: "cannot create the folder: \(errnoString())")
            }
        } else if errno != EEXIST {
            throw FileError(path: path, message: "cannot create the folder: \(errnoString())")
        }
        return (try DirectoryHandle(path: path), created)
    }

    /// The path of `name` inside the folder (for messages).
    public func display(_ name: String) -> String { path + "/" + name }

    // MARK: Inspecting

    /// What `name` is, not following a link.
    public func kind(_ name: String) throws -> Kind {
        try DirectoryHandle.check(name, in: self)
        var st = stat()
        guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return .missing }
            throw FileError(path: display(name), message: "cannot stat: \(errnoString())")
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other(RegularFile.describeType(st.st_mode))
        }
    }

    /// The folder's entry names (without `.` and `..`), unsorted.
    public func names() throws -> [String] {
        let dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dup >= 0, let dir = fdopendir(dup) else {
            if dup >= 0 { close(dup) }
            throw FileError(path: path, message: "cannot list the folder: \(errnoString())")
        }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) { String(cString: $0) }
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }

    /// The target of the symlink `name`, nil when `name` is missing or not a symlink.
    public func linkTarget(_ name: String) -> String? {
        guard (try? DirectoryHandle.check(name, in: self)) != nil else { return nil }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlinkat(fd, name, &buf, buf.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Files

    /// Opens the regular file `name` (`flags` among O_RDONLY, O_RDWR, O_CREAT; O_NOFOLLOW,
    /// O_NONBLOCK and O_CLOEXEC are added). Refuses a link or anything but a regular file; the
    /// caller closes the descriptor.
    public func openFile(_ name: String, flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        try DirectoryHandle.check(name, in: self)
        // Not even opened when it is already known to be something else (opening some devices
        // has effects); the fstat below closes the window between this check and the open.
        switch try kind(name) {
        case .missing, .file: break
        case .symlink: throw FileError(path: display(name), message: "is a symbolic link; refusing to follow it")
        case .directory: throw FileError(path: display(name), message: "is a directory, expected a regular file")
        case .other(let what): throw FileError(path: display(name), message: "is \(what), expected a regular file")
        }
        var f: Int32
        repeat { f = openat(fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode) } while f < 0 && errno == EINTR
        guard f >= 0 else {
            if errno == ELOOP || errno == EMLINK {
                throw FileError(path: display(name), message: "is a symbolic link; refusing to follow it")
            }
            throw FileError(path: display(name), message: "cannot open: \(errnoString())")
        }
        var st = stat()
        guard fstat(f, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            let what = RegularFile.describeType(st.st_mode)
            close(f)
            throw FileError(path: display(name), message: "is \(what), expected a regular file")
        }
        let fl = fcntl(f, F_GETFL)
        if fl >= 0 { _ = fcntl(f, F_SETFL, fl & ~O_NONBLOCK) }
        return f
    }

    /// Reads the regular file `name` (not through a link), at most `maxBytes`.
    public func read(_ name: String, maxBytes: Int = Int.max) throws -> [UInt8] {
        let f = try openFile(name, flags: O_RDONLY)
        defer { close(f) }
        return try RegularFile.read(fd: f, path: display(name), maxBytes: maxBytes)
    }

    /// Writes `bytes` to `name` atomically (temporary entry, fsync, rename or link, folder
    /// fsync). With `replace: false` an existing entry of that name is never touched: the
    /// write fails with "exists" instead.
    public func writeAtomically(_ bytes: [UInt8], to name: String, replace: Bool = true) throws {
        try DirectoryHandle.check(name, in: self)
        let tmp = ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let f = try openFile(tmp, flags: O_WRONLY | O_CREAT | O_EXCL)
        var ok = false
        defer {
            if !ok { unlinkat(fd, tmp, 0) }
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return write(f, base + written, raw.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let msg = errnoString()
                close(f)
                throw FileError(path: display(name), message: "write failed: \(msg)")
            }
            written += n
        }
        if fsync(f) != 0 { let msg = errnoString(); close(f); throw FileError(path: display(name), message: "fsync failed: \(msg)") }
        close(f)
        try commit(tmp, to: name, replace: replace)
        ok = true
    }

    /// Moves the entry `tmp` to `name`: renamed over it (`replace`), or linked to it only when
    /// `name` is free and then `tmp` removed; the folder is fsynced after.
    public func commit(_ tmp: String, to name: String, replace: Bool) throws {
        try DirectoryHandle.check(tmp, in: self)
        try DirectoryHandle.check(name, in: self)
        if replace {
            guard renameat(fd, tmp, fd, name) == 0 else { throw FileError(path: display(name), message: "rename failed: \(errnoString())") }
        } else {
            guard linkat(fd, tmp, fd, name, 0) == 0 else {
                if errno == EEXIST { throw FileError(path: display(name), message: "exists already; refusing to overwrite it") }
                throw FileError(path: display(name), message: "cannot link the new file: \(errnoString())")
            }
            unlinkat(fd, tmp, 0)
        }
        sync()
    }

    // MARK: Links, removal, sub-folders

    /// Points the symlink `name` at `target` atomically (a new link renamed over the entry).
    public func replaceSymlink(_ name: String, target: String) throws {
        try DirectoryHandle.check(name, in: self)
        let tmp = ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard symlinkat(target, fd, tmp) == 0 else { throw FileError(path: display(tmp), message: "cannot create a symlink: \(errnoString())") }
        guard renameat(fd, tmp, fd, name) == 0 else {
            let msg = errnoString()
            unlinkat(fd, tmp, 0)
            throw FileError(path: display(name), message: "cannot replace it: \(msg)")
        }
        sync()
    }

    /// Removes the entry `name` (a file or a link, never a link's target); false when it could
    /// not be removed (missing included).
    @discardableResult
    public func remove(_ name: String) -> Bool {
        guard (try? DirectoryHandle.check(name, in: self)) != nil else { return false }
        return unlinkat(fd, name, 0) == 0
    }

    /// Opens the sub-folder `name` (not through a link), creating it when `create` is set.
    public func subfolder(_ name: String, create: Bool) throws -> DirectoryHandle {
        try DirectoryHandle.check(name, in: self)
        if create, mkdirat(fd, name, 0o755) != 0, errno != EEXIST {
            throw FileError(path: display(name), message: "cannot create the folder: \(errnoString())")
        }
        let f = try DirectoryHandle.openDirectory(fd, name, display: display(name))
        return DirectoryHandle(path: display(name), fd: f)
    }

    /// Deletes the sub-folder `name` and everything in it without following links; a link or
    /// file of that name is just removed. Missing is fine.
    public func removeTree(_ name: String) throws {
        switch try kind(name) {
        case .missing: return
        case .directory:
            let sub = try subfolder(name, create: false)
            for entry in try sub.names() { try sub.removeTree(entry) }
            guard unlinkat(fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
                throw FileError(path: display(name), message: "cannot remove the folder: \(errnoString())")
            }
        default:
            guard unlinkat(fd, name, 0) == 0 || errno == ENOENT else {
                throw FileError(path: display(name), message: "cannot remove: \(errnoString())")
            }
        }
    }

    /// Flushes the folder's entries to disk (after renames and removals).
    public func sync() { _ = fsync(fd) }

    // MARK: Helpers

    static func check(_ name: String, in dir: DirectoryHandle) throws {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.utf8.contains(0) else {
            throw FileError(path: dir.path, message: "'\(name)' is not a single file name")
        }
    }

    static func openDirectory(_ at: Int32, _ name: String, display: String, followLink: Bool = false) throws -> Int32 {
        var f: Int32
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followLink ? 0 : O_NOFOLLOW)
        repeat { f = openat(at, name, flags) } while f < 0 && errno == EINTR
        guard f >= 0 else {
            let err = errno
            var st = stat()
            if lstat(at == AT_FDCWD ? name : display, &st) == 0 {
                let type = st.st_mode & S_IFMT
                if type == S_IFLNK { throw FileError(path: display, message: "is a symbolic link; refusing to follow it") }
                if type != S_IFDIR { throw FileError(path: display, message: "is \(RegularFile.describeType(st.st_mode)), expected a folder") }
            }
            throw FileError(path: display, message: "cannot open the folder: \(String(cString: strerror(err)))")
        }
        return f
    }

    static func parentPath(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return "." }
        return slash == p.startIndex ? "/" : String(p[..<slash])
    }
}

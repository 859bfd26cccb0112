import Foundation
import Forecast
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive inter-process lock on a registry folder: `flock` on `retrain.lock`, whose
/// content names the holder (`pid run-id started-at`).
///
/// The kernel releases an `flock` when its process dies, whatever the cause (SIGKILL
/// included), so a dead run's lock is never in the way; the file's leftover content then only
/// tells the next run whom it took over from (``staleOwner``). While a live process holds the
/// lock, ``acquire(path:runID:)`` fails at once with ``RetrainError/lockHeld(_:)`` naming it.
/// The lock file is never deleted (deleting it would let two processes lock two different
/// files). Use a local file system: `flock` over NFS is not reliable.
///
/// The lock file is opened relative to the registry folder with `O_NOFOLLOW | O_NONBLOCK`:
/// a symlink planted as `retrain.lock` is refused (never truncated or written through), and
/// so is a FIFO, device or folder (the open cannot block, `fstat` then refuses it).
public final class RegistryLock: @unchecked Sendable {
    public let path: String
    private var fd: Int32
    /// The content left by a previous holder that died without releasing (its pid was not
    /// running any more), e.g. `"12345 20250101T020000Z-1a2b3c4d 2025-01-01T02:00:00Z"`.
    public let staleOwner: String?

    private init(path: String, fd: Int32, staleOwner: String?) {
        self.path = path; self.fd = fd; self.staleOwner = staleOwner
    }

    /// Takes the lock `path` (its folder opened without following a link) or throws
    /// ``RetrainError/lockHeld(_:)`` at once (no waiting).
    public static func acquire(path: String, runID: String) throws -> RegistryLock {
        let dir: DirectoryHandle
        do { dir = try DirectoryHandle(path: (path as NSString).deletingLastPathComponent) } catch {
            throw RetrainError.registry("\(path): cannot open the lock file's folder: \(error)")
        }
        return try acquire(in: dir, name: (path as NSString).lastPathComponent, runID: runID)
    }

    /// Takes the lock file `name` of the folder `dir` or throws ``RetrainError/lockHeld(_:)`` at
    /// once (no waiting).
    public static func acquire(in dir: DirectoryHandle, name: String, runID: String) throws -> RegistryLock {
        let path = dir.display(name)
        let fd: Int32
        do { fd = try dir.openFile(name, flags: O_RDWR | O_CREAT) } catch let e as FileError {
            throw RetrainError.registry("\(path): cannot open the lock file: \(e.message)")
        }
        var rc: Int32
        repeat { rc = flock(fd, LOCK_EX | LOCK_NB) } while rc != 0 && errno == EINTR
        if rc != 0 {
            let err = errno
            let owner = readContent(fd)
            close(fd)
            if err == EWOULDBLOCK {
                throw RetrainError.lockHeld("\(path): another retrain run holds the lock\(describe(owner)); try again when it has finished")
            }
            throw RetrainError.registry("\(path): cannot lock: \(String(cString: strerror(err)))")
        }
        let previous = readContent(fd)
        var stale: String? = nil
        if let previous, !previous.isEmpty {
            // We hold the lock, so its last holder is gone; it died without clearing the file.
            stale = previous
        }
        let stamp = ISO8601DateFormatter().string(from: Date())
        let line = "\(getpid()) \(runID) \(stamp)\n"
        _ = ftruncate(fd, 0)
        _ = line.withCString { pwrite(fd, $0, strlen($0), 0) }
        _ = fsync(fd)
        return RegistryLock(path: path, fd: fd, staleOwner: stale)
    }

    /// Clears the owner line and releases the lock (also done by the kernel at exit).
    public func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        _ = flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }

    /// The pid of an owner line, when it parses.
    static func pid(of owner: String) -> Int32? {
        owner.split(separator: " ").first.flatMap { Int32($0) }
    }

    /// True when a process with this pid exists.
    static func isRunning(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    private static func describe(_ owner: String?) -> String {
        guard let owner, !owner.isEmpty else { return "" }
        let parts = owner.split(separator: " ").map(String.init)
        var s = " (pid \(parts.first ?? "?")"
        if parts.count > 1 { s += ", run \(parts[1])" }
        if parts.count > 2 { s += ", since \(parts[2])" }
        return s + ")"
    }

    private static func readContent(_ fd: Int32) -> String? {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 256, 0) }
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ForecastCore

/// Where the reader's bytes come from: a file read in blocks, or bytes in memory.
final class ByteSource {
    private var fd: Int32 = -1
    private var memory: [UInt8] = []
    private var position = 0
    let name: String
    /// Total size when known (regular files and memory).
    private(set) var size: Int?
    private(set) var bytesRead = 0

    /// Opens `path`, which must be a regular file (FIFOs, devices, sockets and folders are
    /// refused without blocking: ``RegularFile``).
    init(path: String, name: String) throws {
        self.name = name
        do {
            let (fd, size) = try RegularFile.open(path)
            self.fd = fd
            self.size = size
        } catch let e as FileError {
            throw DataError.io(file: name, reason: e.message)
        }
    }

    init(bytes: [UInt8], name: String) {
        self.name = name
        memory = bytes
        size = bytes.count
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends up to `count` bytes to `buffer`; returns how many were added (0 at the end).
    func read(into buffer: inout [UInt8], count: Int) throws -> Int {
        guard count > 0 else { return 0 }
        if fd < 0 {
            let n = min(count, memory.count - position)
            buffer.append(contentsOf: memory[position..<(position + n)])
            position += n
            bytesRead += n
            return n
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        var got = 0
        var failure: Int32 = 0
        buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            while got < count {
                let n = Glibc.read(fd, base + old + got, count - got)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                if n == 0 { return }
                got += n
            }
        }
        buffer.removeLast(count - got)
        if failure != 0 { throw DataError.io(file: name, reason: "read failed: \(String(cString: strerror(failure)))") }
        bytesRead += got
        return got
    }
}

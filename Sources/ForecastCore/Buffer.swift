/// A fixed-size, 64-byte-aligned, zero-initialised Float32 scratch buffer.
///
/// Workspaces hold these so that forward and backward passes allocate once per
/// (batch, length) and never inside time loops. Not thread-safe: one owner at a time.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        let n = max(count, 1)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64).bindMemory(to: Float.self, capacity: n)
        pointer.initialize(repeating: 0, count: n)
    }

    deinit { pointer.deallocate() }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// Copies a batch-first `[B, T, F]` block into time-major `[T, B, F]` (or back with `inverse`).
@inline(__always)
public func transposeBatchTime(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, batch B: Int, time T: Int, features F: Int, inverse: Bool = false) {
    for b in 0..<B {
        for t in 0..<T {
            let bt = (b * T + t) * F, tb = (t * B + b) * F
            if inverse { (dst + bt).update(from: src + tb, count: F) } else { (dst + tb).update(from: src + bt, count: F) }
        }
    }
}

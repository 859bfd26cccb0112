/// The names, shapes and offsets of a model's parameters inside one flat buffer.
///
/// Entries keep their insertion order (the order PyTorch's `state_dict` uses), and each entry
/// starts on a 16-float (64-byte) boundary so vector loops never straddle two tensors.
public struct ParameterLayout: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let shape: Shape
        /// Offset of the first element, in floats, from the start of the store.
        public let offset: Int
        public var count: Int { shape.count }
    }

    public private(set) var entries: [Entry] = []
    /// Total floats in the buffer, padding included.
    public private(set) var count: Int = 0
    private var index: [String: Int] = [:]

    public init() {}

    /// Appends a tensor named `name` of `shape`; returns its offset in floats.
    /// Names must be unique.
    @discardableResult
    public mutating func add(_ name: String, _ shape: Shape) -> Int {
        precondition(index[name] == nil, "duplicate parameter name \(name)")
        let offset = (count + 15) & ~15
        entries.append(Entry(name: name, shape: shape, offset: offset))
        index[name] = entries.count - 1
        count = offset + shape.count
        return offset
    }

    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Number of trainable scalars (padding excluded).
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.count } }
}

/// All of a model's parameters (or gradients, or optimizer moments) in one contiguous,
/// 64-byte-aligned allocation with named views.
///
/// A gradient store has the same layout as its parameter store, so optimizers, gradient
/// clipping and the data-parallel gradient sum work on one flat buffer of `layout.count` floats.
/// A store is a reference type with manual memory; it is `Sendable` because the toolkit only
/// writes to a store from one thread at a time (each worker owns its own gradient store).
public final class ParameterStore: @unchecked Sendable {
    public let layout: ParameterLayout
    /// The first float of the buffer.
    public let base: UnsafeMutablePointer<Float>
    /// Bumped by every change made through this API or by an optimizer (``markModified()``),
    /// so caches derived from the values (transposed weights for inference) know when to
    /// refresh. Code that writes through `base` directly must call ``markModified()``.
    public private(set) var generation: Int = 0
    /// A random identity, never reused (unlike an address), for cache keys.
    public let identity = UInt64.random(in: 1...UInt64.max)

    /// Records that the values changed.
    public func markModified() { generation &+= 1 }

    /// A zero-filled store with `layout`.
    public init(layout: ParameterLayout) {
        self.layout = layout
        let n = max(layout.count, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: n * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: n)
        base.initialize(repeating: 0, count: n)
    }

    deinit { base.deallocate() }

    /// The whole buffer, padding included (padding stays zero).
    public var flat: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: layout.count) }

    /// The elements of the tensor named `name`, or nil when the layout has no such name.
    public func view(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        guard let e = layout.entry(name) else { return nil }
        return UnsafeMutableBufferPointer(start: base + e.offset, count: e.count)
    }

    /// A copy of the tensor named `name`.
    public func tensor(_ name: String) -> Tensor? {
        guard let e = layout.entry(name) else { return nil }
        return Tensor(unchecked: e.shape, Array(UnsafeBufferPointer(start: base + e.offset, count: e.count)))
    }

    /// Every tensor in layout order.
    public func namedTensors() -> [(name: String, tensor: Tensor)] {
        layout.entries.map { e in (e.name, Tensor(unchecked: e.shape, Array(UnsafeBufferPointer(start: base + e.offset, count: e.count)))) }
    }

    public enum AssignError: Error, CustomStringConvertible {
        case unknownName(String)
        case shapeMismatch(name: String, expected: Shape, got: Shape)
        public var description: String {
            switch self {
            case .unknownName(let n): return "no parameter named '\(n)'"
            case .shapeMismatch(let n, let e, let g): return "parameter '\(n)' has shape \(e), got \(g)"
            }
        }
    }

    /// Copies `tensor` into the parameter named `name`; shapes must match exactly.
    public func assign(_ name: String, _ tensor: Tensor) throws {
        guard let e = layout.entry(name) else { throw AssignError.unknownName(name) }
        guard e.shape == tensor.shape else { throw AssignError.shapeMismatch(name: name, expected: e.shape, got: tensor.shape) }
        tensor.scalars.withUnsafeBufferPointer { src in
            (base + e.offset).update(from: src.baseAddress!, count: e.count)
        }
        markModified()
    }

    /// Sets every element (padding included) to zero.
    public func zero() { base.update(repeating: 0, count: layout.count); markModified() }

    /// Copies all values from `other`, which must have the same layout.
    public func copy(from other: ParameterStore) {
        precondition(other.layout.count == layout.count, "layout mismatch")
        base.update(from: other.base, count: layout.count)
        markModified()
    }

    /// `self += other`, elementwise over the flat buffer.
    public func add(_ other: ParameterStore) {
        precondition(other.layout.count == layout.count, "layout mismatch")
        let a = base, b = other.base
        for i in 0..<layout.count { a[i] += b[i] }
        markModified()
    }

    /// `self = stores[0] + stores[1] + ...`, added in that order for every element, so the
    /// bits do not depend on `threads`, which only splits the buffer into ranges.
    public func setSum(of stores: [ParameterStore], threads: Int = 1) {
        precondition(!stores.isEmpty && stores.allSatisfy { $0.layout.count == layout.count }, "layout mismatch")
        let n = layout.count, out = base
        let sources = stores.map { UnsafePointer($0.base) }
        let parts = n >= 16_384 ? max(1, threads) : 1
        WorkerPool.forEach(parts, threads: parts) { part in
            let r = WorkerPool.chunk(part, of: parts, count: n)
            let first = sources[0]
            for i in r { out[i] = first[i] }
            for s in sources.dropFirst() {
                for i in r { out[i] += s[i] }
            }
        }
        markModified()
    }

    /// A new store with the same layout and a copy of the values.
    public func clone() -> ParameterStore {
        let s = ParameterStore(layout: layout)
        s.copy(from: self)
        return s
    }

    /// The raw little-endian bytes of all tensors, in layout order without padding
    /// (what the model file stores and checksums).
    public func tensorBytes() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(layout.parameterCount * 4)
        for e in layout.entries {
            let buf = UnsafeRawBufferPointer(start: base + e.offset, count: e.count * 4)
            out.append(contentsOf: buf)
        }
        return out
    }
}

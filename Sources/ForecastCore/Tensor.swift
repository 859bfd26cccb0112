/// A dense Float32 tensor: a shape and its row-major elements.
///
/// `Tensor` is a value type (copy on write through `Array`), used at API boundaries:
/// model inputs and outputs, file contents. Hot loops work on raw buffers instead.
public struct Tensor: Equatable, Sendable {
    public var shape: Shape
    public var scalars: [Float]

    /// A tensor of `shape` filled with `value`.
    public init(shape: Shape, repeating value: Float = 0) {
        self.shape = shape
        self.scalars = [Float](repeating: value, count: shape.count)
    }

    /// A tensor of `shape` holding `scalars` (row-major). Returns nil when the counts differ.
    public init?(shape: Shape, scalars: [Float]) {
        guard shape.count == scalars.count else { return nil }
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor whose shape and element count are known to agree (internal use).
    @usableFromInline
    init(unchecked shape: Shape, _ scalars: [Float]) {
        self.shape = shape
        self.scalars = scalars
    }

    public var count: Int { scalars.count }

    /// The same elements under another shape of equal element count, or nil.
    public func reshaped(_ newShape: Shape) -> Tensor? {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Largest absolute elementwise difference; `.infinity` when the shapes differ.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        guard shape == other.shape else { return .infinity }
        var m: Float = 0
        for i in 0..<scalars.count { m = max(m, abs(scalars[i] - other.scalars[i])) }
        return m
    }
}

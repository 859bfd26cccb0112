/// The dimensions of a dense, row-major tensor, outermost first.
///
/// Sequences are batch-first `[B, T, F]`; grids are `[B, T, C, H, W]`.
public struct Shape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { self.dims = elements }

    /// Number of elements: the product of the dimensions (1 for a scalar shape `[]`).
    public var count: Int { dims.reduce(1, *) }
    public var rank: Int { dims.count }
    public subscript(i: Int) -> Int { dims[i] }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}

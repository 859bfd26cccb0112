/// A fixed subset of other samples: sample k is `base`'s sample `indices[k]`.
///
/// Used for a fixed, seeded validation sample when a set is too large to score every epoch
/// (``SampledSamples/seeded(_:count:seed:)``).
public struct SampledSamples<Base: TrainingSamples>: TrainingSamples {
    public let base: Base
    public let indices: [Int]

    public init(_ base: Base, indices: [Int]) {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < base.count }, "sample index out of range")
        self.base = base; self.indices = indices
    }

    /// `count` distinct samples of `base` drawn uniformly without replacement with
    /// `SeededGenerator(seed)` (``drawDistinct(_:of:_:)``),
    /// then sorted so they are read in the set's order. All of `base` when `count >= base.count`.
    public static func seeded(_ base: Base, count: Int, seed: UInt64) -> SampledSamples {
        let n = base.count
        guard count < n else { return SampledSamples(base, indices: Array(0..<n)) }
        var rng = SeededGenerator(seed: seed)
        let picked = drawDistinct(count, of: n, &rng)
        return SampledSamples(base, indices: picked.sorted())
    }

    public var count: Int { indices.count }
    public var inputCount: Int { base.inputCount }
    public var targetCount: Int { base.targetCount }

    public func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        base.gather(indices.lazy.map { self.indices[$0] }, input: input, target: target)
    }
}

/// `k` distinct indices of 0..<n, uniformly at random and in random order: the first k steps of
/// a Fisher–Yates shuffle, with the swaps kept in a dictionary so memory is O(k) however large
/// n is (47M windows cost nothing until drawn).
func drawDistinct(_ k: Int, of n: Int, _ rng: inout SeededGenerator) -> [Int] {
    precondition(k <= n, "cannot draw \(k) distinct of \(n)")
    var swapped: [Int: Int] = [:]
    swapped.reserveCapacity(2 * k)
    var out: [Int] = []
    out.reserveCapacity(k)
    for i in 0..<k {
        let j = i + Int(rng.next() % UInt64(n - i))
        let vj = swapped[j] ?? j, vi = swapped[i] ?? i
        swapped[j] = vi
        out.append(vj)
    }
    return out
}

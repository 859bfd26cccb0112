import Foundation

/// What a safetensors header may declare before any tensor is read, so that no value from a
/// file can overflow arithmetic, trap or ask for an absurd allocation:
///
///     header             at most 16 MiB of JSON
///     rank               at most 8 dimensions
///     each dimension     an integer in 0 ... 2^31 (a JSON number with no fraction)
///     elements           at most 2^31 per tensor (the product of the non-zero dimensions,
///                        computed with overflow checks)
///     offsets            integers in 0 ... 2^53
///
/// Tensors must also fit the file (`data_offsets` inside the data section and exactly
/// `elements × dtype size` bytes long), which ``SafeTensorsFile/decode(_:path:)`` checks.
public enum TensorBounds {
    public static let maxHeaderBytes = 16 << 20
    public static let maxRank = 8
    public static let maxDimension = 1 << 31
    public static let maxElements = 1 << 31

    /// A JSON number that is a whole number in `0 ... 2^53`, else nil (fractions, negatives,
    /// strings, NaN and huge values are all nil).
    public static func integer(_ value: Any) -> Int? {
        guard let n = value as? NSNumber else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d >= 0, d <= 9_007_199_254_740_992, d == d.rounded(.towardZero) else { return nil }
        return Int(exactly: d)
    }

    /// The dimensions of a `shape` array, or nil when it breaks a bound above.
    public static func shape(_ dims: [Any]) -> [Int]? {
        guard dims.count <= maxRank else { return nil }
        var out: [Int] = []
        var product = 1
        for v in dims {
            guard let d = integer(v), d <= maxDimension else { return nil }
            out.append(d)
            if d == 0 { continue }
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxElements else { return nil }
            product = p
        }
        return out
    }
}

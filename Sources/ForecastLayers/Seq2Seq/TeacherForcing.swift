#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scheduled sampling (Bengio et al. 2015): during training each decoder step k ≥ 1 is fed the
/// true previous value (teacher forcing) or, with probability `p(epoch)`, the model's own
/// forecast of the previous step. `p` rises per epoch on one of these schedules; at inference
/// the decoder always runs free (p = 1).
public enum TeacherForcingSchedule: Codable, Sendable, Equatable, CustomStringConvertible {
    /// p stays at `probability` (0: pure teacher forcing, 1: free running while training).
    case constant(probability: Float)
    /// p rises linearly from 0 at epoch 0 to `maximum` at epoch `epochs`, then stays.
    case linear(maximum: Float, epochs: Int)
    /// Bengio et al.'s inverse sigmoid decay of the teacher-forcing probability:
    /// p = 1 - k / (k + exp(epoch / k)), k ≥ 1 (larger k: slower rise).
    case inverseSigmoid(k: Float)

    /// The default of `forecast train --model seq2seq`: linear to 0.5 over 10 epochs.
    public static let standard = TeacherForcingSchedule.linear(maximum: 0.5, epochs: 10)

    /// The probability of feeding the model's own forecast in epoch `epoch` (from 0).
    public func samplingProbability(epoch: Int) -> Float {
        switch self {
        case .constant(let p):
            return min(1, max(0, p))
        case .linear(let pMax, let n):
            let f = n <= 0 ? 1 : min(1, Float(epoch) / Float(n))
            return min(1, max(0, pMax * f))
        case .inverseSigmoid(let k):
            let kk = max(1, k)
            return 1 - kk / (kk + expf(Float(epoch) / kk))
        }
    }

    /// Parses `teacher` (always the true value), `free` (always the model's own), `constant:P`,
    /// `linear` / `linear:MAX` / `linear:MAX:EPOCHS`, `inverse-sigmoid` / `inverse-sigmoid:K`.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: ":").map(String.init)
        guard let name = parts.first else { return nil }
        let args = parts.dropFirst().map { Float($0) }
        if args.contains(where: { $0 == nil || !$0!.isFinite }) { return nil }
        let a = args.map { $0! }
        switch name {
        case "teacher", "always", "none", "off":
            guard a.isEmpty else { return nil }
            self = .constant(probability: 0)
        case "free", "free-running":
            guard a.isEmpty else { return nil }
            self = .constant(probability: 1)
        case "constant":
            guard a.count == 1, (0...1).contains(a[0]) else { return nil }
            self = .constant(probability: a[0])
        case "linear":
            guard a.count <= 2 else { return nil }
            let pMax = a.first ?? 0.5, n = a.count > 1 ? a[1] : 10
            guard (0...1).contains(pMax), n >= 1, n <= 1_000_000, n == n.rounded() else { return nil }
            self = .linear(maximum: pMax, epochs: Int(n))
        case "inverse-sigmoid", "inverse_sigmoid", "sigmoid":
            guard a.count <= 1 else { return nil }
            let k = a.first ?? 5
            guard k >= 1, k <= 1_000_000 else { return nil }
            self = .inverseSigmoid(k: k)
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .constant(let p): return p == 0 ? "teacher" : (p == 1 ? "free" : "constant:\(p)")
        case .linear(let m, let n): return "linear:\(m):\(n)"
        case .inverseSigmoid(let k): return "inverse-sigmoid:\(k)"
        }
    }
}

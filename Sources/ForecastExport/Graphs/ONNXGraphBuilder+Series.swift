import Foundation
import Forecast

/// The parts every series model's graph shares with ``Forecaster/predict(_:)``: scaling the
/// raw inputs, level normalisation, and decoding the head's raw outputs into forecasts and
/// intervals in data units (``LevelNormalization``, ``ColumnScaler``, `SeriesOutputs`).
extension ONNXGraphBuilder {
    /// `(x - offset) / scale` per input column of `x [N, T, F]` (identity for calendar inputs,
    /// which are not scaled), exactly ``ColumnScaler/transform(_:)``.
    mutating func scaleInputs(_ x: String, names: [String], scaler: Scaler) -> String {
        let s = names.map { scaler.scaler(for: $0) }
        let offset = constant("input_offset", s.map(\.offset), shape: [names.count])
        let scale = constant("input_scale", s.map(\.scale), shape: [names.count])
        return op("Div", [op("Sub", [x, offset]), scale])
    }

    /// Level normalisation of scaled windows `xs [N, T, F]`: each window's last value of every
    /// target column (targets are the first `P` inputs) is subtracted from that column.
    /// Returns the normalised windows and the levels `[N, 1, P]`.
    mutating func levelNormalize(_ xs: String, lookback T: Int, features F: Int, targets P: Int) -> (x: String, levels: String) {
        let last = op("Slice", [xs, constant("last_start", int64: [Int64(T - 1)]), constant("last_end", int64: [Int64(T)]),
                                constant("time_axis", int64: [1])])                       // [N, 1, F]
        let mask = constant("target_mask", (0..<F).map { $0 < P ? 1 : 0 }, shape: [F])
        let normalized = op("Sub", [xs, op("Mul", [last, mask])])
        let levels = op("Slice", [last, constant("targets_start", int64: [0]), constant("targets_end", int64: [Int64(P)]),
                                  constant("feature_axis", int64: [2])])                  // [N, 1, P]
        return (normalized, levels)
    }

    /// Decodes raw head outputs `raw [N, K*S*P]` (``LossKind`` layout: K blocks of S steps × P
    /// targets) into data units: adds the levels back to the level blocks (all but the Gaussian
    /// log-variance block), inverse-scales the point block into `forecast [N, S, P]`, and for
    /// interval losses bounds `lower`/`upper [N, S, P]` (Gaussian: μ ± 1.2816 σ, the 80%
    /// interval; quantile: the lowest and highest quantile), ordered low to high.
    mutating func decodeOutputs(_ raw: String, loss: LossKind, steps S: Int, targets: [String], scaler: Scaler,
                                levels: String?) -> (forecast: String, lower: String?, upper: String?) {
        let P = targets.count, K = loss.outputsPerTarget
        var blocks = op("Reshape", [raw, constant("shape_NKSP", int64: [-1, Int64(K), Int64(S), Int64(P)])])
        if let levels {
            let levelBlocks: Int
            if case .gaussian = loss { levelBlocks = 1 } else { levelBlocks = K }
            let lv = op("Reshape", [levels, constant("shape_N11P", int64: [-1, 1, 1, Int64(P)])])
            let mask = constant("level_blocks", (0..<K).map { $0 < levelBlocks ? 1 : 0 }, shape: [1, K, 1, 1])
            blocks = op("Add", [blocks, op("Mul", [lv, mask])])
        }
        let s = targets.map { scaler.scaler(for: $0) }
        let scale = constant("target_scale", s.map(\.scale), shape: [P])
        let offset = constant("target_offset", s.map(\.offset), shape: [P])
        func block(_ k: Int) -> String { op("Gather", [blocks, constant("block", int64: [Int64(k)], shape: [])], [ONNXAttribute.int("axis", 1)]) }
        func inverse(_ v: String) -> String { op("Add", [op("Mul", [v, scale]), offset]) }
        let pointBlock = loss.pointIndex(target: 0, targets: S * P) / (S * P)
        let forecast = inverse(block(pointBlock))
        var lo: String?, hi: String?
        switch loss {
        case .gaussian:
            let mu = block(0)
            let sigma = op("Exp", [op("Mul", [block(1), constant("half", [0.5], shape: [])])])
            let d = op("Mul", [constant("z80", [1.2816], shape: []), sigma])
            lo = inverse(op("Sub", [mu, d])); hi = inverse(op("Add", [mu, d]))
        case .quantile(let qs) where qs.count >= 2:
            guard let l = qs.indices.min(by: { qs[$0] < qs[$1] }), let h = qs.indices.max(by: { qs[$0] < qs[$1] }) else { break }
            lo = inverse(block(l)); hi = inverse(block(h))
        default: break
        }
        guard let lo, let hi else { return (forecast, nil, nil) }
        return (forecast, op("Min", [lo, hi]), op("Max", [lo, hi]))
    }
}

import Foundation

/// An SVG heat map of seq2seq attention weights: forecast steps down, input (lookback) steps
/// across, one cell per weight, with the input series drawn above the map on the same x axis
/// so a reader sees *which part of the history* each forecast step looked at.
public enum AttentionHeatmap {
    /// - Parameters:
    ///   - weights: `[horizon][lookback]`, rows summing to 1.
    ///   - inputLabels: `lookback` labels of the input steps (timestamps).
    ///   - outputLabels: `horizon` labels of the forecast steps.
    ///   - history: the target's values over the lookback (drawn above the map), optional.
    ///   - forecast: the forecast values (drawn to the right of the history), optional.
    public static func render(weights: [[Float]], inputLabels: [String], outputLabels: [String], title: String,
                              history: [Float]? = nil, forecast: [Float]? = nil) throws -> String {
        let rows = weights.count
        guard rows > 0, let cols = weights.first?.count, cols > 0, weights.allSatisfy({ $0.count == cols }) else {
            throw DataError.invalidArgument("no attention weights to draw (a model trained with --attention none has none)")
        }
        let left = 150.0, top = 70.0, stripH = history == nil ? 0.0 : 120.0, gap = history == nil ? 0.0 : 18.0
        let cellW = max(4.0, min(16.0, 760.0 / Double(cols))), cellH = max(4.0, min(14.0, 560.0 / Double(rows)))
        let mapW = cellW * Double(cols), mapH = cellH * Double(rows)
        let mapTop = top + stripH + gap
        let width = left + mapW + 160, height = mapTop + mapH + 80
        let maxW = max(weights.flatMap { $0 }.max() ?? 1, 1e-9)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(left))\" y=\"24\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>\n"
        s += "<text x=\"\(f(left))\" y=\"44\" fill=\"#555\">row k: how much forecast step k looked at each input step (rows sum to 1; colour scaled to the largest weight, \(String(format: "%.3f", Double(maxW))))</text>\n"

        // The input series (and forecast) above the map.
        if let history, history.count == cols {
            let values = history + (forecast ?? [])
            let finite = values.filter { $0.isFinite }
            let lo = Double(finite.min() ?? 0), hi = Double(finite.max() ?? 1)
            let span = hi > lo ? hi - lo : 1
            func py(_ v: Float) -> Double { top + stripH - 8 - (Double(v) - lo) / span * (stripH - 16) }
            s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(mapW))\" height=\"\(f(stripH))\" fill=\"#fafafa\" stroke=\"#ddd\"/>\n"
            var path = ""
            for (j, v) in history.enumerated() where v.isFinite {
                path += (path.isEmpty ? "M" : "L") + "\(f(left + (Double(j) + 0.5) * cellW)),\(f(py(v)))"
            }
            s += "<path d=\"\(path)\" fill=\"none\" stroke=\"#2b5d9b\" stroke-width=\"1.6\"/>\n"
            if let forecast, !forecast.isEmpty {
                // Forecast drawn in the right margin, compressed to its width.
                let fx0 = left + mapW + 8, fw = 100.0
                var fp = ""
                for (k, v) in forecast.enumerated() where v.isFinite {
                    let x = fx0 + (forecast.count > 1 ? Double(k) / Double(forecast.count - 1) * fw : 0)
                    fp += (fp.isEmpty ? "M" : "L") + "\(f(x)),\(f(py(v)))"
                }
                s += "<path d=\"\(fp)\" fill=\"none\" stroke=\"#d9534f\" stroke-width=\"1.6\"/>\n"
                s += "<text x=\"\(f(fx0))\" y=\"\(f(top + stripH + 13))\" fill=\"#d9534f\">forecast (next \(forecast.count) steps)</text>\n"
            }
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(top + stripH / 2))\" text-anchor=\"end\" fill=\"#2b5d9b\">input series</text>\n"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(top + 12))\" text-anchor=\"end\" fill=\"#777\">\(String(format: "%.4g", hi))</text>\n"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(top + stripH - 4))\" text-anchor=\"end\" fill=\"#777\">\(String(format: "%.4g", lo))</text>\n"
        }

        // Cells.
        for (k, row) in weights.enumerated() {
            for (j, w) in row.enumerated() {
                let c = color(Double(max(0, w)) / Double(maxW))
                s += "<rect x=\"\(f(left + Double(j) * cellW))\" y=\"\(f(mapTop + Double(k) * cellH))\" width=\"\(f(cellW + 0.3))\" height=\"\(f(cellH + 0.3))\" fill=\"\(c)\"/>\n"
            }
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(mapTop))\" width=\"\(f(mapW))\" height=\"\(f(mapH))\" fill=\"none\" stroke=\"#333\"/>\n"
        // Axes: about 8 labels each way.
        let xEvery = max(1, cols / 8), yEvery = max(1, rows / 12)
        for j in stride(from: 0, to: cols, by: xEvery) where j < inputLabels.count {
            let x = left + (Double(j) + 0.5) * cellW
            s += "<line x1=\"\(f(x))\" y1=\"\(f(mapTop + mapH))\" x2=\"\(f(x))\" y2=\"\(f(mapTop + mapH + 4))\" stroke=\"#333\"/>\n"
            s += "<text x=\"\(f(x))\" y=\"\(f(mapTop + mapH + 16))\" text-anchor=\"middle\">\(escape(short(inputLabels[j])))</text>\n"
        }
        for k in stride(from: 0, to: rows, by: yEvery) where k < outputLabels.count {
            let y = mapTop + (Double(k) + 0.5) * cellH
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 3.5))\" text-anchor=\"end\">\(escape(short(outputLabels[k])))</text>\n"
        }
        s += "<text x=\"\(f(left + mapW / 2))\" y=\"\(f(mapTop + mapH + 38))\" text-anchor=\"middle\" font-size=\"12\">input step (lookback window)</text>\n"
        s += "<text transform=\"translate(16,\(f(mapTop + mapH / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">forecast step</text>\n"
        // Colour bar.
        let barX = left + mapW + 30, barH = min(mapH, 220.0)
        for i in 0..<50 {
            let v = 1 - Double(i) / 49
            s += "<rect x=\"\(f(barX))\" y=\"\(f(mapTop + Double(i) * barH / 50))\" width=\"14\" height=\"\(f(barH / 50 + 0.5))\" fill=\"\(color(v))\"/>\n"
        }
        s += "<rect x=\"\(f(barX))\" y=\"\(f(mapTop))\" width=\"14\" height=\"\(f(barH))\" fill=\"none\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(f(barX + 18))\" y=\"\(f(mapTop + 8))\">\(String(format: "%.3f", Double(maxW)))</text>\n"
        s += "<text x=\"\(f(barX + 18))\" y=\"\(f(mapTop + barH))\">0</text>\n"
        return s + "</svg>\n"
    }

    /// A perceptually ordered ramp (white -> yellow -> orange -> purple -> near black).
    static func color(_ t: Double) -> String {
        let stops: [(Double, (Double, Double, Double))] = [
            (0, (255, 255, 255)), (0.15, (255, 237, 160)), (0.35, (254, 178, 76)),
            (0.6, (240, 59, 32)), (0.8, (128, 0, 100)), (1, (30, 0, 50)),
        ]
        let x = min(1, max(0, t))
        var i = 0
        while i < stops.count - 2 && x > stops[i + 1].0 { i += 1 }
        let (a, ca) = stops[i], (b, cb) = stops[i + 1]
        let u = b > a ? (x - a) / (b - a) : 0
        let r = Int((ca.0 + (cb.0 - ca.0) * u).rounded()), g = Int((ca.1 + (cb.1 - ca.1) * u).rounded()), bl = Int((ca.2 + (cb.2 - ca.2) * u).rounded())
        return String(format: "#%02x%02x%02x", r, g, bl)
    }

    /// "2014-12-30T13:30" -> "12-30 13:30" (labels stay short under the map).
    static func short(_ label: String) -> String {
        guard label.count >= 16, label.dropFirst(4).first == "-", let t = label.firstIndex(of: "T") else { return label }
        let date = label[label.index(label.startIndex, offsetBy: 5)..<t]
        let time = label[label.index(after: t)...].prefix(5)
        return "\(date) \(time)"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    private static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

extension Seq2SeqForecaster {
    /// The attention heat map of series `s`'s forecast past the end of `set`, with the first
    /// target's history over the lookback and the forecast drawn above it.
    public func attentionSVG(_ set: TimeSeriesSet, series s: Int = 0) throws -> String {
        guard spec.model.attention != .none else {
            throw DataError.invalidArgument("this seq2seq model was trained without attention (--attention none): there are no weights to draw")
        }
        guard s >= 0 && s < set.series.count else { throw DataError.invalidArgument("series \(s) does not exist (the file has \(set.series.count))") }
        let prediction = try predict(set)
        let target = spec.window.targets[0]
        var history: [Float]? = nil
        if let c = set.columnIndex(target) {
            let v = set.series[s].values[c]
            var n = v.count
            while n > 0 && v[n - 1].isNaN && v.count - n < spec.window.horizon { n -= 1 }
            if n >= spec.window.lookback { history = Array(v[(n - spec.window.lookback)..<n]) }
        }
        let f = prediction.forecasts[s]
        let key = f.key.map { " — \($0)" } ?? ""
        return try AttentionHeatmap.render(weights: prediction.attention[s], inputLabels: prediction.inputLabels[s], outputLabels: f.labels,
                                           title: "\(target)\(key): \(spec.model.attention.rawValue) attention of the forecast",
                                           history: history, forecast: f.values.map { $0[0] })
    }
}

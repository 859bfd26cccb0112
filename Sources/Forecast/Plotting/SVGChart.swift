import Foundation

/// A small SVG line-chart builder: one or more panels, each with lines, shaded bands, axes,
/// nice ticks and a legend. Enough for forecasts and training curves; no dependencies.
public struct SVGChart {
    public struct Line {
        public var label: String
        public var color: String
        public var x: [Double]
        public var y: [Double]
        public var dashed = false
        public var width = 1.6
        public init(label: String, color: String, x: [Double], y: [Double], dashed: Bool = false, width: Double = 1.6) {
            self.label = label; self.color = color; self.x = x; self.y = y; self.dashed = dashed; self.width = width
        }
    }

    public struct Band {
        public var label: String
        public var color: String
        public var x: [Double]
        public var low: [Double]
        public var high: [Double]
        public init(label: String, color: String, x: [Double], low: [Double], high: [Double]) {
            self.label = label; self.color = color; self.x = x; self.low = low; self.high = high
        }
    }

    public struct Panel {
        public var title: String
        public var xLabel: String
        public var yLabel: String
        public var lines: [Line] = []
        public var bands: [Band] = []
        /// Vertical marker lines (x, label).
        public var markers: [(Double, String)] = []
        /// Formats x tick values (e.g. dates); nil prints numbers.
        public var xFormatter: ((Double) -> String)?
        /// Candidate tick positions (e.g. month starts); nil: evenly spaced nice numbers.
        public var xTicks: [Double]?
        public var logY = false
        public var height = 340.0
        public init(title: String, xLabel: String, yLabel: String) { self.title = title; self.xLabel = xLabel; self.yLabel = yLabel }
    }

    public var width = 960.0
    public var panels: [Panel]

    public init(panels: [Panel]) { self.panels = panels }

    public func render() -> String {
        let total = panels.reduce(0) { $0 + $1.height + 30 } + 10
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(total))\" viewBox=\"0 0 \(Int(width)) \(Int(total))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        var top = 10.0
        for p in panels {
            s += renderPanel(p, top: top)
            top += p.height + 30
        }
        return s + "</svg>\n"
    }

    private func renderPanel(_ p: Panel, top: Double) -> String {
        let left = 80.0, right = width - 20, plotTop = top + 30, bottom = top + p.height - 40
        var xs: [Double] = [], ys: [Double] = []
        for l in p.lines { for (x, y) in zip(l.x, l.y) where y.isFinite && x.isFinite && (!p.logY || y > 0) { xs.append(x); ys.append(y) } }
        for b in p.bands { for i in b.x.indices where b.low[i].isFinite && b.high[i].isFinite { xs.append(b.x[i]); ys.append(b.low[i]); ys.append(b.high[i]) } }
        guard var x0 = xs.min(), var x1 = xs.max(), var y0 = ys.min(), var y1 = ys.max() else { return "" }
        if x0 == x1 { x0 -= 1; x1 += 1 }
        if p.logY { y0 = log10(y0); y1 = log10(y1) }
        if y0 == y1 { y0 -= 1; y1 += 1 }
        let pad = (y1 - y0) * 0.06
        y0 -= pad; y1 += pad
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (right - left) }
        func py(_ y: Double) -> Double {
            let v = p.logY ? log10(max(y, 1e-300)) : y
            return bottom - (v - y0) / (y1 - y0) * (bottom - plotTop)
        }
        var s = "<g>\n"
        s += "<text x=\"\(left)\" y=\"\(top + 18)\" font-size=\"15\" font-weight=\"bold\">\(escape(p.title))</text>\n"
        s += "<rect x=\"\(left)\" y=\"\(plotTop)\" width=\"\(right - left)\" height=\"\(bottom - plotTop)\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n"
        // y ticks
        let yTicks: [Double] = p.logY ? logTicks(y0, y1) : niceTicks(y0, y1, count: 6)
        for t in yTicks {
            let yy = bottom - (t - y0) / (y1 - y0) * (bottom - plotTop)
            s += "<line x1=\"\(left)\" x2=\"\(right)\" y1=\"\(f(yy))\" y2=\"\(f(yy))\" stroke=\"#e4e4e4\"/>\n"
            s += "<text x=\"\(left - 6)\" y=\"\(f(yy + 4))\" text-anchor=\"end\" fill=\"#444\">\(escape(number(p.logY ? pow(10, t) : t)))</text>\n"
        }
        // x ticks
        let xt = (p.xTicks.map { thin($0.filter { $0 >= x0 && $0 <= x1 }, max: 10) }) ?? niceTicks(x0, x1, count: 8)
        for t in xt {
            let xx = px(t)
            s += "<line x1=\"\(f(xx))\" x2=\"\(f(xx))\" y1=\"\(plotTop)\" y2=\"\(bottom)\" stroke=\"#eeeeee\"/>\n"
            s += "<text x=\"\(f(xx))\" y=\"\(f(bottom + 16))\" text-anchor=\"middle\" fill=\"#444\">\(escape(p.xFormatter?(t) ?? number(t)))</text>\n"
        }
        s += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom + 32))\" text-anchor=\"middle\" fill=\"#222\">\(escape(p.xLabel))</text>\n"
        s += "<text transform=\"translate(\(f(left - 58)),\(f((plotTop + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" fill=\"#222\">\(escape(p.yLabel))</text>\n"
        for (x, label) in p.markers where x >= x0 && x <= x1 {
            s += "<line x1=\"\(f(px(x)))\" x2=\"\(f(px(x)))\" y1=\"\(plotTop)\" y2=\"\(bottom)\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n"
            s += "<text x=\"\(f(px(x) + 4))\" y=\"\(f(plotTop + 14))\" fill=\"#666\">\(escape(label))</text>\n"
        }
        for b in p.bands where !b.x.isEmpty {
            let upper = b.x.indices.map { "\(f(px(b.x[$0]))),\(f(py(b.high[$0])))" }
            let lower = b.x.indices.reversed().map { "\(f(px(b.x[$0]))),\(f(py(b.low[$0])))" }
            s += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(b.color)\" fill-opacity=\"0.22\" stroke=\"none\"/>\n"
        }
        for l in p.lines {
            var segments: [[String]] = [[]]
            for (x, y) in zip(l.x, l.y) {
                if y.isFinite && (!p.logY || y > 0) { segments[segments.count - 1].append("\(f(px(x))),\(f(py(y)))") }
                else if !segments[segments.count - 1].isEmpty { segments.append([]) }
            }
            for seg in segments where !seg.isEmpty {
                if seg.count == 1 {
                    let xy = seg[0].split(separator: ",")
                    s += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(l.color)\"/>\n"
                } else {
                    s += "<polyline points=\"\(seg.joined(separator: " "))\" fill=\"none\" stroke=\"\(l.color)\" stroke-width=\"\(l.width)\"\(l.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
                }
            }
        }
        // legend
        var lx = right - 10
        let items: [(String, String, Bool)] = p.lines.map { ($0.label, $0.color, false) } + p.bands.map { ($0.label, $0.color, true) }
        for (label, color, band) in items.reversed() {
            let w = Double(label.count) * 6.6 + 28
            lx -= w
            s += band ? "<rect x=\"\(f(lx))\" y=\"\(top + 9)\" width=\"18\" height=\"10\" fill=\"\(color)\" fill-opacity=\"0.3\"/>\n"
                      : "<line x1=\"\(f(lx))\" x2=\"\(f(lx + 18))\" y1=\"\(top + 14)\" y2=\"\(top + 14)\" stroke=\"\(color)\" stroke-width=\"2.5\"/>\n"
            s += "<text x=\"\(f(lx + 22))\" y=\"\(top + 18)\" fill=\"#222\">\(escape(label))</text>\n"
        }
        return s + "</g>\n"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    private func number(_ v: Double) -> String {
        let a = abs(v)
        if a == 0 { return "0" }
        if a >= 1e6 || a < 1e-3 { return String(format: "%.1e", v) }
        if a >= 100 { return String(format: "%.0f", v) }
        if a >= 1 { return String(format: "%.4g", v) }
        return String(format: "%.3g", v)
    }

    private func thin(_ ticks: [Double], max: Int) -> [Double] {
        guard ticks.count > max else { return ticks }
        let step = Int((Double(ticks.count) / Double(max)).rounded(.up))
        return stride(from: 0, to: ticks.count, by: step).map { ticks[$0] }
    }

    /// 1-2-5 ticks per decade between 10^a and 10^b, as log10 values.
    func logTicks(_ a: Double, _ b: Double) -> [Double] {
        var out: [Double] = []
        for e in Int(floor(a))...Int(ceil(b)) {
            for m in [1.0, 2, 5] {
                let v = log10(m) + Double(e)
                if v >= a && v <= b { out.append(v) }
            }
        }
        return out.count > 8 ? out.filter { abs($0 - $0.rounded()) < 1e-9 } : out
    }

    /// Evenly spaced round numbers covering [a, b].
    func niceTicks(_ a: Double, _ b: Double, count: Int) -> [Double] {
        let raw = (b - a) / Double(max(count, 1))
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t = ceil(a / step) * step
        var out: [Double] = []
        while t <= b + step * 1e-9 && out.count < 50 { out.append(t); t += step }
        return out
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

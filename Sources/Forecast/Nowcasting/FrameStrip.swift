import Foundation

/// Renders rows of rain frames side by side as one SVG image (a "frame strip"): one row per
/// source (observed, model, persistence), one column per lead time, a colour legend in mm/h.
/// Pixels of one colour class are merged into horizontal runs, so a 32x32 frame is a few
/// dozen rectangles rather than a thousand.
public enum FrameStrip {
    public struct Row: Sendable {
        public var label: String
        /// Frames `[columns][H*W]`.
        public var frames: [[Float]]
        public init(label: String, frames: [[Float]]) { self.label = label; self.frames = frames }
    }

    /// Colour classes: lower bound (mm/h) and colour; values below the first bound are background.
    public static let classes: [(Float, String)] = [
        (0.1, "#c6dbef"), (0.5, "#6baed6"), (1, "#2171b5"), (2, "#41ab5d"), (5, "#d9ef3b"),
        (10, "#fdae31"), (20, "#e31a1c"), (40, "#a0148c"),
    ]
    static let background = "#f7f7f7"

    static func colourClass(_ v: Float) -> Int {
        var c = -1
        for (i, (lo, _)) in classes.enumerated() where v >= lo { c = i }
        return c
    }

    /// The SVG text. `cell` is the size of one grid pixel in SVG units (default: frames of
    /// about 128 units, at least 1 per pixel).
    public static func svg(rows: [Row], height H: Int, width W: Int, columnLabels: [String], title: String, cell: Int? = nil) -> String {
        let cell = cell ?? max(1, min(8, 128 / max(H, W, 1)))
        let columns = rows.map(\.frames.count).max() ?? 0
        let labelWidth = 110, gap = 6, top = 44, rowGap = 8
        let fw = W * cell, fh = H * cell
        let legendHeight = 40
        let totalW = labelWidth + columns * (fw + gap) + 10
        let totalH = top + rows.count * (fh + rowGap) + legendHeight
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(totalW)" height="\(totalH)" viewBox="0 0 \(totalW) \(totalH)" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="\(totalW)" height="\(totalH)" fill="white"/>
        <text x="10" y="18" font-size="14" font-weight="bold">\(escape(title))</text>

        """
        for (c, label) in columnLabels.prefix(columns).enumerated() {
            s += "<text x=\(quote(labelWidth + c * (fw + gap) + fw / 2)) y=\"38\" text-anchor=\"middle\">\(escape(label))</text>\n"
        }
        for (r, row) in rows.enumerated() {
            let y0 = top + r * (fh + rowGap)
            s += "<text x=\"10\" y=\(quote(y0 + fh / 2 + 4))>\(escape(row.label))</text>\n"
            for (c, frame) in row.frames.enumerated() {
                let x0 = labelWidth + c * (fw + gap)
                s += "<g transform=\"translate(\(x0),\(y0))\"><rect width=\"\(fw)\" height=\"\(fh)\" fill=\"\(background)\" stroke=\"#999\" stroke-width=\"0.5\"/>"
                for y in 0..<H {
                    var x = 0
                    while x < W {
                        let k = frame.count == H * W ? colourClass(frame[y * W + x]) : -1
                        var end = x + 1
                        while end < W, colourClass(frame[y * W + end]) == k { end += 1 }
                        if k >= 0 {
                            s += "<rect x=\"\(x * cell)\" y=\"\(y * cell)\" width=\"\((end - x) * cell)\" height=\"\(cell)\" fill=\"\(classes[k].1)\"/>"
                        }
                        x = end
                    }
                }
                s += "</g>\n"
            }
        }
        // Legend.
        let ly = top + rows.count * (fh + rowGap) + 8
        s += "<text x=\"10\" y=\(quote(ly + 12))>mm/h</text>\n"
        for (i, (lo, colour)) in classes.enumerated() {
            let lx = labelWidth + i * 56
            s += "<rect x=\"\(lx)\" y=\"\(ly)\" width=\"16\" height=\"16\" fill=\"\(colour)\"/><text x=\"\(lx + 20)\" y=\"\(ly + 12)\">≥\(label(lo))</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    static func label(_ v: Float) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
    static func quote(_ v: Int) -> String { "\"\(v)\"" }
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

extension Nowcaster {
    /// An SVG strip for one window of `grid`: observed frames at every lead time, the model's
    /// forecast and persistence. `start` is the window's first input frame (0-based frame
    /// index in the file); by default the window of the test split with the most observed rain
    /// in its forecast frames.
    public func frameStrip(_ grid: GridData, start: Int? = nil, source: String = "the grid") throws -> String {
        let raw = try frames(of: grid, source: source)
        let a = spec.architecture, P = a.height * a.width
        let T = raw.count / P, span = a.inFrames + a.outFrames
        guard T >= span else {
            throw DataError.invalidArgument("\(source): \(T) frames, fewer than in-frames + out-frames = \(span)")
        }
        let s: Int
        if let start {
            guard start >= 0, start + span <= T else {
                throw DataError.invalidArgument("\(source): window start \(start) is outside 0...\(T - span) (frames \(T), window \(span))")
            }
            s = start
        } else {
            var range = spec.split.ranges(frames: T).test
            if range.count < span { range = 0..<T }
            var best = range.lowerBound, bestRain = -1.0
            for w in range.lowerBound...(range.upperBound - span) {
                var rain = 0.0
                for i in ((w + a.inFrames) * P)..<((w + span) * P) { rain += Double(raw[i]) }
                if rain > bestRain { bestRain = rain; best = w }
            }
            s = best
        }
        let x = Array(raw[(s * P)..<((s + a.inFrames) * P)])
        let pred = forecast(x, windows: 1)
        let last = Array(raw[((s + a.inFrames - 1) * P)..<((s + a.inFrames) * P)])
        let observed = (0..<a.outFrames).map { l in Array(raw[((s + a.inFrames + l) * P)..<((s + a.inFrames + l + 1) * P)]) }
        let model = (0..<a.outFrames).map { l in Array(pred[(l * P)..<((l + 1) * P)]) }
        let persistence = [[Float]](repeating: last, count: a.outFrames)
        let minutes = (grid.frequency ?? spec.frequency).flatMap { $0.isCalendar ? nil : Double($0.nominalMillis) / 60_000 }
        let labels = (1...a.outFrames).map { l in minutes.map { "+\(Int((Double(l) * $0).rounded())) min" } ?? "+\(l)" }
        let when = s + a.inFrames - 1 < grid.times.count ? grid.timeFormat.format(grid.times[s + a.inFrames - 1]) : "frame \(s + a.inFrames - 1)"
        return FrameStrip.svg(rows: [.init(label: "observed", frames: observed), .init(label: "ConvLSTM", frames: model),
                                     .init(label: "persistence", frames: persistence)],
                              height: a.height, width: a.width, columnLabels: labels,
                              title: "\(spec.value): forecasts from \(when) (window starting at frame \(s))")
    }
}

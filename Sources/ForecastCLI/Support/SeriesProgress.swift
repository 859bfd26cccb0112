import Foundation

/// A progress bar over series for `forecast predict` on many series, drawn on stderr in the
/// style of ``ProgressReporter``'s training bar (redrawn at most every 0.1 s). Create it only
/// when stderr is a terminal; pipes and logs get no bar.
final class SeriesProgress {
    let total: Int
    private let started = Date().timeIntervalSince1970
    private var lastDraw = 0.0

    init(total: Int) { self.total = total }

    /// `done` of `total` series forecast.
    func update(_ done: Int) {
        let now = Date().timeIntervalSince1970
        if now - lastDraw < 0.1 && done < total { return }
        lastDraw = now
        let width = 24
        let filled = Int(Double(width) * Double(done) / Double(max(total, 1)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = max(now - started, 1e-9)
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? Double(total - done) / rate : 0
        FileHandle.standardError.write(Data("\r\u{1B}[2Kpredict \(bar) \(done)/\(total) series  \(Int(rate)) series/s  ETA \(Output.duration(eta))".utf8))
    }

    /// Clears the bar line.
    func finish() { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
}

import Foundation
import Forecast

/// Turns training events into a progress bar (terminal), plain lines (pipes, logs) or JSON lines.
final class ProgressReporter: @unchecked Sendable {
    enum Style { case bar, lines, json, quiet }
    let style: Style
    private var lastDraw = 0.0
    /// Printed (human styles only) before the first event, so a run that fails before training
    /// starts prints nothing but its error.
    var preamble: String?

    init(json: Bool, quiet: Bool) {
        style = quiet ? .quiet : (json ? .json : (Output.stderrIsTerminal ? .bar : .lines))
    }

    func handle(_ event: TrainingEvent) {
        if let p = preamble, style == .bar || style == .lines {
            Output.note(p)
            preamble = nil
        }
        switch (style, event) {
        case (.quiet, _): return
        case (.json, .batch): return
        case let (.json, .epoch(r, epochs, improved, rate, eta)):
            var obj: [String: Any] = ["event": "epoch", "epoch": r.epoch, "epochs": epochs, "loss": r.trainLoss,
                                      "lr": Double(r.learningRate), "seconds": r.seconds, "samples_per_s": rate, "eta_s": eta, "improved": improved]
            if let v = r.validationLoss { obj["val_loss"] = v }
            Output.json(obj)
        case let (.json, .earlyStop(epoch, best, bestLoss)):
            Output.json(["event": "early_stop", "epoch": epoch, "best_epoch": best, "best_val_loss": bestLoss])
        case let (.json, .checkpoint(path, epoch)):
            Output.json(["event": "checkpoint", "path": path, "epoch": epoch])
        case let (.bar, .batch(epoch, epochs, batch, batches, loss, rate, eta)):
            let now = Date().timeIntervalSince1970
            if now - lastDraw < 0.1 && batch != batches { return }
            lastDraw = now
            let width = 24
            let done = Int(Double(width) * Double(batch) / Double(max(batches, 1)))
            let bar = String(repeating: "█", count: done) + String(repeating: "·", count: width - done)
            FileHandle.standardError.write(Data("\r\u{1B}[2Kepoch \(epoch)/\(epochs) \(bar) loss \(Output.format(loss))  \(Int(rate)) samples/s  ETA \(Output.duration(eta))".utf8))
        case let (.bar, .epoch(r, epochs, improved, rate, eta)):
            FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
            Output.note(line(r, epochs, improved, rate, eta))
        case let (.lines, .epoch(r, epochs, improved, rate, eta)):
            Output.note(line(r, epochs, improved, rate, eta))
        case let (.bar, .earlyStop(epoch, best, bestLoss)), let (.lines, .earlyStop(epoch, best, bestLoss)):
            Output.note("early stop after epoch \(epoch): best validation loss \(Output.format(bestLoss)) at epoch \(best), weights restored")
        default:
            return
        }
    }

    private func line(_ r: EpochRecord, _ epochs: Int, _ improved: Bool, _ rate: Double, _ eta: Double) -> String {
        var s = "epoch \(r.epoch)/\(epochs)  loss \(Output.format(r.trainLoss))"
        if let v = r.validationLoss { s += "  val_loss \(Output.format(v))\(improved ? " *" : "")" }
        s += "  \(Int(rate)) samples/s  ETA \(Output.duration(eta))"
        if r.skippedBatches > 0 { s += "  (\(r.skippedBatches) non-finite batches skipped)" }
        return s
    }
}

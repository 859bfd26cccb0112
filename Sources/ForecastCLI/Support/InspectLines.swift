import Forecast

/// Lines `forecast inspect` prints the same way for every model family.
enum InspectLines {
    /// `windows:      train N, validation N, test N`
    static func windows(train: Int, validation: Int, test: Int) -> String {
        "windows:      train \(train), validation \(validation), test \(test)"
    }

    /// `, on spans of S windows (gradients through K steps before each)` for span training; "" otherwise.
    static func spans(_ training: TrainingConfig) -> String {
        guard let s = training.span, s > 1 else { return "" }
        return ", on spans of \(s) windows" + (training.spanTruncation.map { " (gradients through \($0) steps before each)" } ?? "")
    }

    /// `epochs:       N (best B), last loss L, val_loss V`; nil without history.
    static func epochs(_ history: [EpochRecord], best: Int) -> String? {
        guard let last = history.last else { return nil }
        return "epochs:       \(history.count) (best \(best)), last loss \(Output.format(last.trainLoss))\(last.validationLoss.map { ", val_loss \(Output.format($0))" } ?? "")"
    }

    /// A titled table, indented by two spaces.
    static func table(_ title: String, _ text: String) -> String {
        title + "\n" + text.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
    }
}

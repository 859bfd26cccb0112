import Foundation
import Forecast

/// How a retraining run ended; each outcome has its own process exit code.
public enum RetrainOutcome: String, Codable, Sendable, CaseIterable {
    /// The challenger was promoted: `current` now names the new version (or the first one).
    case promoted
    /// The challenger was saved as a version but the champion stays current.
    case keptChampion = "kept_champion"
    /// Neither the data nor the settings changed since the last version: nothing to do.
    case upToDate = "up_to_date"
    /// The data could not be read or used (bad CSV, missing column, too short).
    case dataError = "data_error"
    /// Training diverged (non-finite loss or gradient, or non-finite holdout metrics).
    case diverged
    /// Another run holds the registry's lock.
    case lockHeld = "lock_held"
    /// The job file is invalid.
    case invalidJob = "invalid_job"
    /// Anything else: the registry cannot be read or written, I/O errors.
    case failed

    /// The exit code of `forecast retrain` (see docs/retraining.md).
    public var exitCode: Int32 {
        switch self {
        case .promoted: return 0
        case .failed: return 1
        case .invalidJob: return 2
        case .keptChampion: return 3
        case .upToDate: return 4
        case .dataError: return 5
        case .diverged: return 6
        case .lockHeld: return 7
        }
    }
}

/// What one run did: written as JSON to `REGISTRY/NAME/last_run.json` (and the job's `report`
/// path), printed by `forecast retrain --json`; ``summary`` is the human version.
public struct RetrainReport: Codable, Sendable, Equatable {
    public var runId: String
    public var job: String
    public var registry: String
    public var model: String
    public var startedAt: String
    public var finishedAt: String
    public var durationSeconds: Double
    public var outcome: RetrainOutcome
    public var exitCode: Int32
    /// One line: the decision and why, or the error.
    public var message: String
    public var data: DataSummary?
    public var training: TrainingSummary?
    public var champion: ModelScore?
    public var challenger: ModelScore?
    public var promotion: RetrainJob.Promotion?
    /// The version `current` names after the run.
    public var current: Int?
    public var pruned: [Int] = []
    /// Repairs of an interrupted run, lock take-overs, data notes.
    public var notes: [String] = []

    public struct DataSummary: Codable, Sendable, Equatable {
        public var source: String
        public var files: [String]
        public var bytes: Int
        public var rowsRead: Int
        public var duplicateRows: Int
        public var rows: Int
        /// Rows more than the data of the newest version had (nil for the first version).
        public var rowsAdded: Int?
        public var series: Int
        public var firstTime: String?
        public var lastTime: String?
        public var sha256: String
        public var holdoutRows: Int?
        /// A grid's size (`32x32`): `rows` then counts its frames. nil for series.
        public var grid: String? = nil
    }

    public struct TrainingSummary: Codable, Sendable, Equatable {
        public var mode: RetrainJob.Mode
        /// Why this mode (e.g. "no champion yet: cold training").
        public var modeReason: String?
        public var parent: Int?
        public var epochs: Int
        public var bestEpoch: Int
        public var resumedFromEpoch: Int?
        public var seconds: Double
    }

    public struct ModelScore: Codable, Sendable, Equatable {
        public var version: Int
        /// The promotion metric on the holdout.
        public var value: Double?
        /// Holdout scores of a series model.
        public var metrics: EvaluationReport?
        /// Holdout scores of a grid model (against persistence).
        public var gridMetrics: NowcastReport? = nil
    }

    /// JSON (sorted keys).
    public func json(pretty: Bool = true) -> String {
        guard let data = try? registryEncoder(pretty: pretty).encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A few lines for people: data read, rows added, epochs, metrics, decision, duration.
    public var summary: String {
        var lines: [String] = []
        lines.append("forecast retrain \(model) (registry \(registry)), run \(runId)")
        if let d = data {
            var s = "data      " + (d.files.isEmpty ? "" : "\(d.files.count) file\(d.files.count == 1 ? "" : "s"), ") + "\(d.rowsRead) rows read"
            if d.duplicateRows > 0 { s += ", \(d.duplicateRows) duplicate\(d.duplicateRows == 1 ? "" : "s") dropped" }
            s += d.grid.map { " -> \(d.rows) frames of \($0)" } ?? " -> \(d.rows) rows in \(d.series) series"
            if let a = d.rowsAdded { s += ", \(a >= 0 ? "+" : "")\(a) since the last version" }
            if let f = d.firstTime, let l = d.lastTime { s += ", \(f) .. \(l)" }
            lines.append(s)
        }
        if let t = training {
            var s = "training  \(t.mode == .warm ? "warm start from \(t.parent.map(ModelRegistry.fileName(version:)) ?? "?")" : "cold"), \(t.epochs) epoch\(t.epochs == 1 ? "" : "s") (best \(t.bestEpoch))"
            if let r = t.resumedFromEpoch { s += ", resumed after epoch \(r)" }
            s += ", \(formatSeconds(t.seconds))"
            if let why = t.modeReason { s += " (\(why))" }
            lines.append(s)
        }
        if let c = challenger, let p = promotion {
            let name = p.metric.rawValue.uppercased()
            var s = "holdout   "
            if let d = data, let h = d.holdoutRows { s += c.gridMetrics != nil ? "last \(h) frames: " : "last \(h) rows per series: " }
            if let ch = champion { s += "champion \(ModelRegistry.fileName(version: ch.version)) \(name) \(formatMetric(ch.value)), " }
            s += "challenger \(ModelRegistry.fileName(version: c.version)) \(name) \(formatMetric(c.value))"
            if let sn = c.metrics?.seasonalNaive { s += " (seasonal naive \(formatMetric(p.metric.value(sn))))" }
            if let g = c.gridMetrics { s += " (persistence MAE \(formatMetric(g.persistence.mae)), model MAE \(formatMetric(g.model.mae)))" }
            lines.append(s)
        }
        let label: String
        switch outcome {
        case .promoted: label = "PROMOTED"
        case .keptChampion: label = "KEPT CHAMPION"
        case .upToDate: label = "UP TO DATE"
        case .dataError: label = "DATA ERROR"
        case .diverged: label = "DIVERGED"
        case .lockHeld: label = "LOCK HELD"
        case .invalidJob: label = "INVALID JOB"
        case .failed: label = "FAILED"
        }
        lines.append("decision  \(label): \(message)")
        var tail = "current   \(current.map(ModelRegistry.fileName(version:)) ?? "none")"
        if !pruned.isEmpty { tail += ", pruned \(pruned.map(ModelRegistry.fileName(version:)).joined(separator: ", "))" }
        lines.append(tail)
        for n in notes { lines.append("note      \(n)") }
        lines.append("took \(formatSeconds(durationSeconds)), exit code \(exitCode) (\(outcome.rawValue))")
        return lines.joined(separator: "\n")
    }
}

func formatMetric(_ v: Double?) -> String {
    guard let v else { return "n/a" }
    if !v.isFinite { return v.isNaN ? "nan" : "inf" }
    return String(format: abs(v) >= 100 ? "%.2f" : "%.4f", v)
}

func formatSeconds(_ s: Double) -> String {
    guard s.isFinite else { return "?" }
    if s < 60 { return String(format: "%.1fs", s) }
    let i = Int(s.rounded())
    return i >= 3600 ? String(format: "%dh%02dm", i / 3600, (i % 3600) / 60) : String(format: "%dm%02ds", i / 60, i % 60)
}

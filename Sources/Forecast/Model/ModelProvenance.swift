import Foundation

/// Where a model came from: the `provenance` section of a model file, one type for every
/// family. It holds what every family records (``ProvenanceCommon``: the build, the data, the
/// training settings and history, the window counts) and the family's own record (``SeriesRecord``,
/// ``Seq2SeqRecord``, ``NowcastRecord``), read and written as the provenance's own fields
/// (`provenance.history`, `provenance.testMetrics`); see ``FamilyRecord``.
///
/// In the file both are one flat JSON object, exactly the layout of the per-family provenance
/// types this replaces: model files of earlier releases load, and a loaded file saves to the
/// same section bytes (tested on Fixtures/models/legacy-*).
public typealias ModelProvenance<Extra: Codable & Sendable & Equatable> = FamilyRecord<ProvenanceCommon, Extra>

extension FamilyRecord where Shared == ProvenanceCommon {
    /// A record made now by this build; `dataSHA256` is `dataFile`'s when it names a readable
    /// file, else empty, and `dataFile` falls back to `source` (the data's name).
    public init(dataFile: String?, source: String, training: TrainingConfig, history: [EpochRecord], bestEpoch: Int,
                trainWindows: Int, validationWindows: Int, testWindows: Int, extra: Own) {
        self.init(shared: ProvenanceCommon(
            forecastVersion: forecastVersion, createdAt: ISO8601DateFormatter().string(from: Date()), dataFile: dataFile ?? source,
            dataSHA256: dataFile.flatMap { try? SHA256.hex(AtomicFile.read($0)) } ?? "", training: training, history: history,
            bestEpoch: bestEpoch, trainWindows: trainWindows, validationWindows: validationWindows, testWindows: testWindows),
                  own: extra)
    }
}

/// The part of a ``ModelProvenance`` every family records.
public struct ProvenanceCommon: Codable, Sendable, Equatable {
    public var forecastVersion: String
    /// ISO 8601, when the model was made.
    public var createdAt: String
    /// The data file trained on (or the data's name), and its SHA-256 (empty when unknown).
    public var dataFile: String
    public var dataSHA256: String
    public var training: TrainingConfig
    /// Every epoch trained, over `fit` and every fine-tune.
    public var history: [EpochRecord]
    /// The epoch whose weights were kept (of the last training).
    public var bestEpoch: Int
    public var trainWindows: Int
    public var validationWindows: Int
    public var testWindows: Int
}

/// The recurrent family's part of its provenance.
public struct SeriesRecord: Codable, Sendable, Equatable {
    /// Rows and series of the data.
    public var rows: Int
    public var series: Int
    /// Test-split metrics at training time (model and baselines), when a test split existed.
    public var testMetrics: EvaluationReport?
    public init(rows: Int, series: Int, testMetrics: EvaluationReport?) {
        self.rows = rows; self.series = series; self.testMetrics = testMetrics
    }
}

/// The seq2seq family's part of its provenance.
public struct Seq2SeqRecord: Codable, Sendable, Equatable {
    public var rows: Int
    public var series: Int
    /// Sampling probability (own forecast fed back) used in each epoch.
    public var samplingProbabilities: [Float]
    /// Wall-clock seconds of the training.
    public var seconds: Double
    public var testMetrics: EvaluationReport?
    public init(rows: Int, series: Int, samplingProbabilities: [Float], seconds: Double, testMetrics: EvaluationReport?) {
        self.rows = rows; self.series = series; self.samplingProbabilities = samplingProbabilities
        self.seconds = seconds; self.testMetrics = testMetrics
    }
}

/// The nowcasting (grid) family's part of its provenance.
public struct NowcastRecord: Codable, Sendable, Equatable {
    /// Frames of the data.
    public var frames: Int
    /// Wall-clock seconds of the training.
    public var trainingSeconds: Double
    /// Test-split scores at training time (model and persistence).
    public var testReport: NowcastReport?
    public init(frames: Int, trainingSeconds: Double, testReport: NowcastReport?) {
        self.frames = frames; self.trainingSeconds = trainingSeconds; self.testReport = testReport
    }
}

/// Where a recurrent model came from.
public typealias Provenance = ModelProvenance<SeriesRecord>
/// Where a seq2seq model came from.
public typealias Seq2SeqProvenance = ModelProvenance<Seq2SeqRecord>
/// Where a nowcasting model came from.
public typealias NowcastProvenance = ModelProvenance<NowcastRecord>

extension ModelArchive {
    /// The model file of a `family` model: its tensors under their PyTorch-style names, the
    /// family key, the spec as the `config` section and the provenance (when known) as
    /// `provenance`. Every family's `save(to:)` writes through this.
    static func model<Spec: Encodable, Extra>(family: ModelFamily, params: ParameterStore, spec: Spec,
                                             provenance: ModelProvenance<Extra>?) throws -> ModelArchive {
        var archive = ModelArchive(kind: .model, tensors: params.namedTensors())
        archive.setFamily(family)
        try archive.setSection("config", spec)
        if let provenance { try archive.setSection("provenance", provenance) }
        return archive
    }
}

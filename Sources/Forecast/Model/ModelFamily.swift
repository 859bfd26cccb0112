import Foundation

/// The model families of the toolkit. Every family trains through the one ``Trainer`` (its
/// network conforms to ``TrainableModel``) and is written to the same model-file format; the
/// file's `family` metadata says which facade reads it.
///
/// | family      | facade                 | network (``TrainableModel``) | data |
/// |-------------|------------------------|------------------------------|------|
/// | `recurrent` | ``Forecaster``         | ``WindowedRegressor``        | series (``TimeSeriesSet``) |
/// | `seq2seq`   | ``Seq2SeqForecaster``  | ``WindowedSeq2Seq``          | series (``TimeSeriesSet``) |
/// | `nowcast`   | ``Nowcaster``          | ``EncoderForecaster``        | grids (``GridData``) |
/// | `autoregressive` | ``AutoregressiveForecaster`` | ``AutoregressiveRegressor`` | series (``TimeSeriesSet``) |
/// | `ensemble`  | ``EnsembleForecaster`` | ``WindowedRegressor`` members + ETS/Theta | series (``TimeSeriesSet``) |
/// | `eshybrid`  | ``ESHybridForecaster`` | ``ESHybridModel``            | series (``TimeSeriesSet``) |
public enum ModelFamily: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// Windowed RNN/LSTM/GRU regressor with a linear head (`forecast train`).
    case recurrent
    /// Encoder–decoder with attention (`forecast train --model seq2seq`).
    case seq2seq
    /// ConvLSTM encoder–forecaster over grids (`forecast train --grid`).
    case nowcast
    /// DeepAR-style autoregressive probabilistic model (`forecast train --model deepar`).
    case autoregressive
    /// Median ensemble of LSTMs and statistical models chosen on validation (`--model auto`).
    case ensemble
    /// Per-series Holt–Winters smoothing learned jointly with a global LSTM (`--model eshybrid`).
    case eshybrid

    public var description: String {
        switch self {
        case .recurrent: return "recurrent regressor"
        case .seq2seq: return "seq2seq with attention"
        case .nowcast: return "ConvLSTM nowcaster (grid)"
        case .autoregressive: return "autoregressive probabilistic (DeepAR)"
        case .ensemble: return "ensemble (LSTM, ES-hybrid, ETS, Theta; median, chosen on validation)"
        case .eshybrid: return "ES-hybrid (per-series Holt-Winters smoothing + global LSTM)"
        }
    }

    /// The family named `name` as job files spell it (any case): `recurrent`, `seq2seq`, and
    /// `grid` (the CLI's `--grid`) or `nowcast` for the ConvLSTM nowcaster.
    public init?(name: String) {
        switch name.lowercased() {
        case "recurrent": self = .recurrent
        case "seq2seq": self = .seq2seq
        case "grid", "nowcast": self = .nowcast
        default: return nil
        }
    }

    /// The names ``init(name:)`` accepts, for error messages.
    public static let acceptedNames = "recurrent, seq2seq or grid"

    /// The metadata key of the discriminator in a model file.
    public static let metadataKey = "family"

    /// The family recorded in a model or checkpoint file's metadata. Files written before the
    /// key existed are recognised by their `config` section: `"architecture": "seq2seq"` is
    /// seq2seq, `"task": "nowcast"` a nowcaster, anything else the recurrent regressor.
    public static func of(metadata: [String: String], path: String) throws -> ModelFamily {
        if let raw = metadata[metadataKey] {
            let name = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard let f = ModelFamily(rawValue: name) else {
                throw ModelArchive.ArchiveError.badSection(path: path, name: metadataKey,
                                                           reason: "unknown model family '\(name)' (this build reads \(allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return f
        }
        guard let json = metadata["config"],
              let config = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { return .recurrent }
        if config["task"] as? String == "nowcast" { return .nowcast }
        if config["architecture"] as? String == "seq2seq" { return .seq2seq }
        return .recurrent
    }

    /// The family of the model file at `path` (its header only; ``AnyModel/load(from:)``
    /// verifies the rest).
    public static func of(path: String) throws -> ModelFamily {
        let file = try SafeTensorsFile.read(path: path)
        guard file.metadata["format"] == ModelArchive.format else { throw ModelArchive.ArchiveError.notAForecastFile(path: path) }
        return try of(metadata: file.metadata, path: path)
    }
}

extension ModelArchive {
    /// Records `family` in the file's metadata.
    public mutating func setFamily(_ family: ModelFamily) {
        sections[ModelFamily.metadataKey] = family.rawValue
    }
}

/// A model of any family, loaded from its file: the one way to open a model file without
/// knowing what it holds. Callers switch over the cases (exhaustively: a new family is a
/// compile error at every place that must handle it).
public enum AnyModel: Sendable {
    case recurrent(Forecaster)
    case seq2seq(Seq2SeqForecaster)
    case nowcast(Nowcaster)
    case autoregressive(AutoregressiveForecaster)
    case ensemble(EnsembleForecaster)
    case eshybrid(ESHybridForecaster)

    public var family: ModelFamily {
        switch self {
        case .recurrent: return .recurrent
        case .seq2seq: return .seq2seq
        case .nowcast: return .nowcast
        case .autoregressive: return .autoregressive
        case .ensemble: return .ensemble
        case .eshybrid: return .eshybrid
        }
    }

    /// Reads and verifies the model file at `path` (format, version, checksum, config, tensor
    /// names and shapes) with its family's loader.
    public static func load(from path: String) throws -> AnyModel {
        switch try ModelFamily.of(path: path) {
        case .recurrent: return .recurrent(try Forecaster.load(from: path))
        case .seq2seq: return .seq2seq(try Seq2SeqForecaster.load(from: path))
        case .nowcast: return .nowcast(try Nowcaster.load(from: path))
        case .autoregressive: return .autoregressive(try AutoregressiveForecaster.load(from: path))
        case .ensemble: return .ensemble(try EnsembleForecaster.load(from: path))
        case .eshybrid: return .eshybrid(try ESHybridForecaster.load(from: path))
        }
    }

    /// Writes the model file atomically.
    public func save(to path: String) throws {
        switch self {
        case .recurrent(let m): try m.save(to: path)
        case .seq2seq(let m): try m.save(to: path)
        case .nowcast(let m): try m.save(to: path)
        case .autoregressive(let m): try m.save(to: path)
        case .ensemble(let m): try m.save(to: path)
        case .eshybrid(let m): try m.save(to: path)
        }
    }
}

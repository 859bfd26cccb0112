import Foundation
import Forecast
import Logging

/// Structured logs of retraining runs. Every record of a run carries `run_id` and `model`
/// metadata; the handler here writes one line per record to stderr, as text
/// (`time level [label] message key=value ...`) or as a JSON object.
public enum RetrainLogging {
    /// Installs ``RetrainLogHandler`` as the process's log handler (executables: call once,
    /// before any logger is made). `level`: trace, debug, info, notice, warning, error, critical.
    public static func bootstrap(level: String = "info", json: Bool = false) {
        let l = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in RetrainLogHandler(label: label, level: l, json: json) }
    }

    /// A logger writing through ``RetrainLogHandler`` without touching the process-wide
    /// logging system (for ``RetrainJob/run(logger:onEvent:)`` in programs and tests).
    public static func logger(level: String = "info", json: Bool = false) -> Logger {
        let l = Logger.Level(rawValue: level) ?? .info
        return Logger(label: "forecast.retrain") { label in RetrainLogHandler(label: label, level: l, json: json) }
    }
}

/// Log records as one line each on stderr: `time level [label] message key=value ...` with the
/// run id among the metadata, or one JSON object per line (`--log-format json`).
public struct RetrainLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public let json: Bool

    public init(label: String, level: Logger.Level, json: Bool) {
        self.label = label; self.logLevel = level; self.json = json
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        var all = metadata
        if let extra { all.merge(extra) { $1 } }
        let time = ISO8601DateFormatter().string(from: Date())
        let text: String
        if json {
            var obj: [String: String] = ["time": time, "level": level.rawValue, "logger": label, "message": message.description]
            for (k, v) in all { obj[k] = "\(v)" }
            let data = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])) ?? Data("{}".utf8)
            text = String(decoding: data, as: UTF8.self)
        } else {
            let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(quoted("\($0.value)"))" }.joined(separator: " ")
            text = "\(time) \(level.rawValue) [\(label)] \(message.description)\(pairs.isEmpty ? "" : " " + pairs)"
        }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    private func quoted(_ s: String) -> String {
        if !s.isEmpty && !s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) { return s }
        return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

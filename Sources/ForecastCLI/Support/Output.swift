import Foundation

/// Writing to the terminal: stderr lines, JSON objects, terminal detection.
enum Output {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// One JSON object on one line of stdout (sorted keys).
    static func json(_ object: Any) {
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
            fflush(stdout)
        }
    }

    /// An Encodable as one JSON line (sorted keys, infinities as strings).
    static func json<T: Encodable>(encodable value: T, pretty: Bool = false) {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        if let data = try? enc.encode(value) { print(String(decoding: data, as: UTF8.self)); fflush(stdout) }
    }

    /// A number with `digits` significant decimals, for tables.
    static func format(_ v: Float) -> String { format(Double(v)) }
    static func format(_ v: Double) -> String {
        if !v.isFinite { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        let a = abs(v)
        if a != 0 && (a >= 1e7 || a < 1e-4) { return String(format: "%.4e", v) }
        return String(format: a >= 100 ? "%.2f" : "%.4f", v)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : (s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s")
    }
}

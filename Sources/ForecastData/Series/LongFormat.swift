import Foundation

/// The forecasting ecosystem's long format (Nixtla's StatsForecast/NeuralForecast, M5 tooling):
/// one row per series and time step,
///
///     unique_id   the series key (text or number)
///     ds          the timestamp
///     y           the value to forecast
///
/// A file whose header holds all three names is read without options: `unique_id` becomes the
/// series key, `ds` the time column and `y` the default target. Any of them given explicitly
/// (`--series-key`, `--time`, `--target`) wins.
public enum LongFormat {
    public static let key = "unique_id"
    public static let time = "ds"
    public static let target = "y"

    /// Whether `names` (a header) holds the three long-format columns.
    public static func recognises(_ names: [String]) -> Bool {
        names.contains(key) && names.contains(time) && names.contains(target)
    }

    /// The header names of the CSV file at `path` (first line, BOM and quotes removed, split
    /// at the first of `,` `;` tab `|` it contains); empty when the file cannot be read.
    public static func headerNames(path: String) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 65_536), !head.isEmpty else { return [] }
        var bytes = [UInt8](head)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        let line = bytes.prefix { $0 != 0x0A && $0 != 0x0D }
        let text = String(decoding: line, as: UTF8.self)
        let delimiter = [",", ";", "\t", "|"].first { text.contains($0) } ?? ","
        return text.components(separatedBy: delimiter).map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
    }

    /// Whether the CSV file at `path` is in long format.
    public static func recognises(path: String) -> Bool { recognises(headerNames(path: path)) }
}

import Dispatch

/// The ingest workload of `forecast bench --workload ingest`: read a file into Float32
/// columns with its timestamp column, timed.
public struct IngestResult: Sendable, Equatable, Codable {
    public var workload: String = "ingest"
    public var rows: Int
    public var bytes: Int
    public var seconds: Double
    public var mbPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case workload, rows, bytes, seconds
        case mbPerSecond = "mb_per_s"
    }
}

public enum IngestBenchmark {
    /// Reads `path` (all columns; numbers as Float32, the time column as instants) `repeats`
    /// times and reports the fastest run. MB are 10^6 bytes, as in the pandas peer script.
    public static func run(path: String, options: CSVOptions = CSVOptions(), repeats: Int = 3) throws -> IngestResult {
        var best = Double.infinity
        var rows = 0, bytes = 0
        for _ in 0..<max(1, repeats) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let table = try CSVReader.read(path: path, options: options)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            rows = table.rowCount
            bytes = table.byteCount
            best = min(best, dt)
        }
        return IngestResult(rows: rows, bytes: bytes, seconds: best, mbPerSecond: Double(bytes) / max(best, 1e-9) / 1e6)
    }
}

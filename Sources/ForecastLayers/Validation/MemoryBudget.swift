#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a workload's buffers fit the machine: an estimate in bytes (overflow-checked) is
/// compared with half the memory available now (`MemAvailable` in /proc/meminfo; the
/// physical memory where that is unreadable), so options such as `--hidden 100000` or
/// `--batch 1000000000` fail with a message before any allocation instead of aborting in one.
public enum MemoryBudget {
    /// Bytes the process may plan to use: half of what is available.
    public static var budgetBytes: Int {
        if let avail = availableBytes() { return avail / 2 }
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, size > 0, let p = ConfigLimits.product(pages, size) { return p / 2 }
        return 4 << 30
    }

    /// `MemAvailable` from /proc/meminfo, in bytes.
    static func availableBytes() -> Int? {
        guard let f = fopen("/proc/meminfo", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(cString: line)
            if s.hasPrefix("MemAvailable:") {
                let digits = s.split(separator: " ").dropFirst().first.flatMap { Int($0) }
                return digits.flatMap { ConfigLimits.product($0, 1024) }
            }
        }
        return nil
    }

    /// Floats for training a recurrent stack on `batch` windows of `lookback` steps: the
    /// per-step cache (inputs, gates, states, outputs and their gradients, for every layer and
    /// direction), the parameters with gradients and two optimizer moments, per worker.
    /// Nil when the count overflows.
    public static func recurrentTrainingFloats(_ c: RecurrentConfig, outputs: Int, lookback: Int, batch: Int, workers: Int) -> Int? {
        let width = max(c.inputSize, c.outputSize), cap = 1 << 56     // sums of a few terms below 2^56 cannot overflow
        guard let perStep = ConfigLimits.product(c.numLayers, c.directions, (c.cell.gates + 3) * c.hiddenSize + 2 * width, limit: cap),
              let caches = ConfigLimits.product(perStep, lookback, batch, 2, max(1, workers), limit: cap),
              let params = ConfigLimits.product(c.numLayers, c.directions, c.cell.gates * c.hiddenSize, width + c.hiddenSize + 2, limit: cap),
              let head = ConfigLimits.product(outputs, c.outputSize + 1, limit: cap),
              let stores = ConfigLimits.product(params + head, 4 + max(1, workers), limit: cap) else { return nil }
        return caches + stores
    }

    /// Throws `ConfigFieldError(field:)` when `floats` (nil: overflowed) pass the budget.
    public static func require(floats: Int?, field: String, what: String) throws {
        let budget = budgetBytes
        guard let floats, let bytes = ConfigLimits.product(floats, 4), bytes <= budget else {
            let need = floats.flatMap { ConfigLimits.product($0, 4) }.map { "about \($0 >> 20) MiB" } ?? "more memory than can be counted"
            throw ConfigFieldError(field: field, message: "is too large: \(what) would need \(need), more than half the memory available (\(budget >> 20) MiB)")
        }
    }
}

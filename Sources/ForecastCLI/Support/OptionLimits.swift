import ArgumentParser
import Forecast

/// Range checks on numeric options, made before any file is read (usage errors, exit 2):
/// every size within the model limits (``ConfigLimits``, ``WindowLimits``), every real
/// number finite (NaN and ±infinity are refused, whatever the option).
///
///     --hidden 1 ... 16384 (--grid: 1 ... 4096)   --layers 1 ... 64       --batch 1 ... 65536
///     --lookback 1 ... 1000000                    --horizon 1 ... 100000  --steps 1 ... 100000
///     --epochs 1 ... 1000000                      --workers 1 ... 1024    --patience 0 ... 1000000
///     --folds 1 ... 1000   --in-frames 1 ... 1000000   --out-frames 1 ... 100000   --kernel 1 ... 31
///     --decoder-hidden, --attention-size 1 ... 16384
///
/// Training also estimates its memory from these and the data (``TrainingBudget``).
enum OptionLimits {
    static let epochs = 1...1_000_000
    static let workers = 1...1_024
    static let patience = 0...1_000_000
    static let folds = 1...1_000

    /// Throws a usage error for the first value outside its range.
    static func require(_ checks: [(option: String, value: Int?, range: ClosedRange<Int>)]) throws {
        for c in checks {
            guard let v = c.value else { continue }
            guard c.range.contains(v) else {
                throw ValidationError("\(c.option) must be in \(c.range.lowerBound) ... \(c.range.upperBound), got \(v)")
            }
        }
    }

    /// Throws a usage error for the first value that is NaN or infinite.
    static func requireFinite(_ checks: [(option: String, value: Double?)]) throws {
        for c in checks {
            guard let v = c.value else { continue }
            guard v.isFinite else { throw ValidationError("\(c.option) must be a finite number, got \(v)") }
        }
    }
}

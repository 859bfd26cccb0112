#if canImport(Glibc)
import Glibc
#endif

/// Learning-rate schedules, evaluated once per epoch (`epoch` counts from 0).
///
/// - `constant`: lr.
/// - `step(every: s, gamma: γ)`: lr · γ^⌊epoch / s⌋ (`StepLR`).
/// - `cosine(warmup: w, minFactor: m)`: linear warm-up from lr/w... to lr over w epochs, then
///   cosine decay to lr · m at the last epoch (`CosineAnnealingLR` after a linear warm-up).
/// - `plateau(patience: p, factor: f, minFactor: m)`: multiply by f when the validation loss
///   has not improved for p epochs, not below lr · m (`ReduceLROnPlateau`).
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    case constant
    case step(every: Int, gamma: Float)
    case cosine(warmup: Int, minFactor: Float)
    case plateau(patience: Int, factor: Float, minFactor: Float)

    /// Parses `constant`, `step`, `cosine`, `plateau` with default settings.
    public init?(name: String) {
        switch name.lowercased() {
        case "constant", "none": self = .constant
        case "step": self = .step(every: 10, gamma: 0.5)
        case "cosine": self = .cosine(warmup: 2, minFactor: 0.05)
        case "plateau": self = .plateau(patience: 5, factor: 0.5, minFactor: 0.01)
        default: return nil
        }
    }
}

/// The running state of a schedule (the plateau variant remembers its best loss).
public struct ScheduleState: Codable, Sendable, Equatable {
    public var factor: Float = 1
    public var best: Double = .infinity
    public var badEpochs: Int = 0
    public init() {}

    /// The learning rate for `epoch` of `epochs`, given the base rate; for `plateau`, call
    /// ``observe(validationLoss:schedule:)`` after each epoch.
    public func learningRate(_ schedule: LearningRateSchedule, base: Float, epoch: Int, epochs: Int) -> Float {
        switch schedule {
        case .constant:
            return base
        case let .step(every, gamma):
            return base * powf(gamma, Float(epoch / max(every, 1)))
        case let .cosine(warmup, minFactor):
            if epoch < warmup { return base * Float(epoch + 1) / Float(warmup + 1) }
            let span = max(epochs - warmup - 1, 1)
            let progress = min(Float(epoch - warmup) / Float(span), 1)
            return base * (minFactor + (1 - minFactor) * 0.5 * (1 + cosf(Float.pi * progress)))
        case .plateau:
            return base * factor
        }
    }

    public mutating func observe(validationLoss: Double, schedule: LearningRateSchedule) {
        guard case let .plateau(patience, factor, minFactor) = schedule else { return }
        if validationLoss < best * (1 - 1e-4) { best = validationLoss; badEpochs = 0; return }
        badEpochs += 1
        if badEpochs > patience { self.factor = max(self.factor * factor, minFactor); badEpochs = 0 }
    }
}

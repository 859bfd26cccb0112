#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise activations and their derivatives, written in terms of the activation's
/// *output* where that is how backward passes use them.
public enum Activation: String, Sendable, Codable, CaseIterable {
    case tanh, relu, sigmoid, identity

    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .tanh: return tanhf(x)
        case .relu: return x > 0 ? x : 0
        case .sigmoid: return fastSigmoid(x)
        case .identity: return x
        }
    }

    /// d act / d x, given the output `y = act(x)`.
    @inline(__always)
    public func derivative(output y: Float) -> Float {
        switch self {
        case .tanh: return 1 - y * y
        case .relu: return y > 0 ? 1 : 0
        case .sigmoid: return y * (1 - y)
        case .identity: return 1
        }
    }
}

/// σ(x) = 1 / (1 + e^(-x)), accurate to a few ulp over the whole float range.
@inline(__always)
public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// tanh(x) for Float (libm's `tanhf`).
@inline(__always)
public func fastTanh(_ x: Float) -> Float { tanhf(x) }

/// e^x for Float (libm's `expf`).
@inline(__always)
public func floatExp(_ x: Float) -> Float { expf(x) }

/// natural log for Float.
@inline(__always)
public func floatLog(_ x: Float) -> Float { logf(x) }

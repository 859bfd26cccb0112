/// How rain values are turned into model units and back.
///
/// `linear`: `v / scale`. `log1p`: `log(1 + v) / scale`. The scale is fitted on the training
/// frames (their standard deviation after the transform) so inputs are of order one.
public struct FrameScaling: Codable, Sendable, Equatable {
    public enum Transform: String, Codable, Sendable, CaseIterable { case linear, log1p }
    public var transform: Transform
    public var scale: Float

    public init(transform: Transform = .linear, scale: Float = 1) {
        self.transform = transform
        self.scale = scale
    }

    @inline(__always) public func forward(_ v: Float) -> Float {
        switch transform {
        case .linear: return v / scale
        case .log1p: return floatLog(1 + max(v, 0)) / scale
        }
    }

    @inline(__always) public func inverse(_ u: Float) -> Float {
        switch transform {
        case .linear: return u * scale
        case .log1p: return floatExp(u * scale) - 1
        }
    }

    /// Fitted on `values`: the standard deviation after the transform (1 when it is zero).
    public static func fit(_ transform: Transform, values: ArraySlice<Float>) -> FrameScaling {
        var s = FrameScaling(transform: transform, scale: 1)
        var sum = 0.0, sq = 0.0, n = 0.0
        for v in values where v.isFinite {
            let u = Double(s.forward(v))
            sum += u; sq += u * u; n += 1
        }
        let mean = n > 0 ? sum / n : 0
        let sd = n > 1 ? ((sq / n) - mean * mean).squareRoot() : 0
        s.scale = sd.isFinite && sd > 1e-6 ? Float(sd) : 1
        return s
    }
}

/// Which frames make the training, validation and test windows: the first
/// `1 - validation - test` share of the frames trains, the next `validation` share validates,
/// the last `test` share tests. A window (inFrames inputs then outFrames targets) belongs to a
/// split when all its frames do, so no target frame of one split is an input of another.
public struct FrameSplit: Codable, Sendable, Equatable {
    public var validation: Double
    public var test: Double
    public init(validation: Double = 0.1, test: Double = 0.2) {
        self.validation = validation
        self.test = test
    }

    /// Frame ranges of the three parts for a sequence of `frames` frames.
    public func ranges(frames: Int) -> (train: Range<Int>, validation: Range<Int>, test: Range<Int>) {
        let testStart = frames - Int((Double(frames) * test).rounded())
        let valStart = testStart - Int((Double(frames) * validation).rounded())
        let v = max(0, min(valStart, frames)), t = max(v, min(testStart, frames))
        return (0..<v, v..<t, t..<frames)
    }

    public var problem: String? {
        if !(0..<1).contains(validation) || !(0..<1).contains(test) || validation + test >= 1 {
            return "validation and test fractions must be in [0, 1) and sum to less than 1 (got \(validation), \(test))"
        }
        return nil
    }
}

/// Sliding windows over a frame sequence `[T, C, H, W]` in model units: sample i reads frames
/// `start+i ..< start+i+inFrames` and targets the next `outFrames` frames. Windows are views
/// (start indices), gathered into minibatches on demand.
public struct FrameWindows: Sendable {
    /// Frames in model units `[T, C, H, W]`.
    public let frames: [Float]
    public let frameSize: Int
    public let inFrames: Int, outFrames: Int
    /// First input frame of every window.
    public let starts: [Int]

    public init(frames: [Float], frameSize: Int, inFrames: Int, outFrames: Int, range: Range<Int>) {
        self.frames = frames
        self.frameSize = frameSize
        self.inFrames = inFrames
        self.outFrames = outFrames
        let span = inFrames + outFrames
        starts = range.count >= span ? Array(range.lowerBound...(range.upperBound - span)) : []
    }

    public var count: Int { starts.count }
    public var isEmpty: Bool { starts.isEmpty }

    /// Copies windows `indices` into `x [n, inFrames, C, H, W]` and `y [n, outFrames, C, H, W]`.
    public func gather<S: Sequence>(_ indices: S, x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) where S.Element == Int {
        let xs = inFrames * frameSize, ys = outFrames * frameSize
        frames.withUnsafeBufferPointer { f in
            guard let base = f.baseAddress else { return }
            for (k, i) in indices.enumerated() {
                let s = starts[i]
                (x + k * xs).update(from: base + s * frameSize, count: xs)
                (y + k * ys).update(from: base + (s + inFrames) * frameSize, count: ys)
            }
        }
    }
}

/// A frame sample as the frame models read it: `inFrames` input frames, `outFrames` target frames.
extension FrameWindows: TrainingSamples {
    public var inputCount: Int { inFrames * frameSize }
    public var targetCount: Int { outFrames * frameSize }

    public func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        gather(indices, x: input, y: target)
    }
}

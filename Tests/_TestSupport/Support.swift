import Foundation
import XCTest
import Forecast

/// The package root (two levels above this file's folder).
public let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A file under `Fixtures/`.
public func fixturePath(_ relative: String) -> String {
    packageRoot.appendingPathComponent("Fixtures").appendingPathComponent(relative).path
}

/// `|a - b| <= tol`, or relative to |b| when |b| > 1 (the golden cases' tolerance rule).
public func close(_ a: Float, _ b: Float, tol: Float) -> Bool {
    if !a.isFinite || !b.isFinite { return false }
    return abs(a - b) <= tol * max(1, abs(b))
}

/// The worst violation of `close` over two arrays, with its index; nil when within tolerance.
public func firstMismatch(_ got: [Float], _ want: [Float], tol: Float) -> String? {
    guard got.count == want.count else { return "count \(got.count) != \(want.count)" }
    var worst: (Int, Float)? = nil
    for i in 0..<got.count where !close(got[i], want[i], tol: tol) {
        let err = abs(got[i] - want[i])
        if worst == nil || err > worst!.1 { worst = (i, err) }
    }
    if let (i, e) = worst { return "index \(i): got \(got[i]), want \(want[i]) (error \(e), tolerance \(tol))" }
    return nil
}

/// Asserts two arrays agree to `tol` (absolute, or relative above 1).
public func assertClose(_ got: [Float], _ want: [Float], tol: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    if let m = firstMismatch(got, want, tol: tol) { XCTFail("\(what): \(m)", file: file, line: line) }
}

/// Central finite difference of `f` at `x[i]`, in Double around a Float perturbation.
public func numericGradient(_ x: inout [Float], _ i: Int, eps: Float = 1e-2, _ f: ([Float]) -> Double) -> Double {
    let old = x[i]
    x[i] = old + eps; let fp = f(x)
    x[i] = old - eps; let fm = f(x)
    x[i] = old
    return (fp - fm) / Double(2 * eps)
}

/// Golden parity cases: every `*.safetensors` in `$FORECAST_GOLDEN_DIR` (default Fixtures/golden).
public func goldenCases() -> [(name: String, path: String)] {
    let dir = ProcessInfo.processInfo.environment["FORECAST_GOLDEN_DIR"] ?? fixturePath("golden")
    let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return files.filter { $0.hasSuffix(".safetensors") }.sorted().map {
        (String($0.dropLast(".safetensors".count)), (dir as NSString).appendingPathComponent($0))
    }
}

/// Random floats in [-scale, scale].
public func randomArray(_ n: Int, _ rng: inout SeededGenerator, scale: Float = 1) -> [Float] {
    (0..<n).map { _ in rng.nextFloat(in: -scale, scale) }
}

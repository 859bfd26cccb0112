import XCTest
import ForecastTraining
import _TestSupport

/// Optimizer steps against values worked out by hand (in Double) from PyTorch's update rules.
final class OptimizerTests: XCTestCase {
    func store(_ values: [Float]) -> ParameterStore {
        var l = ParameterLayout(); l.add("w", [values.count])
        let s = ParameterStore(layout: l)
        try! s.assign("w", Tensor(shape: [values.count], scalars: values)!)
        return s
    }

    func testAdamThreeSteps() {
        let p = store([1.0, -2.0]), g = store([0.5, -1.0])
        let adam = Adam(layout: p.layout, learningRate: 0.1)
        var ref: [Double] = [1.0, -2.0], m: [Double] = [0, 0], v: [Double] = [0, 0]
        let grads: [[Double]] = [[0.5, -1.0], [0.1, 0.3], [-0.2, 0.05]]
        for (t, gr) in grads.enumerated() {
            try! g.assign("w", Tensor(shape: [2], scalars: gr.map(Float.init))!)
            adam.update(p, grads: g)
            for i in 0..<2 {
                m[i] = 0.9 * m[i] + 0.1 * gr[i]
                v[i] = 0.999 * v[i] + 0.001 * gr[i] * gr[i]
                let bc1 = 1 - pow(0.9, Double(t + 1)), bc2 = 1 - pow(0.999, Double(t + 1))
                ref[i] -= 0.1 / bc1 * m[i] / (v[i].squareRoot() / bc2.squareRoot() + 1e-8)
            }
        }
        XCTAssertEqual(Double(p.base[0]), ref[0], accuracy: 1e-6)
        XCTAssertEqual(Double(p.base[1]), ref[1], accuracy: 1e-6)
        // First Adam step moves each weight by about lr in the direction against the gradient.
        XCTAssertEqual(ref[0], 1.0 - 0.1 - 0.1 * 0 + (ref[0] - 0.9), accuracy: 1)
    }

    func testAdamWDecouplesWeightDecay() {
        let p = store([2.0]), g = store([0.0])
        let opt = OptimizerKind.adamW(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1).make(layout: p.layout, learningRate: 0.5)
        opt.update(p, grads: g)
        // Zero gradient: only the decay acts, p ← p (1 - lr λ) = 2 * 0.95.
        XCTAssertEqual(p.base[0], 1.9, accuracy: 1e-6)
        let p2 = store([2.0])
        let l2 = OptimizerKind.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1).make(layout: p2.layout, learningRate: 0.5)
        l2.update(p2, grads: g)
        // L2 Adam: g = 0.2, first step moves by lr (normalised): 2 - 0.5.
        XCTAssertEqual(p2.base[0], 1.5, accuracy: 1e-5)
    }

    func testSGDMomentumAndNesterov() {
        for nesterov in [false, true] {
            let p = store([1.0]), g = store([0.0])
            let sgd = SGD(layout: p.layout, learningRate: 0.1, momentum: 0.9, nesterov: nesterov, weightDecay: 0.01)
            var ref = 1.0, buf = 0.0
            for (t, gr) in [0.5, -0.25, 1.0].enumerated() {
                try! g.assign("w", Tensor(shape: [1], scalars: [Float(gr)])!)
                sgd.update(p, grads: g)
                let gi = gr + 0.01 * ref
                buf = t == 0 ? gi : 0.9 * buf + gi
                ref -= 0.1 * (nesterov ? gi + 0.9 * buf : buf)
            }
            XCTAssertEqual(Double(p.base[0]), ref, accuracy: 1e-6, "nesterov \(nesterov)")
        }
    }

    func testGlobalNormClipping() {
        let g = store([3, 4])
        XCTAssertEqual(GradientClipping.clipGlobalNorm(g, maxNorm: 1), 5, accuracy: 1e-9)
        XCTAssertEqual(Double(g.base[0]), 0.6, accuracy: 1e-5)
        XCTAssertEqual(Double(g.base[1]), 0.8, accuracy: 1e-5)
        let h = store([0.3, 0.4])
        GradientClipping.clipGlobalNorm(h, maxNorm: 1)
        XCTAssertEqual(h.base[0], 0.3)
    }

    func testSchedules() {
        let s = ScheduleState()
        XCTAssertEqual(s.learningRate(.step(every: 2, gamma: 0.5), base: 1, epoch: 5, epochs: 10), 0.25)
        XCTAssertEqual(s.learningRate(.cosine(warmup: 1, minFactor: 0), base: 1, epoch: 0, epochs: 11), 0.5, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(.cosine(warmup: 1, minFactor: 0), base: 1, epoch: 1, epochs: 11), 1, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(.cosine(warmup: 1, minFactor: 0), base: 1, epoch: 10, epochs: 11), 0, accuracy: 1e-6)
        var p = ScheduleState()
        let sched = LearningRateSchedule.plateau(patience: 1, factor: 0.5, minFactor: 0.1)
        for v in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95] { p.observe(validationLoss: v, schedule: sched) }
        XCTAssertEqual(p.learningRate(sched, base: 1, epoch: 0, epochs: 1), 0.25)
    }

    /// The elementwise update split across threads gives the same bits as one thread.
    func testThreadedUpdatesAreBitIdentical() {
        var layout = ParameterLayout()
        _ = layout.add("w", [400, 200])
        for kind in [OptimizerKind.adamDefault, .adamW(beta1: 0.9, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1),
                     .sgd(momentum: 0.9, nesterov: true, weightDecay: 1e-3)] {
            var results: [[Float]] = []
            for threads in [1, 2, 3] {
                var rng = SeededGenerator(seed: 8)
                let params = ParameterStore(layout: layout), grads = ParameterStore(layout: layout)
                for i in 0..<layout.count { params.base[i] = rng.nextNormal() }
                let optimizer = kind.make(layout: layout, learningRate: 1e-2, threads: threads)
                for _ in 0..<3 {
                    for i in 0..<layout.count { grads.base[i] = rng.nextNormal() }
                    optimizer.update(params, grads: grads)
                }
                results.append(Array(UnsafeBufferPointer(start: params.base, count: layout.count)))
            }
            XCTAssertEqual(results[0], results[1], "\(kind)")
            XCTAssertEqual(results[0], results[2], "\(kind)")
        }
    }
}

import XCTest
import Dispatch
import ForecastCore

final class WorkerPoolTests: XCTestCase {
    func testEveryIndexRunsExactlyOnce() {
        for threads in [1, 2, 3, 8] {
            for count in [0, 1, 2, 5, 64, 1000] {
                let hits = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(count, 1))
                hits.initialize(repeating: 0)
                WorkerPool.forEach(count, threads: threads) { i in hits[i] += 1 }
                XCTAssertTrue(hits.prefix(count).allSatisfy { $0 == 1 }, "threads \(threads) count \(count)")
                hits.deallocate()
            }
        }
    }

    func testNestedAndConcurrentCallsComplete() {
        // A call from inside a job finds the pool busy and runs in order on its own thread;
        // callers on other threads at the same time do the same. Nothing deadlocks.
        let total = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4 * 6)
        total.initialize(repeating: 0)
        defer { total.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for _ in 0..<50 {
                WorkerPool.forEach(6, threads: 2) { i in
                    // The inner call may find the pool free (another caller's job just ended) and
                    // run on two threads: each iteration writes its own slot.
                    let parts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 10)
                    defer { parts.deallocate() }
                    parts.initialize(repeating: 0)
                    WorkerPool.forEach(10, threads: 2) { j in parts[j] = j }
                    total[caller * 6 + i] += parts.reduce(0, +)
                }
            }
        }
        XCTAssertTrue(total.allSatisfy { $0 == 50 * 45 })
    }

    /// Team members run at the same time (they can wait for each other); a team started from
    /// inside a job, where the pool is busy, has one member that does all the work.
    func testTeamMembersRunTogetherOrAlone() {
        for _ in 0..<200 {
            let progress = PipelineProgress(count: 2)
            let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2)
            defer { seen.deallocate() }
            seen.initialize(repeating: 0)
            var teamSize = 0
            WorkerPool.team(threads: 2) { me, team in
                if me == 0 { teamSize = team }
                if team == 2 {
                    progress.publish(me, 1)
                    progress.wait(1 - me, atLeast: 1)   // would never return if run one after the other
                }
                seen[me] += 1
            }
            XCTAssertEqual(Array(seen), teamSize == 2 ? [1, 1] : [1, 0])
        }
        var inner: [Int] = []
        WorkerPool.forEach(2, threads: 2) { i in
            if i == 0 { WorkerPool.team(threads: 2) { _, team in inner.append(team) } }
        }
        XCTAssertEqual(inner, [1])
    }

    func testChunksCoverTheRangeInOrder() {
        for n in [0, 1, 7, 100, 16_385] {
            for parts in [1, 2, 3, 7] {
                var next = 0
                for p in 0..<parts {
                    let r = WorkerPool.chunk(p, of: parts, count: n)
                    XCTAssertEqual(r.lowerBound, next)
                    XCTAssertLessThanOrEqual(r.count, n / parts + 1)
                    next = r.upperBound
                }
                XCTAssertEqual(next, n)
            }
        }
    }

    func testPipelineProgressOrdersStages() {
        // Stage 1 copies what stage 0 wrote, item by item, waiting for its progress.
        let n = 2000
        let a = UnsafeMutableBufferPointer<Int>.allocate(capacity: n), b = UnsafeMutableBufferPointer<Int>.allocate(capacity: n)
        defer { a.deallocate(); b.deallocate() }
        for round in 0..<20 {
            a.initialize(repeating: -1); b.initialize(repeating: -1)
            let progress = PipelineProgress(count: 1)
            WorkerPool.forEach(2, threads: 2) { stage in
                for i in 0..<n {
                    if stage == 0 { a[i] = i * round; progress.publish(0, i + 1) }
                    else { progress.wait(0, atLeast: i + 1); b[i] = a[i] }
                }
            }
            XCTAssertTrue((0..<n).allSatisfy { b[$0] == $0 * round })
        }
    }

    func testParallelGradientSumIsBitIdentical() {
        var rng = SeededGenerator(seed: 4)
        var layout = ParameterLayout()
        _ = layout.add("w", [300, 157])
        let shards = (0..<5).map { _ -> ParameterStore in
            let s = ParameterStore(layout: layout)
            for i in 0..<layout.count { s.base[i] = rng.nextNormal() * 1e3 }
            return s
        }
        let serial = ParameterStore(layout: layout)
        serial.copy(from: shards[0])
        for s in shards.dropFirst() { serial.add(s) }
        for threads in [1, 2, 3] {
            let sum = ParameterStore(layout: layout)
            sum.setSum(of: shards, threads: threads)
            XCTAssertEqual(sum.toArrayForTest(), serial.toArrayForTest(), "threads \(threads)")
        }
    }
}

private extension ParameterStore {
    func toArrayForTest() -> [Float] { Array(UnsafeBufferPointer(start: base, count: layout.count)) }
}

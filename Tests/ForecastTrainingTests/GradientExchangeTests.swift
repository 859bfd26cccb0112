import Foundation
import XCTest
import ForecastTraining
import _TestSupport

/// An in-process stand-in for MPI: `size` ranks run on threads and share shard results through
/// a board guarded by a barrier, exactly the contract the MPI exchange implements.
final class ThreadExchange: GradientExchange, @unchecked Sendable {
    final class Board: @unchecked Sendable {
        let size: Int
        var grads: [Int: [Float]] = [:]
        var losses: [Int: Double] = [:]
        let lock = NSCondition()
        var arrived = 0, generation = 0
        init(size: Int) { self.size = size }

        func barrier() {
            lock.lock()
            let g = generation
            arrived += 1
            if arrived == size { arrived = 0; generation += 1; lock.broadcast() }
            else { while generation == g { lock.wait() } }
            lock.unlock()
        }
    }

    let rank: Int
    let size: Int
    let board: Board
    init(rank: Int, board: Board) { self.rank = rank; self.size = board.size; self.board = board }

    func exchange(shardGradients: [ParameterStore], losses: UnsafeMutableBufferPointer<Double>) {
        board.lock.lock()
        for s in shardGradients.indices where s % size == rank {
            board.grads[s] = Array(shardGradients[s].flat)
            board.losses[s] = losses[s]
        }
        board.lock.unlock()
        board.barrier()
        board.lock.lock()
        for s in shardGradients.indices where s % size != rank {
            let g = board.grads[s]!
            g.withUnsafeBufferPointer { shardGradients[s].base.update(from: $0.baseAddress!, count: g.count) }
            losses[s] = board.losses[s]!
        }
        board.lock.unlock()
        board.barrier()   // nobody overwrites the board before everyone has read it
    }
}

final class GradientExchangeTests: XCTestCase {
    func train(exchange: GradientExchange?) throws -> [UInt8] {
        let model = WindowedRegressor(SequenceRegressor(.init(recurrent: RecurrentConfig(cell: .gru, inputSize: 2, hiddenSize: 8, numLayers: 2, dropout: 0.1), outputs: 3)),
                                      length: 10)
        var rng = SeededGenerator(seed: 1)
        let params = model.makeParameters(rng: &rng)
        var cfg = TrainingConfig()
        cfg.epochs = 3; cfg.batchSize = 16; cfg.workers = 1; cfg.shards = 4; cfg.seed = 7
        let trainer = Trainer(model: model, params: params, config: cfg)
        trainer.exchange = exchange
        try trainer.fit(train: sineWindows(count: 70, lookback: 10, horizon: 3), validation: sineWindows(count: 20, lookback: 10, horizon: 3, seed: 9))
        return params.tensorBytes()
    }

    /// 2 and 3 ranks (threads standing in for processes) end with the single process's bytes.
    func testMultiRankTrainingIsBitIdenticalToOneProcess() throws {
        let single = try train(exchange: nil)
        for size in [2, 3] {
            let board = ThreadExchange.Board(size: size)
            final class Results: @unchecked Sendable { var bytes: [[UInt8]]; init(_ n: Int) { bytes = Array(repeating: [], count: n) } }
            let results = Results(size)
            // One real thread per rank (a pool narrower than `size` would deadlock at the barrier).
            let done = DispatchGroup()
            for r in 0..<size {
                done.enter()
                let t = Thread { results.bytes[r] = (try? self.train(exchange: ThreadExchange(rank: r, board: board))) ?? []; done.leave() }
                t.stackSize = 8 << 20
                t.start()
            }
            done.wait()
            for r in 0..<size { XCTAssertEqual(results.bytes[r], single, "\(size) ranks, rank \(r)") }
        }
    }
}

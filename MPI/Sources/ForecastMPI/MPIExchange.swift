import Forecast
import MPIShim

/// ``GradientExchange`` over MPI: shard s is computed by rank `s % size` and broadcast from it,
/// so after `exchange` every rank holds every shard's gradient and loss and sums them in shard
/// order, exactly as one process would. Gradient bytes per step: shards x parameters x 4.
final class MPIExchange: SeriesShardExchange, @unchecked Sendable {
    let rank: Int
    let size: Int

    init() {
        rank = Int(fmpi_rank())
        size = Int(fmpi_size())
    }

    func exchange(shardGradients: [ParameterStore], losses: UnsafeMutableBufferPointer<Double>) {
        for (s, store) in shardGradients.enumerated() {
            let root = Int32(s % size)
            _ = fmpi_bcast_floats(store.base, store.layout.count, root)
            _ = fmpi_bcast_doubles(losses.baseAddress! + s, 1, root)
        }
    }

    /// Bitwise OR across ranks, in place (minibatch assembly and statistics in series-sharded training).
    func allOr(_ data: UnsafeMutableRawPointer, bytes: Int) {
        guard size > 1, bytes > 0 else { return }
        _ = fmpi_allreduce_bor_bytes(data, bytes)
    }
}

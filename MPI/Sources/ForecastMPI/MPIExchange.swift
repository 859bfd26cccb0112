import Forecast
import MPIShim

/// ``GradientExchange`` over MPI: shard s is computed by rank `s % size` and broadcast from it,
/// so after `exchange` every rank holds every shard's gradient and loss and sums them in shard
/// order, exactly as one process would. Gradient bytes per step: shards x parameters x 4.
final class MPIExchange: GradientExchange, @unchecked Sendable {
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
}

import ForecastLayers

extension RecurrentCache {
    /// A cache for `layer` over a batch of `B` sequences of `T` steps holding the inputs `x`
    /// `[T, B, inputSize]`, the initial states `h0`/`c0` `[layers × directions, B, H]` when
    /// given, and `threads` pipeline threads: the set-up the inference and pipeline tests share.
    static func loaded(_ layer: Recurrent, B: Int, T: Int, x: [Float], h0: [Float]?, c0: [Float]?, threads: Int) -> RecurrentCache {
        let cache = RecurrentCache(config: layer.config, batch: B, length: T)
        cache.pipelineThreads = threads
        cache.x.pointer.update(from: x, count: x.count)
        if let h0 {
            cache.useInitialState = true
            cache.h0.pointer.update(from: h0, count: h0.count)
            if let c0 { cache.c0.pointer.update(from: c0, count: c0.count) }
        }
        return cache
    }
}

/// Validates a checkpoint's `trainer` section before anything is allocated from it: the
/// network's config within its family's limits (``TrainableModel/checkConfig(_:field:)``) and matching the checkpoint's model tensors (those without
/// an `optimizer.` or `best.` prefix) exactly; minibatch within ``WindowLimits/batch``;
/// workers and shards 1 ... 1024; epochs 0 ... 1000000; a finite, positive learning rate.
/// Failures are `TrainingError.badCheckpoint` naming the file and the field.
public enum CheckpointCheck {
    public static func check<Model: TrainableModel>(_ state: Trainer<Model>.State, archive: ModelArchive, path: String) throws {
        do {
            try Model.checkConfig(state.model, field: "trainer.model")
            let own = archive.tensors.filter { !$0.name.hasPrefix("optimizer.") && !$0.name.hasPrefix("best.") }
            try LayoutMatch.check(Model(state.model).layout, tensors: own)
            let c = state.config
            try ConfigLimits.require(c.batchSize, in: WindowLimits.batch, field: "trainer.config.batchSize")
            try ConfigLimits.require(c.workers, in: 1...1_024, field: "trainer.config.workers")
            try ConfigLimits.require(c.shards, in: 1...1_024, field: "trainer.config.shards")
            try ConfigLimits.require(c.epochs, in: 0...1_000_000, field: "trainer.config.epochs")
            guard c.learningRate.isFinite, c.learningRate > 0 else {
                throw ConfigFieldError(field: "trainer.config.learningRate", message: "is \(c.learningRate); it must be finite and positive")
            }
        } catch let e as ConfigFieldError {
            throw TrainingError.badCheckpoint("\(path): \(e)")
        }
    }
}

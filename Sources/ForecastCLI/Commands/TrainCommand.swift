import ArgumentParser
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a model on a CSV file.")
    func run() throws { print("not yet") }
}
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "Forecast with a trained model.")
    func run() throws { print("not yet") }
}

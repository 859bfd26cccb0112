import ArgumentParser

/// `forecast`: the root command.
struct ForecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Forecast time series from CSV files with recurrent neural networks (RNN, LSTM, GRU).",
        discussion: """
        Typical use:
          forecast train --data air_passengers.csv --target value --out model.safetensors
          forecast predict --model model.safetensors --data air_passengers.csv
        Run 'forecast doctor' to see which OpenBLAS kernel and how many workers are used.
        """,
        version: ForecastVersion.string,
        subcommands: [TrainCommand.self, PredictCommand.self, EvaluateCommand.self, BacktestCommand.self, PlotCommand.self, InspectCommand.self, ExportCommand.self, DescribeCommand.self, RetrainCommand.self,
                      BenchCommand.self, DoctorCommand.self]
    )
}

enum ForecastVersion {
    static let string = "0.1.0"
}

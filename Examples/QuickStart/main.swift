import Forecast

// Train an LSTM on a CSV file, forecast, save, load: the library quick start (docs/library.md).
let path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "Fixtures/air_passengers.csv"
do {
    let series = try TimeSeriesSet(table: CSVReader.read(path: path))   // time column and frequency inferred
    var options = ForecasterOptions()                                   // lookback, horizon, LSTM size: defaults
    options.training.epochs = 40
    let model = try Forecaster.fit(series, targets: ["value"], options: options)
    try model.save(to: "quickstart.safetensors")                        // safetensors, PyTorch tensor names
    let loaded = try Forecaster.load(from: "quickstart.safetensors")
    for f in try loaded.predict(series) {
        for (time, value) in zip(f.labels, f.values) { print(time, value[0]) }
    }
    if let m = model.provenance?.testMetrics { print("test MASE", m.model.mase, "seasonal naive", m.seasonalNaive.mase) }
} catch {
    print("error: \(error)")
}

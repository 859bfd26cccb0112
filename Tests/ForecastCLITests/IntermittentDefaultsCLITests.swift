import Foundation
import XCTest
import Forecast
import _TestSupport

/// The loss and level normalisation `forecast train` picks when they are not given
/// (``IntermittentDefaults``): MAE without level normalisation for a global model over
/// intermittent series, the single-series defaults (MSE, level normalisation) otherwise.
final class IntermittentDefaultsCLITests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("intermittent") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Trains `args` (a few cheap epochs) and returns the saved LSTM's loss and level normalisation.
    func trained(_ args: [String], name: String) throws -> (loss: LossKind, levelNormalization: Bool) {
        let path = dir + "/\(name).safetensors"
        let r = try ForecastBinary.run(["train"] + args + ["--out", path, "--epochs", "1", "--hidden", "8", "--workers", "1", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let spec = try Forecaster.load(from: path).spec
        return (spec.loss, spec.levelNormalization)
    }

    /// The many-series fixture (12 series, 65% zeros): `--model lstm` alone trains on MAE
    /// without level normalisation; each option given explicitly is kept.
    func testManySeriesIntermittentFileGetsMAEWithoutLevelNormalisation() throws {
        let data = ["--data", fixturePath("long_format_daily.csv"), "--model", "lstm", "--horizon", "7", "--lookback", "14"]
        let chosen = try trained(data, name: "default")
        XCTAssertEqual(chosen.loss, .mae)
        XCTAssertFalse(chosen.levelNormalization)

        let mse = try trained(data + ["--loss", "mse"], name: "mse")
        XCTAssertEqual(mse.loss, .mse, "an explicit --loss is kept")
        XCTAssertFalse(mse.levelNormalization, "the level normalisation is still chosen by the data")

        let level = try trained(data + ["--level-norm"], name: "level")
        XCTAssertEqual(level.loss, .mae)
        XCTAssertTrue(level.levelNormalization, "an explicit --level-norm is kept")

        let both = try trained(data + ["--loss", "huber", "--no-level-norm"], name: "both")
        XCTAssertEqual(both.loss.name, "huber")
        XCTAssertFalse(both.levelNormalization)

        let quantiles = try trained(data + ["--quantiles", "0.1,0.5,0.9"], name: "q")
        XCTAssertEqual(quantiles.loss, .quantile([0.1, 0.5, 0.9]), "--quantiles sets the loss")
    }

    /// Without --model the many-series fixture gets the LSTM (not the auto ensemble) with those
    /// defaults; `--model auto` still trains the ensemble, whose LSTM member gets them too.
    func testDefaultModelOnManySeriesFileIsTheLSTMOnMAE() throws {
        let common = ["train", "--data", fixturePath("long_format_daily.csv"), "--horizon", "7", "--lookback", "14",
                      "--epochs", "1", "--hidden", "8", "--workers", "1", "--quiet"]
        let lstm = dir + "/default.safetensors"
        let r = try ForecastBinary.run(common + ["--out", lstm])
        XCTAssertEqual(r.status, 0, r.stderr)
        let spec = try Forecaster.load(from: lstm).spec
        XCTAssertEqual(spec.loss, .mae)
        XCTAssertFalse(spec.levelNormalization)

        let auto = dir + "/auto.safetensors"
        let a = try ForecastBinary.run(common + ["--model", "auto", "--out", auto])
        XCTAssertEqual(a.status, 0, a.stderr)
        let model = try EnsembleForecaster.load(from: auto)
        XCTAssertEqual(model.networks.map(\.spec.loss), [.mae])
        XCTAssertEqual(model.networks.map(\.spec.levelNormalization), [false])
        XCTAssertEqual(model.networks.map(\.spec.windowScaling), [.robust])
    }

    /// Without --model a single series still gets the auto ensemble (air passengers).
    func testDefaultModelOnOneSeriesIsStillAuto() throws {
        let path = dir + "/air.safetensors"
        let r = try ForecastBinary.run(["train", "--data", fixturePath("air_passengers.csv"), "--target", "value", "--epochs", "1",
                                        "--hidden", "8", "--workers", "1", "--members", "1", "--out", path, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try EnsembleForecaster.load(from: path).networks.count, 1, "the auto ensemble")
        XCTAssertThrowsError(try Forecaster.load(from: path), "not a single recurrent model")
    }

    /// The fixture's default model is window-scaled (robust); an explicit level-normalisation
    /// choice or `--window-scaling none` turns it off, the gaussian loss never gets it, and
    /// `--window-scaling robust` alone on one series replaces the level normalisation.
    func testIntermittentDefaultIsRobustWindowScaling() throws {
        func windowScaling(_ args: [String], name: String) throws -> WindowScaling? {
            let path = dir + "/\(name).safetensors"
            let r = try ForecastBinary.run(["train"] + args + ["--out", path, "--epochs", "1", "--hidden", "8", "--workers", "1", "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            return try Forecaster.load(from: path).spec.windowScaling
        }
        let data = ["--data", fixturePath("long_format_daily.csv"), "--horizon", "7", "--lookback", "14"]
        XCTAssertEqual(try windowScaling(data, name: "default"), .robust, "no --model: the LSTM, window-scaled")
        let provenance = try Forecaster.load(from: dir + "/default.safetensors").provenance
        XCTAssertEqual(provenance?.training.schedule, .cosine(warmup: 2, minFactor: 0.05), "and the cosine schedule")
        XCTAssertEqual(try windowScaling(data + ["--model", "lstm", "--loss", "mse"], name: "mse"), .robust)
        XCTAssertEqual(try windowScaling(data + ["--quantiles", "0.1,0.5,0.9"], name: "q"), .robust)
        XCTAssertNil(try windowScaling(data + ["--no-level-norm"], name: "nolevel"), "--no-level-norm: the earlier default")
        XCTAssertNil(try windowScaling(data + ["--level-norm"], name: "level"))
        XCTAssertNil(try windowScaling(data + ["--window-scaling", "none"], name: "none"))
        XCTAssertNil(try windowScaling(data + ["--loss", "gaussian"], name: "gaussian"))
        let air = ["--data", fixturePath("air_passengers.csv"), "--target", "value", "--model", "lstm"]
        XCTAssertNil(try windowScaling(air, name: "air"), "one series: none")
        XCTAssertEqual(try Forecaster.load(from: dir + "/air.safetensors").provenance?.training.schedule, .constant)
        XCTAssertEqual(try windowScaling(data + ["--lr-schedule", "constant"], name: "constant"), .robust)
        XCTAssertEqual(try Forecaster.load(from: dir + "/constant.safetensors").provenance?.training.schedule, .constant, "an explicit --lr-schedule is kept")
        let path = dir + "/air-robust.safetensors"
        let r = try ForecastBinary.run(["train"] + air + ["--window-scaling", "robust", "--out", path, "--epochs", "1", "--hidden", "8", "--workers", "1", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let spec = try Forecaster.load(from: path).spec
        XCTAssertEqual(spec.windowScaling, .robust)
        XCTAssertFalse(spec.levelNormalization)
        let both = try ForecastBinary.run(["train"] + air + ["--window-scaling", "robust", "--level-norm", "--out", dir + "/both.safetensors", "--epochs", "1", "--quiet"])
        XCTAssertNotEqual(both.status, 0, "window scaling and level normalisation together are refused")
        XCTAssertTrue(both.stderr.contains("choose one"), both.stderr)
    }

    /// Single series keep MSE and level normalisation, even one with 57% zeros (Seattle's
    /// daily precipitation), and so do several series without zeros (NYC's three airports).
    func testSingleSeriesAndSmoothSeriesKeepTheirDefaults() throws {
        let cases: [(String, [String])] = [
            ("air", ["--data", fixturePath("air_passengers.csv"), "--target", "value"]),
            ("rain", ["--data", fixturePath("seattle_weather_daily.csv"), "--target", "precipitation"]),
            ("nyc", ["--data", fixturePath("nyc_weather_hourly.csv"), "--series-key", "origin", "--target", "temp", "--horizon", "6", "--lookback", "24"]),
        ]
        for (name, args) in cases {
            let d = try trained(args + ["--model", "lstm"], name: name)
            XCTAssertEqual(d.loss, .mse, name)
            XCTAssertTrue(d.levelNormalization, name)
            XCTAssertNil(try Forecaster.load(from: dir + "/\(name).safetensors").spec.windowScaling, name)
        }
    }
}

import Foundation
import XCTest
import _TestSupport

/// End-to-end: the real `forecast` binary on real CSV files.
final class CLITests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("cli") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testTrainPredictEvaluateInspectPlotOnAirPassengers() throws {
        let model = dir + "/air.safetensors"
        let train = try ForecastBinary.run(["train", "--model", "lstm", "--data", fixturePath("air_passengers.csv"), "--target", "value", "--out", model, "--epochs", "20"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssert(train.stderr.contains("saved"), train.stderr)
        XCTAssert(FileManager.default.fileExists(atPath: model))

        let predict = try ForecastBinary.run(["predict", "--model", model, "--data", fixturePath("air_passengers.csv")])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let lines = predict.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "time,value")
        XCTAssertEqual(lines.count, 13, predict.stdout)
        XCTAssert(lines[1].hasPrefix("1961"), "timestamps continue the data: \(lines[1])")
        let values = lines.dropFirst().compactMap { Double($0.split(separator: ",")[1]) }
        XCTAssertEqual(values.count, 12)
        XCTAssert(values.allSatisfy { $0 > 250 && $0 < 900 }, "plausible passenger numbers: \(values)")

        // Recursive: the first step is the direct forecast's first step; --steps reaches past the horizon.
        let rec = try ForecastBinary.run(["predict", "--model", model, "--data", fixturePath("air_passengers.csv"), "--recursive", "--steps", "15"])
        XCTAssertEqual(rec.status, 0, rec.stderr)
        let recLines = rec.stdout.split(separator: "\n")
        XCTAssertEqual(recLines.count, 16)
        XCTAssertEqual(recLines[1], lines[1])
        XCTAssert(recLines[13].hasPrefix("1962"), "\(recLines[13])")

        let csvOut = dir + "/f.csv"
        XCTAssertEqual(try ForecastBinary.run(["predict", "--model", model, "--data", fixturePath("air_passengers.csv"), "--out", csvOut]).status, 0)
        XCTAssertEqual(try String(contentsOfFile: csvOut, encoding: .utf8), predict.stdout)

        let eval = try ForecastBinary.run(["evaluate", "--model", model, "--data", fixturePath("air_passengers.csv"), "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(Set(obj.keys), ["model", "naive", "seasonal_naive", "drift"])
        for key in obj.keys {
            let m = try XCTUnwrap(obj[key] as? [String: Any])
            for metric in ["mae", "rmse", "smape", "mase"] { XCTAssertNotNil(m[metric] as? Double, "\(key).\(metric)") }
        }

        let inspect = try ForecastBinary.run(["inspect", model])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssert(inspect.stdout.contains("rnn.weight_hh_l0"), inspect.stdout)
        XCTAssert(inspect.stdout.contains("season 12"), inspect.stdout)

        let svg = dir + "/air.svg"
        let plot = try ForecastBinary.run(["plot", "--model", model, "--data", fixturePath("air_passengers.csv"), "--out", svg])
        XCTAssertEqual(plot.status, 0, plot.stderr)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssert(text.hasPrefix("<svg") && text.contains("forecast") && text.contains("training curves"))
    }

    func testUsageErrorsExit2AndDataErrorsExit1WithOneLine() throws {
        let air = fixturePath("air_passengers.csv")
        // Usage: unknown option, missing required option, bad value.
        for args in [["train", "--data", air, "--target", "value", "--out", dir + "/m", "--bogus"],
                     ["train", "--data", air, "--out", dir + "/m"],
                     ["train", "--data", air, "--target", "value", "--out", dir + "/m", "--model", "transformer"],
                     ["train", "--data", air, "--target", "value", "--out", dir + "/m", "--lookback", "0"]] {
            let r = try ForecastBinary.run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssert(r.stderr.hasPrefix("error:"), r.stderr)
        }
        // Data: missing file, unknown column, horizon longer than the data allows.
        for (args, fragment) in [(["train", "--data", dir + "/nope.csv", "--target", "value", "--out", dir + "/m"], "nope.csv"),
                                 (["train", "--data", air, "--target", "passengers", "--out", dir + "/m"], "passengers"),
                                 (["train", "--data", air, "--target", "value", "--horizon", "200", "--out", dir + "/m"], "horizon 200")] {
            let r = try ForecastBinary.run(args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
            XCTAssert(r.stderr.hasPrefix("error: ") && r.stderr.contains(fragment), r.stderr)
        }
        // A model file that is not one.
        let r = try ForecastBinary.run(["predict", "--model", air, "--data", air])
        XCTAssertEqual(r.status, 1, r.stderr)
    }

    /// Calendar inputs and gap re-indexing from the command line, on real files.
    func testCalendarFeaturesAndGapReindexing() throws {
        let model = dir + "/seattle.safetensors"
        let train = try ForecastBinary.run(["train", "--model", "lstm", "--data", fixturePath("seattle_weather_daily.csv"), "--target", "temp_max",
                                            "--calendar", "doy,dow", "--epochs", "2", "--out", model])
        XCTAssertEqual(train.status, 0, train.stderr)
        let inspect = try ForecastBinary.run(["inspect", model])
        XCTAssert(inspect.stdout.contains("dayOfYear"), inspect.stdout)
        let predict = try ForecastBinary.run(["predict", "--model", model, "--data", fixturePath("seattle_weather_daily.csv")])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        XCTAssert(predict.stdout.contains("2016-01-01"), predict.stdout)

        let nyc = try ForecastBinary.run(["train", "--model", "lstm", "--data", fixturePath("nyc_weather_hourly.csv"), "--target", "temp", "--series-key", "origin",
                                          "--gaps", "reindex", "--epochs", "1", "--out", dir + "/nyc.safetensors"])
        XCTAssertEqual(nyc.status, 0, nyc.stderr)
        XCTAssert(nyc.stderr.contains("missing values"), "re-indexed gaps become missing values that are reported: \(nyc.stderr)")
        let bad = try ForecastBinary.run(["describe", "--data", fixturePath("nyc_weather_hourly.csv"), "--gaps", "fill"])
        XCTAssertEqual(bad.status, 2)
    }

    /// `--model seq2seq` end to end: train, predict with attention weights, evaluate, plot.
    func testSeq2SeqFromTheCommandLine() throws {
        let model = dir + "/s2s.safetensors", air = fixturePath("air_passengers.csv")
        let train = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", "seq2seq", "--attention", "luong", "--epochs", "2", "--out", model])
        XCTAssertEqual(train.status, 0, train.stderr)
        let att = dir + "/att.csv"
        let predict = try ForecastBinary.run(["predict", "--model", model, "--data", air, "--attention-out", att])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        XCTAssertEqual(predict.stdout.split(separator: "\n").count, 13)
        XCTAssert(try String(contentsOfFile: att, encoding: .utf8).hasPrefix("forecast_step,"))
        let eval = try ForecastBinary.run(["evaluate", "--model", model, "--data", air, "--json"])
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        XCTAssertNotNil(obj["seasonal_naive"])
        XCTAssertEqual(try ForecastBinary.run(["plot", "--model", model, "--data", air, "--attention", "--out", dir + "/a.svg"]).status, 0)
        XCTAssertEqual(try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", "seq2seq", "--teacher-forcing", "sometimes", "--out", model]).status, 2)
    }

    func testDoctorAndBench() throws {
        let doctor = try ForecastBinary.run(["doctor", "--json"])
        XCTAssertEqual(doctor.status, 0, doctor.stderr)
        let d = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(doctor.stdout.utf8)) as? [String: Any])
        XCTAssertNotNil(d["blas_core"] as? String)
        XCTAssertLessThan(try XCTUnwrap(d["sgemm_selftest_max_error"] as? Double), 1e-4)

        let bench = try ForecastBinary.run(["bench", "--workload", "infer-1", "--seconds", "0.05", "--json"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let b = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(b["workload"] as? String, "infer-1")
        XCTAssertNotNil(b["latency_us"] as? Double)
        XCTAssertNotNil(b["blas_core"] as? String)

        let step = try ForecastBinary.run(["bench", "--workload", "S-gru", "--seconds", "0.05", "--json", "--workers", "2"])
        let s = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(step.stdout.utf8)) as? [String: Any])
        XCTAssertNotNil(s["train_step_ms"] as? Double)
        XCTAssertNotNil(s["samples_per_s"] as? Double)
        XCTAssertEqual(s["workers"] as? Int, 2)
    }

    /// The executable picks the best OpenBLAS kernel itself, and respects the user's choice.
    func testKernelSelectionRespectsUserSetting() throws {
        let mine = try ForecastBinary.run(["doctor", "--json"], environment: ["OPENBLAS_CORETYPE": "Haswell"])
        let d = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(mine.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((d["blas_core"] as? String)?.lowercased(), "haswell")
        XCTAssert((d["core_source"] as? String ?? "").contains("environment"))

        // Unset: forecast chooses (re-executing itself) and no faster kernel is left unused.
        let auto = try ForecastBinary.run(["doctor", "--json"], environment: ["OPENBLAS_CORETYPE": ""])
        let a = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(auto.stdout.utf8)) as? [String: Any])
        XCTAssert(a["warning"] is NSNull, "a faster kernel is left unused: \(a)")
        XCTAssertFalse((a["core_source"] as? String ?? "").contains("environment"), "\(a)")
    }
}

import Foundation
import XCTest
import Forecast
import _TestSupport

/// One loader for every family: the `family` key written by today's files, the `config`
/// discriminators of files written before it, and forecasts of old files unchanged.
final class ModelFamilyTests: XCTestCase {
    func testLegacyFilesLoadAsTheirFamilyAndForecastAsBefore() throws {
        for family in ModelFamily.allCases {
            let path = fixturePath("models/legacy-\(family.rawValue).safetensors")
            XCTAssertEqual(try ModelFamily.of(path: path), family)
            let model = try AnyModel.load(from: path)
            XCTAssertEqual(model.family, family)
            let expected = try String(contentsOfFile: fixturePath("models/legacy-\(family.rawValue).predict.csv"), encoding: .utf8)
            let run = try ForecastBinary.run(["predict", "--model", path, "--data",
                                              fixturePath(family == .nowcast ? "radar_small.csv" : "air_passengers.csv")])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(run.stdout, expected, "\(family): forecasts of an old model file changed")
        }
    }

    func testSavedFilesRecordTheirFamily() throws {
        let dir = try ForecastBinary.temporaryDirectory("family")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for family in ModelFamily.allCases {
            let old = try AnyModel.load(from: fixturePath("models/legacy-\(family.rawValue).safetensors"))
            let path = dir + "/\(family.rawValue).safetensors"
            try old.save(to: path)
            let file = try SafeTensorsFile.read(path: path)
            XCTAssertEqual(file.metadata[ModelFamily.metadataKey], family.rawValue)
            XCTAssertEqual(try AnyModel.load(from: path).family, family)
            // The key decides, not the config.
            var meta = file
            let other: ModelFamily = family == .recurrent ? .seq2seq : .recurrent
            meta.metadata[ModelFamily.metadataKey] = other.rawValue
            XCTAssertEqual(try ModelFamily.of(metadata: meta.metadata, path: path), other)
            meta.metadata[ModelFamily.metadataKey] = "transformer"
            XCTAssertThrowsError(try ModelFamily.of(metadata: meta.metadata, path: path)) { e in
                XCTAssert("\(e)".contains("unknown model family 'transformer'"), "\(e)")
            }
        }
    }

    func testInspectNamesTheFamilyOfEveryModel() throws {
        for family in ModelFamily.allCases {
            let r = try ForecastBinary.run(["inspect", fixturePath("models/legacy-\(family.rawValue).safetensors")])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssert(r.stdout.contains("family:       \(family)"), r.stdout)
        }
    }
}

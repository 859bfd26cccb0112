import Foundation
import XCTest
import Forecast
import _TestSupport

/// The one provenance type (``ModelProvenance``) and the series families' one spec type
/// (``SeriesModelSpec``) read the files of every family written by earlier releases, and write
/// their `config` and `provenance` sections back byte for byte.
final class ProvenanceTests: XCTestCase {
    func testLegacyFilesRoundTripTheirSectionsByteForByte() throws {
        let dir = try ForecastBinary.temporaryDirectory("provenance")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for family in ModelFamily.allCases {
            let path = fixturePath("models/legacy-\(family.rawValue).safetensors")
            let original = try ModelArchive.read(path: path)
            XCTAssertNotNil(original.sections["provenance"], "\(family): the fixture has a provenance")
            let copy = dir + "/\(family.rawValue).safetensors"
            try AnyModel.load(from: path).save(to: copy)
            let saved = try ModelArchive.read(path: copy)
            for name in ["config", "provenance"] {
                XCTAssertEqual(saved.sections[name], original.sections[name], "\(family): section \(name) changed")
            }
            XCTAssertEqual(saved.tensors.map(\.name), original.tensors.map(\.name))
        }
    }

    /// The family's own fields read and write through the shared type; encoding is flat.
    func testFamilyFieldsAreFlat() throws {
        var p = NowcastProvenance(dataFile: nil, source: "grid", training: TrainingConfig(), history: [], bestEpoch: 0,
                                  trainWindows: 1, validationWindows: 0, testWindows: 0,
                                  extra: NowcastRecord(frames: 7, trainingSeconds: 1.5, testReport: nil))
        p.frames = 9
        XCTAssertEqual(p.own.frames, 9)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(p)) as? [String: Any]
        XCTAssertEqual(json?["frames"] as? Int, 9)
        XCTAssertNil(json?["extra"])
        XCTAssertEqual(try JSONDecoder().decode(NowcastProvenance.self, from: JSONEncoder().encode(p)), p)
        XCTAssertEqual(p.dataFile, "grid")
        XCTAssertEqual(p.dataSHA256, "")
    }
}

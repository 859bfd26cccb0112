import Foundation
import XCTest
import Forecast
import _TestSupport

/// Model files from 0.1 still load (marked as only tensor-checksummed); files written now carry
/// a checksum over metadata and tensors; the low-level bounds and limits hold.
final class ModelFileValidationTests: XCTestCase {
    func testOldFilesOfEveryFamilyLoadWithTheLegacyMark() throws {
        for name in ["legacy-recurrent", "legacy-seq2seq", "legacy-nowcast"] {
            let path = fixturePath("models/\(name).safetensors")
            XCTAssertTrue(try ModelArchive.read(path: path).legacyChecksum, name)
        }
        XCTAssertNoThrow(try Forecaster.load(from: fixturePath("models/legacy-recurrent.safetensors")))
        XCTAssertNoThrow(try Seq2SeqForecaster.load(from: fixturePath("models/legacy-seq2seq.safetensors")))
        XCTAssertNoThrow(try Nowcaster.load(from: fixturePath("models/legacy-nowcast.safetensors")))
    }

    func testSavedFilesCoverTheMetadataAndCatchAnEdit() throws {
        let dir = try ForecastBinary.temporaryDirectory("modelfile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let f = try Forecaster.load(from: fixturePath("models/legacy-recurrent.safetensors"))
        let path = dir + "/m.safetensors"
        try f.save(to: path)
        let archive = try ModelArchive.read(path: path)
        XCTAssertFalse(archive.legacyChecksum)
        XCTAssertEqual(try Forecaster.load(from: path).spec, f.spec)
        var file = try SafeTensorsFile.read(path: path)
        XCTAssertNotNil(file.metadata[ArchiveChecksum.fileKey])
        file.metadata["config"] = file.metadata["config"]?.replacingOccurrences(of: "\"seasonLength\":12", with: "\"seasonLength\":13")
        try file.write(path: path)
        XCTAssertThrowsError(try ModelArchive.read(path: path)) { error in
            XCTAssert("\(error)".contains("sha256_file"), "\(error)")
        }
    }

    func testTensorBoundsRefuseOverflowingShapes() {
        XCTAssertEqual(TensorBounds.shape([2, 3]), [2, 3])
        XCTAssertEqual(TensorBounds.shape([0, 1 << 31]), [0, 1 << 31])
        XCTAssertNil(TensorBounds.shape([1 << 31, 4]))
        XCTAssertNil(TensorBounds.shape([-1]))
        XCTAssertNil(TensorBounds.shape([1.5]))
        XCTAssertNil(TensorBounds.shape(Array(repeating: 1, count: 9)))
        XCTAssertNil(TensorBounds.integer(1e300))
    }

    func testConfigLimitsNameTheField() {
        var c = SequenceRegressor.Config(recurrent: RecurrentConfig(cell: .lstm, inputSize: 1, hiddenSize: 8), outputs: 12)
        XCTAssertNoThrow(try ConfigLimits.check(c))
        c.recurrent.numLayers = -1
        XCTAssertThrowsError(try ConfigLimits.check(c)) { XCTAssertEqual(($0 as? ConfigFieldError)?.field, "architecture.recurrent.numLayers") }
        c.recurrent.numLayers = 64
        c.recurrent.hiddenSize = 16_384
        XCTAssertThrowsError(try ConfigLimits.check(c)) { XCTAssertEqual(($0 as? ConfigFieldError)?.field, "architecture.recurrent.hiddenSize") }
    }

    func testStaleTemporariesOfDeadWritersOnly() throws {
        let dir = try ForecastBinary.temporaryDirectory("stale")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dead = dir + "/m.st.tmp-4194305-12", live = dir + "/m.st.tmp-\(getpid())-12", other = dir + "/m.st.tmp-x-1"
        for p in [dead, live, other] { FileManager.default.createFile(atPath: p, contents: Data()) }
        XCTAssertEqual(StaleTemporaries.remove(inFolderOf: dir + "/m.st"), [dead])
        XCTAssertTrue(FileManager.default.fileExists(atPath: live))
        XCTAssertTrue(FileManager.default.fileExists(atPath: other))
    }

    func testInputsMustBeRegularFiles() throws {
        let dir = try ForecastBinary.temporaryDirectory("regular")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(mkfifo(dir + "/fifo", 0o644), 0)
        XCTAssertThrowsError(try AtomicFile.read(dir + "/fifo")) { XCTAssert("\($0)".contains("FIFO"), "\($0)") }
        XCTAssertThrowsError(try CSVReader.read(path: dir + "/fifo")) { XCTAssert("\($0)".contains("FIFO"), "\($0)") }
        XCTAssertThrowsError(try AtomicFile.read(dir)) { XCTAssert("\($0)".contains("directory"), "\($0)") }
    }
}

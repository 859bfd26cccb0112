import Foundation
import XCTest
import _TestSupport

/// docs/library.md shows Examples/QuickStart/main.swift verbatim, and the built example runs.
final class ExampleTests: XCTestCase {
    func testLibraryDocShowsTheExampleVerbatim() throws {
        let doc = try String(contentsOf: packageRoot.appendingPathComponent("docs/library.md"), encoding: .utf8)
        let source = try String(contentsOf: packageRoot.appendingPathComponent("Examples/QuickStart/main.swift"), encoding: .utf8)
        XCTAssert(doc.contains("```swift\n" + source + "```"), "docs/library.md must show Examples/QuickStart/main.swift verbatim")
    }

    func testQuickStartRuns() throws {
        guard let bin = ForecastBinary.path else { return XCTFail("no forecast binary; run scripts/test.sh") }
        let example = URL(fileURLWithPath: bin).deletingLastPathComponent().appendingPathComponent("QuickStart").path
        guard FileManager.default.isExecutableFile(atPath: example) else { return XCTFail("QuickStart not built at \(example); run scripts/test.sh") }
        let dir = try ForecastBinary.temporaryDirectory("quickstart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: example)
        p.arguments = [fixturePath("air_passengers.csv")]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertFalse(text.contains("error"), text)
        XCTAssertEqual(text.split(separator: "\n").filter { $0.hasPrefix("1961") }.count, 12, text)
        XCTAssert(text.contains("test MASE"), text)
        XCTAssert(FileManager.default.fileExists(atPath: dir + "/quickstart.safetensors"))
    }
}

import Foundation
import XCTest
import ForecastCore
import _TestSupport

/// `DirectoryHandle` and `RegularFile`: nothing is followed through a link, nothing blocks on a
/// FIFO, an existing entry is never replaced by a no-replace commit.
final class DirectoryHandleTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "dirhandle-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir + "/inside", withIntermediateDirectories: true)
        try "outside\n".write(toFile: dir + "/outside.txt", atomically: false, encoding: .utf8)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testLinksAreNeverFollowed() throws {
        let h = try DirectoryHandle(path: dir + "/inside")
        try FileManager.default.createSymbolicLink(atPath: dir + "/inside/link", withDestinationPath: dir + "/outside.txt")
        XCTAssertEqual(try h.kind("link"), .symlink)
        XCTAssertThrowsError(try h.read("link")) { XCTAssert("\($0)".contains("is a symbolic link"), "\($0)") }
        XCTAssertThrowsError(try h.openFile("link", flags: O_RDWR | O_CREAT)) { XCTAssert("\($0)".contains("is a symbolic link"), "\($0)") }
        XCTAssertThrowsError(try h.subfolder("link", create: true))
        // Replacing or removing the link touches the link only.
        try h.writeAtomically([1, 2], to: "link")
        XCTAssertEqual(try h.kind("link"), .file)
        XCTAssertEqual(try String(contentsOfFile: dir + "/outside.txt", encoding: .utf8), "outside\n")
        try FileManager.default.createSymbolicLink(atPath: dir + "/inside/tree", withDestinationPath: dir)
        try h.removeTree("tree")
        XCTAssertEqual(try h.kind("tree"), .missing)
        XCTAssertEqual(try String(contentsOfFile: dir + "/outside.txt", encoding: .utf8), "outside\n")
        // Names that would leave the folder are refused.
        for bad in ["../outside.txt", "", ".", "..", "a/b"] { XCTAssertThrowsError(try h.read(bad), bad) }
        // The folder itself may not be a link (unless asked to follow it, read-only).
        try FileManager.default.createSymbolicLink(atPath: dir + "/alias", withDestinationPath: dir + "/inside")
        XCTAssertThrowsError(try DirectoryHandle(path: dir + "/alias")) { XCTAssert("\($0)".contains("is a symbolic link"), "\($0)") }
        XCTAssertNoThrow(try DirectoryHandle(path: dir + "/alias", followLink: true))
    }

    func testNoReplaceCommitNeverOverwrites() throws {
        let h = try DirectoryHandle(path: dir + "/inside")
        try h.writeAtomically([1], to: "v", replace: false)
        XCTAssertThrowsError(try h.writeAtomically([2], to: "v", replace: false)) { XCTAssert("\($0)".contains("exists already"), "\($0)") }
        XCTAssertEqual(try h.read("v"), [1])
        XCTAssertEqual(try h.names().sorted(), ["v"], "no temporary file left")
        try h.writeAtomically([3], to: "v")
        XCTAssertEqual(try h.read("v"), [3])
    }

    func testFIFOsAndFoldersAreRefusedWithoutBlocking() throws {
        XCTAssertEqual(mkfifo(dir + "/inside/pipe", 0o644), 0)
        let h = try DirectoryHandle(path: dir + "/inside")
        XCTAssertThrowsError(try h.read("pipe")) { XCTAssert("\($0)".contains("is a FIFO"), "\($0)") }
        XCTAssertThrowsError(try RegularFile.read(dir + "/inside/pipe")) { XCTAssert("\($0)".contains("is a FIFO"), "\($0)") }
        XCTAssertThrowsError(try RegularFile.read(dir + "/inside")) { XCTAssert("\($0)".contains("is a directory"), "\($0)") }
        XCTAssertThrowsError(try RegularFile.read(dir + "/outside.txt", maxBytes: 3)) { XCTAssert("\($0)".contains("limit of 3"), "\($0)") }
        XCTAssertEqual(try RegularFile.read(dir + "/outside.txt"), Array("outside\n".utf8))
    }
}

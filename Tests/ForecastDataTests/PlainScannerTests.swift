import XCTest
import Foundation
import ForecastCore
import ForecastData

/// The plain scanner (one-pass reader for quote-free blocks) must give exactly what libcsv
/// gives: the same table bit for bit, or the same error, for every input. These tests read
/// the same bytes both ways (`CSVOptions.plainScanner` on and off) and compare.
final class PlainScannerTests: XCTestCase {
    /// Reads `bytes` both ways and fails on any difference. Returns the plain scanner's table.
    @discardableResult
    func readBothWays(_ bytes: [UInt8], options base: CSVOptions = CSVOptions(), _ label: String,
                      file: StaticString = #filePath, line: UInt = #line) -> Table? {
        var plain = base, libcsv = base
        plain.plainScanner = true
        libcsv.plainScanner = false
        let a = Result { try CSVReader.read(bytes: bytes, name: "t.csv", options: plain) }
        let b = Result { try CSVReader.read(bytes: bytes, name: "t.csv", options: libcsv) }
        switch (a, b) {
        case (.success(let x), .success(let y)):
            assertSame(x, y, label, file: file, line: line)
            return x
        case (.failure(let x), .failure(let y)):
            XCTAssertEqual("\(x)", "\(y)", "\(label): different errors", file: file, line: line)
        case (.success, .failure(let y)):
            XCTFail("\(label): libcsv fails (\(y)) but the plain scanner reads it", file: file, line: line)
        case (.failure(let x), .success):
            XCTFail("\(label): the plain scanner fails (\(x)) but libcsv reads it", file: file, line: line)
        }
        return nil
    }

    /// Tables equal with numbers compared by bit pattern (NaN marks missing cells).
    func assertSame(_ x: Table, _ y: Table, _ label: String, file: StaticString, line: UInt) {
        XCTAssertEqual(x.columnNames, y.columnNames, label, file: file, line: line)
        XCTAssertEqual(x.rowCount, y.rowCount, label, file: file, line: line)
        XCTAssertEqual(x.lines, y.lines, "\(label): row lines", file: file, line: line)
        for (cx, cy) in zip(x.columns, y.columns) {
            XCTAssertEqual(cx.missing, cy.missing, "\(label): missing in \(cx.name)", file: file, line: line)
            if let nx = cx.numbers, let ny = cy.numbers {
                XCTAssertEqual(nx.map(\.bitPattern), ny.map(\.bitPattern), "\(label): column \(cx.name)", file: file, line: line)
            } else {
                XCTAssertEqual(cx.values, cy.values, "\(label): column \(cx.name)", file: file, line: line)
            }
        }
    }

    /// Number cells of every shape: the common `12.3456`, signs, exponents, leading and
    /// trailing points, long mantissas (beyond the one-pass parser), Float32 halfway cases,
    /// missing spellings and empty cells.
    static let numberCells = [
        "20.2610", "9.3829", "-3.5", "0", "-0", "0.000", "007.50", "12", "5.", ".5", "-.25", "+4", "1e3", "2.5E-07",
        "123456789012345", "1234567890.12345678", "0.1", "3.4028235e38", "16777217", "16777216.5", "33554433",
        "1.00000005960464477539062", "0.000000000000000000000000000000000000000000001", "", "NA", "NaN", "null",
    ]

    func testRandomCleanFilesReadTheSameBothWays() {
        var rng = SeededGenerator(seed: 42)
        for round in 0..<6 {
            var text = "timestamp,a,b,c,label\n"
            let crlf = round % 2 == 1
            let rows = round < 3 ? 40 : 30_000   // the large ones are cut into several blocks
            for r in 0..<rows {
                let minute = r % 60, hour = (r / 60) % 24, day = 1 + (r / 1440) % 28
                let ts = String(format: "2021-02-%02dT%02d:%02d:00", day, hour, minute)
                let cells = (0..<3).map { _ in Self.numberCells[Int(rng.next() % UInt64(Self.numberCells.count))] }
                let label = ["north", "south", "", "NA", "east-west"][Int(rng.next() % 5)]
                text += ([ts] + cells + [label]).joined(separator: ",") + (crlf ? "\r\n" : "\n")
                if rng.next() % 500 == 0 { text += crlf ? "\r\n" : "\n" }   // a blank line
            }
            if round == 2 { text.removeLast(crlf ? 2 : 1) }   // no final newline
            var options = CSVOptions()
            options.threads = 2
            options.blockBytes = 1 << 16
            let table = readBothWays(Array(text.utf8), options: options, "round \(round)")
            XCTAssertEqual(table?.rowCount, rows, "round \(round)")
        }
    }

    func testIrregularFilesReadTheSameBothWays() {
        let header = "t,x,y\n"
        let good = (0..<3000).map { "2020-01-\(String(format: "%02d", 1 + $0 / 1000))T00:\(String(format: "%02d", $0 % 60)):00,\($0).25,-\($0)\n" }.joined()
        // Each case puts one irregular line into the middle of a large clean file, where the
        // plain scanner meets it and must hand the block to libcsv.
        let irregular = [
            "2020-01-02, 1.5,2\n",            // space before a number (libcsv trims it)
            "2020-01-02,1.5 ,2\n",            // space after
            "2020-01-02,1.5,2 \r\n",          // space before CRLF
            "2020-01-02,\t7\t,2\n",           // tabs
            "   \n",                          // a line of spaces
            "2020-01-02,1.5\n",               // too few fields
            "2020-01-02,1.5,2,3\n",           // too many
            "2020-01-02,1.5,2\r",             // a lone CR
            "2020-01-02,1.5\r2\n",            // a CR inside a record
            "2020-01-02,abc,2\n",             // not a number
            "2020-01-02,1e,2\n",              // exponent without digits
            "2020-01-02,1e40,2\n",            // out of Float32's range
            "2020-13-02,1,2\n",               // impossible month
            "2020-01-02T10:00,1,2\n",         // another time style
            "2020-01-02 10:00:00,1,2\n",      // a space instead of T (another style)
            "2020-01-02T24:00:00,1,2\n",      // no such hour
            "2020-01-02T10:00:60,1,2\n",      // no such second
            "2020-02-30T10:00:00,1,2\n",      // no such day
            "2020-01-02T10:00:00Z,1,2\n",     // a zone where the column has none
            "NA,1,2\n",                       // missing time
            "2020-01-02,-999,N/A\n",          // a missing spelling
            ",,\n",                           // every cell empty
            "\r\n\r\n",                       // blank CRLF lines
        ]
        for (k, odd) in irregular.enumerated() {
            let half = good.count / 2
            let cut = good.index(good.startIndex, offsetBy: half)
            let split = good[cut...].firstIndex(of: "\n").map { good.index(after: $0) } ?? good.endIndex
            let text = header + good[..<split] + odd + good[split...]
            var options = CSVOptions()
            options.threads = 2
            options.blockBytes = 1 << 12
            readBothWays(Array(text.utf8), options: options, "case \(k): \(odd.debugDescription)")
            // The same line in a small file (one block) and as the last line without its newline.
            readBothWays(Array((header + "2020-01-01,1,2\n" + odd).utf8), "small case \(k): \(odd.debugDescription)")
            readBothWays(Array((header + "2020-01-01,1,2\n" + odd.trimmingCharacters(in: .newlines)).utf8),
                         "last line, case \(k): \(odd.debugDescription)")
        }
    }

    func testOtherDelimitersHeadersAndTokensReadTheSameBothWays() {
        for d in [";", "\t", "|"] {
            let text = "when\(d)v\(d)w\n" + (0..<500).map { "2020-03-\(String(format: "%02d", 1 + $0 % 28))\(d)\($0).5\(d)x\($0 % 7)\n" }.joined()
            readBothWays(Array(text.utf8), "delimiter \(d.debugDescription)")
        }
        // Times with a space for T, dates changing every few rows.
        let spaced = "at,v\n" + (0..<900).map { "2020-03-\(String(format: "%02d", 1 + $0 / 40)) 0\($0 % 10):15:30,\($0)\n" }.joined()
        readBothWays(Array(spaced.utf8), "times with a space")
        // No header; blank lines before the first record; a header with a CR inside.
        readBothWays(Array("1,2\n3,4\n".utf8), options: CSVOptions(hasHeader: false), "no header")
        readBothWays(Array("\n\na,b\n1,2\n".utf8), "blank lines before the header")
        readBothWays(Array("a,b\rc\n1,2\n".utf8), "a CR inside the header")
        // A numeric missing token: the plain scanner stands aside, results still agree.
        let t = readBothWays(Array("a,b\n-999,1\n2,-999\n".utf8), options: CSVOptions(missingTokens: ["", "-999"]), "numeric token")
        XCTAssertEqual(t?.column("a")?.missing, 1)
        // A skipped column.
        var options = CSVOptions()
        options.columns = [.name("b")]
        readBothWays(Array("a,b\n x ,1\nfoo,2\n".utf8), options: options, "skipped column with spaces")
    }
}

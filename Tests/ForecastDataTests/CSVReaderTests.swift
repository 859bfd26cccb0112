import XCTest
import Foundation
import ForecastData
import _TestSupport

final class CSVReaderTests: XCTestCase {
    func read(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> Table {
        try CSVReader.read(text: text, name: "t.csv", options: options)
    }

    func testQuotedFieldsWithDelimitersQuotesAndNewlines() throws {
        let t = try read("id,note,value\n1,\"a, b\",1.5\n2,\"say \"\"hi\"\"\",2\n3,\"two\nlines\",3\n4,plain,4\n")
        XCTAssertEqual(t.rowCount, 4)
        XCTAssertEqual(t.column("note")?.text(at: 0), "a, b")
        XCTAssertEqual(t.column("note")?.text(at: 1), "say \"hi\"")
        XCTAssertEqual(t.column("note")?.text(at: 2), "two\nlines")
        XCTAssertEqual(t.column("value")?.numbers, [1.5, 2, 3, 4])
        XCTAssertEqual((0..<4).map { t.lines.line(of: $0) }, [2, 3, 4, 6])
    }

    func testCRLFBOMAndMissingFinalNewline() throws {
        let t = try CSVReader.read(bytes: [0xEF, 0xBB, 0xBF] + Array("a,b\r\n1,2\r\n3,4".utf8), name: "t.csv")
        XCTAssertEqual(t.columnNames, ["a", "b"])
        XCTAssertEqual(t.column("b")?.numbers, [2, 4])
        XCTAssertEqual(t.lines.line(of: 1), 3)
    }

    func testBlankLinesAreSkippedButCounted() throws {
        let t = try read("a,b\n1,2\n\n\n3,4\n")
        XCTAssertEqual(t.rowCount, 2)
        XCTAssertEqual(t.lines.line(of: 1), 5)
    }

    func testDelimiterDetection() throws {
        for d in [";", "\t", "|", ","] {
            let t = try read("x\(d)y\(d)z\n1\(d)2\(d)3\n4\(d)5\(d)6\n")
            XCTAssertEqual(t.columnNames, ["x", "y", "z"], "delimiter \(d)")
            XCTAssertEqual(t.column("z")?.numbers, [3, 6])
        }
        // Commas inside quotes do not fool detection of ';'.
        let t = try read("name;v\n\"a,b,c\";1\n\"d,e\";2\n")
        XCTAssertEqual(t.delimiter, UInt8(ascii: ";"))
        var o = CSVOptions(); o.delimiter = UInt8(ascii: "|")
        XCTAssertEqual(try read("a|b\n1|2\n", o).columnNames, ["a", "b"])
    }

    func testMissingTokensBecomeNaNAndAreCounted() throws {
        let t = try read("v,w\n1,a\n,b\nNA,\nNaN,c\nnan,NULL\nnull,N/A\n2,d\n")
        let v = try XCTUnwrap(t.column("v")?.numbers)
        XCTAssertEqual(v.filter { $0.isNaN }.count, 5)
        XCTAssertEqual(t.column("v")?.missing, 5)
        XCTAssertEqual(t.column("w")?.missing, 3)
        var o = CSVOptions(); o.missingTokens = ["", "-999"]
        let u = try read("v\n1\n-999\n\n", o)
        XCTAssertEqual(u.column("v")?.missing, 1)
        XCTAssertThrowsError(try read("v\n1\n2\nNA\n", o)) { e in XCTAssertTrue("\(e)".hasPrefix("t.csv:4:1: expected a number in column 'v', found \"NA\""), "\(e)") }
    }

    func testNoHeader() throws {
        var o = CSVOptions(); o.hasHeader = false
        let t = try read("1,2\n3,4\n", o)
        XCTAssertEqual(t.columnNames, ["column_1", "column_2"])
        XCTAssertEqual(t.rowCount, 2)
        XCTAssertEqual(t.lines.line(of: 0), 1)
    }

    func testColumnSelectionSkipsOtherColumns() throws {
        var o = CSVOptions(); o.columns = ["value", 0]
        let t = try read("id,junk,value\n1,\"x\"\"y\",2\n3,zzz,4\n", o)
        XCTAssertEqual(t.columnNames, ["value", "id"])
        XCTAssertEqual(t.fileColumnNames, ["id", "junk", "value"])
        XCTAssertEqual(t.column("value")?.numbers, [2, 4])
        XCTAssertEqual(t.column(0)?.name, "id")
        // A bad cell in an unselected column is not an error.
        o.columns = ["id"]
        XCTAssertEqual(try read("id,temp\n1,abc\n2,3\n", o).rowCount, 2)
        o.columns = ["nope"]
        XCTAssertThrowsError(try read("id,temp\n1,2\n", o)) { e in XCTAssertTrue("\(e)".contains("no column 'nope'"), "\(e)") }
    }

    func testTypeInferenceAndOverrides() throws {
        let t = try read("when,e,city,v\n2020-01-01T00:00:00+01:00,1577836800,Oslo,1\n2020-01-01T01:00:00+01:00,1577840400,Bergen,2\n")
        XCTAssertEqual(t.columns.map(\.type), [.time, .number, .text, .number])
        let when = try XCTUnwrap(t.column("when")?.times)
        XCTAssertEqual(when.instants[0], 1_577_833_200_000)
        XCTAssertEqual(when.format.format(when.instants[1]), "2020-01-01T01:00:00+01:00")
        var o = CSVOptions(); o.types = ["epoch": .time, "v": .text]
        let u = try read("when,epoch,city,v\n2020-01-01,1577836800,Oslo,1\n", o)
        XCTAssertEqual(u.column("epoch")?.times?.instants, [1_577_836_800_000])
        XCTAssertEqual(u.column("v")?.type, .text)
        let ms = try read("timestamp,v\n1577836800000,1\n1577836800500,2\n")
        XCTAssertEqual(ms.column("timestamp")?.times?.instants, [1_577_836_800_000, 1_577_836_800_500])
    }

    func testParallelChunkedReadEqualsSerial() throws {
        // Small blocks force many rounds and cuts inside quoted, multi-line records.
        var text = "id,note,value,when\n"
        var rng = SeededGenerator(seed: 3)
        for i in 0..<3000 {
            let note = i % 7 == 0 ? "\"line\nbreak, \"\"q\"\"\"" : (i % 5 == 0 ? "" : "n\(i % 13)")
            text += "\(i),\(note),\(rng.nextFloat(in: -100, 100)),2020-01-01T\(String(i / 60 % 24).leftPad2):\(String(i % 60).leftPad2):00Z\n"
        }
        let serial = try read(text, CSVOptions(threads: 1))
        var o = CSVOptions(threads: 2); o.blockBytes = 4096
        let parallel = try read(text, o)
        XCTAssertEqual(serial.rowCount, 3000)
        assertSameTable(serial, parallel)
        XCTAssertEqual(parallel.lines.line(of: 2999), serial.lines.line(of: 2999))
        let nyc = fixturePath("nyc_weather_hourly.csv")
        assertSameTable(try CSVReader.read(path: nyc, options: CSVOptions(threads: 1)), try CSVReader.read(path: nyc, options: o))
    }

    func testErrorsInLaterChunksHaveAbsoluteLines() throws {
        var text = "a,b\n"
        for i in 0..<5000 { text += "\(i),\(i)\n" }
        text += "1,oops\n"
        var o = CSVOptions(threads: 2); o.blockBytes = 4096
        XCTAssertThrowsError(try read(text, o)) { e in
            XCTAssertEqual("\(e)", "t.csv:5002:2: expected a number in column 'b', found \"oops\"")
        }
    }

    func assertSameTable(_ a: Table, _ b: Table, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.rowCount, b.rowCount, file: file, line: line)
        XCTAssertEqual(a.columnNames, b.columnNames, file: file, line: line)
        func same(_ x: Column, _ y: Column) -> Bool {
            if let u = x.numbers, let v = y.numbers { return u.map(\.bitPattern) == v.map(\.bitPattern) && x.missing == y.missing }
            return x == y
        }
        for (x, y) in zip(a.columns, b.columns) where !same(x, y) {
            XCTFail("column \(x.name) differs (missing \(x.missing) vs \(y.missing))", file: file, line: line)
        }
        XCTAssertTrue(a.lines == b.lines, "line maps differ", file: file, line: line)
        for r in stride(from: 0, to: a.rowCount, by: 97) where a.lines.line(of: r) != b.lines.line(of: r) {
            XCTFail("row \(r): line \(a.lines.line(of: r)) vs \(b.lines.line(of: r))", file: file, line: line); break
        }
    }

    func testMutatedFilesNeverCrash() throws {
        // Truncations, byte flips and insertions of real and malformed files: every outcome
        // is a table or a DataError.
        var rng = SeededGenerator(seed: 11)
        let sources = ["air_passengers.csv", "seattle_weather_daily.csv", "bad-csv/ragged_after_multiline_field.csv"]
        let junk: [UInt8] = [0x22, 0x2C, 0x0A, 0x0D, 0x00, 0xFF, 0x3B, 0x09, 0x65, 0x2D, 0x2E, 0x31]
        for name in sources {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath(name))).prefix(4000))
            for _ in 0..<150 {
                var b = bytes
                for _ in 0..<Int(rng.next() % 4 + 1) {
                    let i = Int(rng.next() % UInt64(max(1, b.count)))
                    switch rng.next() % 3 {
                    case 0: b = Array(b.prefix(i))
                    case 1: if i < b.count { b[i] = junk[Int(rng.next() % UInt64(junk.count))] }
                    default: b.insert(junk[Int(rng.next() % UInt64(junk.count))], at: min(i, b.count))
                    }
                }
                do {
                    let t = try CSVReader.read(bytes: b, name: "m.csv", options: CSVOptions(threads: 2))
                    _ = try? DatasetSummary(table: t)
                } catch is DataError {
                } catch {
                    XCTFail("untyped error \(error)")
                }
            }
        }
    }
}

extension String {
    var leftPad2: String { count >= 2 ? self : "0" + self }
}

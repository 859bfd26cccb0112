import XCTest
import ForecastData
import _TestSupport

/// Static covariates (constant columns, a static file, categories and their vocabulary) and
/// per-series mean-absolute scaling.
final class StaticCovariateTests: XCTestCase {
    let text = """
    id,ds,y,region,size,store
    A,2020-01-01,1,north,10,1
    A,2020-01-02,3,north,10,1
    A,2020-01-03,5,north,10,1
    B,2020-01-01,-200,south,20,2
    B,2020-01-02,0,south,20,2
    B,2020-01-03,600,south,20,2
    C,2020-01-01,0,north,30,1
    C,2020-01-02,0,north,30,1
    C,2020-01-03,0,north,30,1

    """

    func load(_ text: String, name: String = "data.csv") throws -> (Table, TimeSeriesSet) {
        let table = try CSVReader.read(text: text, name: name)
        return (table, try TimeSeriesSet(table: table, seriesKey: "id"))
    }

    func testColumnsOfTheDataFile() throws {
        let (table, set) = try load(text)
        let (names, cat) = StaticCovariates.parse(["region", "size", "store:cat"])
        XCTAssertEqual(names, ["region", "size", "store"])
        XCTAssertEqual(cat, ["store"])
        let (out, spec) = try StaticCovariates.attach(set, table: table, file: nil, names: names, categorical: cat)
        XCTAssertEqual(spec.columns.map(\.kind), [.categorical, .numeric, .categorical])
        XCTAssertEqual(spec.columns[0].levels, ["north", "south"])
        XCTAssertEqual(spec.columns[2].levels, ["1", "2"])
        XCTAssertFalse(spec.fromFile)
        let region = try XCTUnwrap(out.columnIndex("region")), size = try XCTUnwrap(out.columnIndex("size"))
        XCTAssertEqual(out.series.map { $0.values[region] }, [[0, 0, 0], [1, 1, 1], [0, 0, 0]])
        XCTAssertEqual(out.series.map { $0.values[size] }, [[10, 10, 10], [20, 20, 20], [30, 30, 30]])

        // Predicting with that vocabulary: an unseen region reads the unknown index 2.
        let other = text.replacingOccurrences(of: "south", with: "west")
        let (t2, s2) = try load(other)
        let r = try StaticCovariates.attach(s2, table: t2, file: nil, spec: spec)
        XCTAssertEqual(r.unseen, 1)
        XCTAssertEqual(r.set.series[1].values[r.set.columnIndex("region")!], [2, 2, 2])
    }

    func testAValueThatChangesWithinASeriesIsAnErrorNamingLineAndColumn() throws {
        let bad = text.replacingOccurrences(of: "B,2020-01-02,0,south", with: "B,2020-01-02,0,west")
        let (table, set) = try load(bad)
        XCTAssertThrowsError(try StaticCovariates.attach(set, table: table, file: nil, names: ["region"], categorical: [])) { e in
            XCTAssertEqual("\(e)", "data.csv:6:4: static column 'region' changes within series 'B': \"west\" here, \"south\" on line 5; a static covariate must be constant within each series")
        }
        let missing = text.replacingOccurrences(of: "C,2020-01-02,0,north,30", with: "C,2020-01-02,0,north,")
        let (t2, s2) = try load(missing)
        XCTAssertThrowsError(try StaticCovariates.attach(s2, table: t2, file: nil, names: ["size"], categorical: [])) { e in
            XCTAssert("\(e)".hasPrefix("data.csv:9:5: missing value in static column 'size'"), "\(e)")
        }
    }

    func testStaticFile() throws {
        let (table, set) = try load(text)
        let file = try CSVReader.read(text: "id,segment,area\nC,x,1.5\nA,y,2.5\nB,x,3.5\n", name: "statics.csv")
        let (out, spec) = try StaticCovariates.attach(set, table: table, file: file, names: [], categorical: [])
        XCTAssertEqual(spec.names, ["segment", "area"])
        XCTAssertTrue(spec.fromFile)
        XCTAssertEqual(spec.columns[0].levels, ["y", "x"], "vocabulary in the order of the data's series")
        XCTAssertEqual(out.series.map { $0.values[out.columnIndex("area")!][0] }, [2.5, 3.5, 1.5])
        let short = try CSVReader.read(text: "id,segment\nA,y\nB,x\n", name: "statics.csv")
        XCTAssertThrowsError(try StaticCovariates.attach(set, table: table, file: short, names: [], categorical: [])) { e in
            XCTAssert("\(e)".contains("statics.csv: no row for series 'C'"), "\(e)")
        }
        XCTAssertThrowsError(try StaticCovariates.attach(set, table: table, file: nil, spec: spec)) { e in
            XCTAssert("\(e)".contains("--static-file"), "\(e)")
        }
    }

    func testSeriesScalingIsMeanAbsoluteOnTrainingRows() throws {
        let (_, set) = try load(text)
        let split = SplitSpec(validation: 0, test: 0)
        let scaling = SeriesScaling.fit(set, columns: ["y"], split: split)
        XCTAssertEqual(scaling.keys, ["A", "B", "C"])
        XCTAssertEqual(scaling.factors[0], [3])
        XCTAssertEqual(scaling.factors[1][0], 800.0 / 3, accuracy: 1e-3, "mean |y|")
        XCTAssertEqual(scaling.factors[2], [1], "an all-zero series keeps 1")
        let applied = scaling.apply(to: set, split: nil)
        XCTAssertEqual(applied.set.series[0].values[0], [1.0 / 3, 1, 5.0 / 3])
        XCTAssertEqual(applied.unseen, [])
        // A series the model never saw is scaled by its own rows.
        let other = try load(text.replacingOccurrences(of: "A,", with: "Z,")).1
        let r = scaling.apply(to: other, split: nil)
        XCTAssertEqual(r.unseen, ["Z"])
        XCTAssertEqual(r.factors[0], [3])
    }
}

import Forecast

/// One libFuzzer input: read it as CSV (with a small block size so chunk cutting runs, and on
/// two threads), then describe it and cut windows from it. Every outcome must be a value or a
/// `DataError`; anything else (a crash, a sanitizer report, an untyped error) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var options = CSVOptions(threads: 2)
    options.blockBytes = 1024
    options.sampleRows = 20
    do {
        let table = try CSVReader.read(bytes: bytes, name: "fuzz.csv", options: options)
        _ = try? DatasetSummary(table: table)
        _ = try? GridData(table: table)
        if let set = try? TimeSeriesSet(table: table, options: TimeSeriesOptions(sort: true, duplicates: .keepLast, gaps: .reindex)),
           let target = set.columnNames.first {
            let spec = WindowSpec(lookback: 2, horizon: 1, targets: [target], calendar: set.timeFormat == nil ? [] : [.hourOfDay])
            _ = try? PreparedData(set, spec: spec, split: SplitSpec(validation: 0.2, test: 0.2), missing: .interpolate)
        }
    } catch is DataError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    // The number parser on the raw bytes as one cell.
    _ = NumberParser.parseFloat(data, min(size, 64))
    _ = TimeParser.parseISO(data, min(size, 64))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ cb: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable target's entry point as `<Target>_main`; hand over to libFuzzer.
@_cdecl("FuzzCSV_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, fuzzOne)
}

import Forecast
import ForecastRetraining

/// One libFuzzer input: parse it as a retrain job file (the same path as `forecast retrain
/// --job`, minus the disk: size and nesting limits, YAML, every field's check), then derive what
/// a run derives from a valid job (settings hashes, the report JSON). Every outcome must be a
/// job or a `RetrainError`; anything else (a crash, a stack overflow, a sanitizer report, an
/// untyped error) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let job = try RetrainJob.parse(yaml: text, jobPath: "/fuzz/job.yaml")
        _ = job.modelSettingsHash
        _ = job.runSettingsHash
    } catch is RetrainError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ cb: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable target's entry point as `<Target>_main`; hand over to libFuzzer.
@_cdecl("FuzzJob_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, fuzzOne)
}

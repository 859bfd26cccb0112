import ArgumentParser
import Foundation
import Forecast

// Choose OpenBLAS's kernel before anything runs: re-executes once with OPENBLAS_CORETYPE set
// when the CPU allows a faster kernel than OpenBLAS detects (a user's own setting wins).
BLASRuntime.reexecWithBestKernelIfNeeded()

// Exit codes: 0 success, 1 data or runtime error (bad file, diverged training, ...), 2 usage
// error (unknown option, bad value, impossible combination). Errors are one line on stderr.
do {
    var command = try ForecastCommand.parseAsRoot()
    try command.run()
} catch {
    let code = ForecastCommand.exitCode(for: error)
    if code == .success {
        print(ForecastCommand.fullMessage(for: error))
        exit(0)
    }
    if code == .validationFailure {
        // Usage: the parser's message plus where to look.
        Output.error(ForecastCommand.message(for: error))
        FileHandle.standardError.write(Data("run 'forecast help' or add --help to a subcommand for usage\n".utf8))
        exit(2)
    }
    Output.error(String(describing: error))
    exit(1)
}

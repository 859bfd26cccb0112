import ArgumentParser
import Foundation
import Forecast
import ForecastRetraining

/// `forecast retrain`: one unattended retraining run described by a job file.
struct RetrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrain",
        abstract: "Retrain a model on new data and promote it only when it is not worse (for cron and systemd timers).",
        discussion: """
        Reads the job file (YAML, see docs/retraining.md), locks the model's registry folder,
        trains a challenger (warm: fine-tunes the current champion; cold: fresh weights), scores
        champion and challenger on the same holdout and promotes the challenger when the job's
        rule allows. A killed run leaves the registry consistent; the next run resumes it.

        Prints a summary (or the report as JSON with --json) on stdout and logs on stderr; a
        failed run also prints one `error:` line on stderr.
        Exit codes: 0 promoted, 3 kept champion, 4 up to date (no new data), 5 data error,
        6 training diverged, 7 lock held (another run is busy), 2 invalid job file or usage,
        1 other failures (registry unreadable, I/O).

        Every model family retrains: the job's model.family is recurrent (the default),
        seq2seq or grid (a ConvLSTM nowcaster on long-format radar frames).

        Example:
          forecast retrain --job Examples/nightly/job.yaml
          forecast predict --model Examples/nightly/registry/air-passengers --data new.csv
          forecast retrain --job Examples/nightly-radar/job.yaml
        """)

    @Option(help: ArgumentHelp("The job file (YAML).", valueName: "file"))
    var job: String

    @Flag(help: "Print the run report as JSON instead of the summary.")
    var json = false

    @Option(name: .customLong("log-format"), help: ArgumentHelp("Log lines on stderr: text or json.", valueName: "format"))
    var logFormat: String = "text"

    @Flag(name: .shortAndLong, help: "Also log every epoch (debug level).")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Log only warnings and errors.")
    var quiet = false

    func validate() throws {
        if logFormat != "text" && logFormat != "json" { throw ValidationError("--log-format must be text or json, got '\(logFormat)'") }
        if verbose && quiet { throw ValidationError("--verbose and --quiet cannot be combined") }
    }

    func run() throws {
        RetrainLogging.bootstrap(level: quiet ? "warning" : (verbose ? "debug" : "info"), json: logFormat == "json")
        let loaded: RetrainJob
        do { loaded = try RetrainJob.load(job) } catch {
            Output.error("\(error)")
            exitProcess(RetrainOutcome.invalidJob.exitCode)
        }
        let report = loaded.run()
        if json {
            print(report.json(pretty: true))
        } else {
            print(report.summary)
        }
        fflush(stdout)
        // A failed run also says why on one `error:` line of stderr (the report has the rest).
        switch report.outcome {
        case .promoted, .keptChampion, .upToDate: break
        default: Output.error(report.message.replacingOccurrences(of: "\n", with: " "))
        }
        exitProcess(report.exitCode)
    }
}

/// Ends the process with `code` (the C `exit`, which `ParsableCommand.exit` hides in commands).
private func exitProcess(_ code: Int32) -> Never {
    exit(code)
}

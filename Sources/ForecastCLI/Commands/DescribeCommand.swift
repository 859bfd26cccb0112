import ArgumentParser
import Foundation
import Forecast

/// `forecast describe`: what a CSV file holds, before training on it.
struct DescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Summarise a CSV file: rows, columns with inferred types and missing counts, time range, frequency, gaps, series.",
        discussion: """
        --json prints one object with at least rows, columns (name, type, missing) and frequency.

        Example:
          forecast describe --data nyc_weather_hourly.csv --series-key origin
        """)

    @OptionGroup var input: DataOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let time: TimeSource
        if let t = input.time { time = .column(.name(t)) }
        else if let s = input.step { time = .rowOrder(start: input.start, step: Frequency(parsing: s)) }
        else { time = .auto }
        let summary = try DatasetSummary.describe(path: input.data, options: input.csvOptions, time: time,
                                                  seriesKey: input.seriesKeyOrLongFormat.map { .name($0) })
        if json { Output.json(encodable: summary) } else { print(summary.text) }
    }
}

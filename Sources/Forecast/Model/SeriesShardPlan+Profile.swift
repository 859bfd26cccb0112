extension SeriesShardPlan {
    /// ``IntermittentDefaults/profile(_:targets:split:)`` of the whole data set from every
    /// process's series (a collective): each process counts the target values and zeros on its
    /// series' training rows and whether any is negative; the counts are gathered and added, so
    /// every rank takes the same decision a single `forecast train` takes on the whole file (the
    /// zero share is the same quotient of the same two integers).
    public func profile(_ set: TimeSeriesSet, targets: [String], split: SplitSpec) -> IntermittentDefaults.Profile {
        let local = IntermittentDefaults.profile(set, targets: targets, split: split)
        // zeroShare is zeros / values in Double, so this recovers the count exactly.
        let zeros = Int((local.zeroShare * Double(local.values)).rounded())
        let r = exchange.rank
        let all = exchange.gathered([Int64(local.values), Int64(zeros), local.nonNegative ? 0 : 1],
                                    at: [3 * r, 3 * r + 1, 3 * r + 2], count: 3 * exchange.size)
        var values = 0, zeroCount = 0, negative = 0
        for k in 0..<exchange.size {
            values += Int(all[3 * k]); zeroCount += Int(all[3 * k + 1]); negative += Int(all[3 * k + 2])
        }
        return IntermittentDefaults.Profile(series: seriesCount, values: values,
                                            zeroShare: values > 0 ? Double(zeroCount) / Double(values) : 0, nonNegative: negative == 0)
    }
}

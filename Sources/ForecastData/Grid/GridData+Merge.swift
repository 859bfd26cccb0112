extension GridData {
    /// Grids of the same place merged into one, in time order: `parts` are taken in the order
    /// given, and a frame whose time an earlier part already has replaces it (a re-sent or
    /// corrected frame of a later file wins).
    ///
    ///     parts[i].frames [T_i, C, H, W]  ->  frames [T, C, H, W], T = distinct times over all parts
    ///
    /// Every part must have the first one's value columns, size and origin (`H`, `W`, `yOrigin`,
    /// `xOrigin`); `names[i]` names part i in errors. Returns the grid and the number of frames
    /// replaced. The frequency is inferred again over the merged times.
    public static func merging(_ parts: [GridData], names: [String]) throws -> (grid: GridData, replacedFrames: Int) {
        precondition(parts.count == names.count, "one name per part")
        guard var merged = parts.first else { throw DataError.invalidArgument("no grids to merge") }
        let C = merged.channels.count, H = merged.height, W = merged.width, frameSize = C * H * W
        for (part, name) in zip(parts, names).dropFirst() {
            guard part.channels == merged.channels else {
                throw DataError.invalidArgument("\(name): value columns \(part.channels.joined(separator: ", ")), where \(names[0]) has \(merged.channels.joined(separator: ", "))")
            }
            guard part.height == H, part.width == W, part.yOrigin == merged.yOrigin, part.xOrigin == merged.xOrigin else {
                throw DataError.invalidArgument("\(name): a \(part.height)x\(part.width) grid from y \(part.yOrigin), x \(part.xOrigin), where \(names[0]) has \(H)x\(W) from y \(merged.yOrigin), x \(merged.xOrigin); every file must cover the same cells")
            }
        }
        // The part and frame that supply each time: the last one read wins.
        var source: [Int64: (part: Int, frame: Int)] = [:]
        var replaced = 0
        for (p, part) in parts.enumerated() {
            for (f, t) in part.times.enumerated() {
                if source.updateValue((p, f), forKey: t) != nil { replaced += 1 }
            }
        }
        let times = source.keys.sorted()
        var data = [Float](repeating: 0, count: times.count * frameSize)
        for (i, t) in times.enumerated() {
            guard let (p, f) = source[t] else { continue }
            let from = parts[p].frames.scalars
            for k in 0..<frameSize { data[i * frameSize + k] = from[f * frameSize + k] }
        }
        merged.frames = Tensor(shape: Shape([times.count, C, H, W]), repeating: 0)
        merged.frames.scalars = data
        merged.times = times
        merged.frequency = TimeSeriesSet.inferFrequency([times], offsetMinutes: merged.timeFormat.offsetMinutes)
        return (merged, replaced)
    }
}

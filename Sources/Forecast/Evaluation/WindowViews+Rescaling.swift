extension WindowViews {
    /// These windows, scaled with `from`, re-expressed in the scaling `to`: the data columns
    /// `inputColumns` (in input order) of the shared rows are mapped once,
    /// `to.transform(from.inverse(v))`; calendar columns are not scaled. Targets are read from
    /// the same rows, so they follow. The floats equal ``Windows/rescaled(from:to:inputColumns:targets:)``'s.
    func rescaled(from: Scaler, to: Scaler, inputColumns: [String]) -> WindowViews {
        var maps: [(Int, (Float) -> Float)] = []
        for (f, name) in inputColumns.enumerated() where f < features {
            let a = from.scaler(for: name), b = to.scaler(for: name)
            if a == b { continue }
            maps.append((f, { b.transform(a.inverse($0)) }))
        }
        return maps.isEmpty ? self : over(rows.mappingColumns(maps))
    }
}

import ForecastCore

/// The tensors of a model file against the layout its configuration implies: every tensor
/// the layout names must be present with exactly the implied shape, and the file may hold no
/// other tensor. Run after ``ConfigLimits`` (which keeps the layout's arithmetic in range) and
/// before the parameter store is allocated, so a config edited to claim other sizes fails with
/// the tensor it disagrees with instead of reading past a buffer.
public enum LayoutMatch {
    public static func check(_ layout: ParameterLayout, tensors: [(name: String, tensor: Tensor)]) throws {
        var present: [String: Shape] = [:]
        for (name, t) in tensors { present[name] = t.shape }
        for e in layout.entries {
            guard let shape = present[e.name] else {
                throw ConfigFieldError(field: "tensors", message: "lacks '\(e.name)', which the config implies (shape \(e.shape))")
            }
            guard shape == e.shape else {
                throw ConfigFieldError(field: "tensors", message: "has '\(e.name)' of shape \(shape), the config implies \(e.shape)")
            }
        }
        if tensors.count != layout.entries.count, let extra = tensors.first(where: { layout.entry($0.name) == nil }) {
            throw ConfigFieldError(field: "tensors", message: "has '\(extra.name)', which the config does not use")
        }
    }
}

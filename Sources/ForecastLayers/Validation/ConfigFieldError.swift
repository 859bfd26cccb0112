/// A configuration number or combination that a model cannot be built from, naming the field
/// by its path in the model file's `config` section (e.g. `architecture.recurrent.hiddenSize`).
/// Loaders prefix it with the file: `FILE: config field 'architecture.outputs' is -2, ...`.
public struct ConfigFieldError: Error, CustomStringConvertible, Sendable, Equatable {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "config field '\(field)' \(message)" }
}

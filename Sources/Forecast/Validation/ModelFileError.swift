/// A model file whose configuration cannot be used, naming the file and the field:
///
///     FILE: config field 'architecture.recurrent.hiddenSize' is 1000000000, outside the allowed range 1 ... 16384
///
/// Printed by the CLI as one `error:` line with exit code 1.
public struct ModelFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let field: String
    public let message: String

    public init(path: String, _ error: ConfigFieldError) {
        self.path = path
        self.field = error.field
        self.message = error.message
    }

    public var description: String { "\(path): config field '\(field)' \(message)" }
}

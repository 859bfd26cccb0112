/// Errors the commands raise themselves (data problems: exit code 1).
enum CLIError: Error, CustomStringConvertible {
    case data(String)
    var description: String {
        switch self { case .data(let m): return m }
    }
}

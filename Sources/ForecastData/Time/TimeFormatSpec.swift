/// A time format the user names instead of letting the reader detect it (`--time-format`,
/// `CSVOptions.timeFormat`):
///
/// | Text | Meaning |
/// | --- | --- |
/// | `iso` | ISO-8601 dates and date-times (the detected style) |
/// | `decimal-year` | R decimal years (`1981.00273972603`); the grid is inferred from the spacing |
/// | `excel` | Excel serial day numbers (`32874` = 1990-01-01); never detected otherwise |
/// | `epoch-s`, `epoch-ms`, `epoch-us`, `epoch-ns` | seconds … nanoseconds since 1970-01-01T00:00:00Z |
/// | anything with a `%` | a strftime-style `TimePattern`, e.g. `%d/%m/%Y`, `%m/%d/%Y %I:%M %p` |
public enum TimeFormatSpec: Sendable, Equatable, CustomStringConvertible {
    case iso
    case decimalYear
    case excel
    /// One of the epoch kinds.
    case epoch(TimeFormat.Kind)
    case pattern(TimePattern)

    /// The forms `init(parsing:)` accepts, for usage errors.
    public static let acceptedForms = "a strftime-style pattern such as '%d.%m.%Y', '%m/%d/%Y %I:%M %p' or '%Y Q%q' (directives %Y %y %m %d %b %B %H %I %M %S %f %p %q %G %V %u %z), or one of iso, decimal-year, excel, epoch-s, epoch-ms, epoch-us, epoch-ns"

    /// Parses the text forms above; nil for anything else (a pattern with an unknown directive
    /// or without a year).
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "iso", "iso8601", "iso-8601": self = .iso
        case "decimal-year", "decimal_year", "decimalyear": self = .decimalYear
        case "excel": self = .excel
        case "epoch-s", "epoch": self = .epoch(.epochSeconds)
        case "epoch-ms": self = .epoch(.epochMilliseconds)
        case "epoch-us": self = .epoch(.epochMicroseconds)
        case "epoch-ns": self = .epoch(.epochNanoseconds)
        default:
            guard text.contains("%"), let p = TimePattern(text) else { return nil }
            self = .pattern(p)
        }
    }

    public var description: String {
        switch self {
        case .iso: return "iso"
        case .decimalYear: return "decimal-year"
        case .excel: return "excel"
        case .epoch(let k):
            switch k {
            case .epochMilliseconds: return "epoch-ms"
            case .epochMicroseconds: return "epoch-us"
            case .epochNanoseconds: return "epoch-ns"
            default: return "epoch-s"
            }
        case .pattern(let p): return p.text
        }
    }
}

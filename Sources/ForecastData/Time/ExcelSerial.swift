/// Excel serial day numbers in the 1900 date system: day 1 is 1900-01-01 and the fraction is the
/// time of day. Excel counts a 29 February 1900 that never was (serial 60, kept from Lotus 1-2-3),
/// so from serial 61 (1900-03-01) on the day is `serial` days after 1899-12-30, and before it
/// `serial` days after 1899-12-31.
///
/// A column of numbers such as `32874` is as likely a count as a date, so serials are read only on
/// request (`--time-format excel`, `CSVOptions.timeFormat = .excel`), never guessed.
public enum ExcelSerial {
    /// Days from 1899-12-30 to 1970-01-01.
    static let epochOffsetDays = 25_569.0

    /// The instant of a serial (to the millisecond); nil outside years 1900…9999 or for the
    /// fictitious 1900-02-29.
    public static func instant(_ serial: Double) -> Int64? {
        guard serial.isFinite, serial >= 1, serial < 2_958_466 else { return nil }
        if serial >= 60 && serial < 61 { return nil }
        let days = serial < 60 ? serial + 1 : serial
        return Int64(((days - epochOffsetDays) * Double(CivilTime.dayMillis)).rounded())
    }

    /// The serial of an instant: whole days when it is midnight, else up to 8 decimals.
    public static func format(_ instant: Int64) -> String {
        var days = Double(instant) / Double(CivilTime.dayMillis) + epochOffsetDays
        if days < 61 { days -= 1 }
        if instant % CivilTime.dayMillis == 0 { return String(Int64(days.rounded())) }
        return DecimalYearGrid.significant15((days * 1e8).rounded() / 1e8)
    }
}

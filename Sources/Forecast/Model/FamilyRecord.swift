/// A record of a model file with a part every family shares (`Shared`) and the family's own
/// part (`Own`), written as one flat JSON object (sorted keys): the shape of the `provenance`
/// section (``ModelProvenance``) and of the series families' `config` section
/// (``SeriesModelSpec``). The fields of both parts are read and written as the record's own
/// (`provenance.history`, `spec.window`), so callers do not see the split; the two parts must
/// not share a field name.
@dynamicMemberLookup
public struct FamilyRecord<Shared: Codable & Sendable & Equatable, Own: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    /// What every family records.
    public var shared: Shared
    /// The family's own record.
    public var own: Own

    public init(shared: Shared, own: Own) {
        self.shared = shared
        self.own = own
    }

    public subscript<T>(dynamicMember key: WritableKeyPath<Shared, T>) -> T {
        get { shared[keyPath: key] }
        set { shared[keyPath: key] = newValue }
    }

    public subscript<T>(dynamicMember key: WritableKeyPath<Own, T>) -> T {
        get { own[keyPath: key] }
        set { own[keyPath: key] = newValue }
    }

    /// Both parts from the same JSON object.
    public init(from decoder: Decoder) throws {
        shared = try Shared(from: decoder)
        own = try Own(from: decoder)
    }

    /// Both parts into one JSON object.
    public func encode(to encoder: Encoder) throws {
        try shared.encode(to: encoder)
        try own.encode(to: encoder)
    }
}

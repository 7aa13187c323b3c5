/// The values of the `fold_by` keys of one alert: alerts with equal keys fold together.
///
/// Its hash is computed once, over the values' bytes in bulk: hashing the values byte by
/// byte at each lookup was most of the folder's cost in a flood. An alert's key is found
/// among the open windows' (`FoldGroups`) by `hash(of:keys:)` and `describes(_:keys:)`,
/// which read the alert's values in place: in a flood nearly every alert joins an open
/// window, and building its key (an array, the label's bytes) only to find it and drop it
/// again was most of what the folder did.
struct FoldKey: Hashable, Sendable {
    var values: [FieldValue?]
    /// The hash of the values (what `hash(of:keys:)` gives for an alert they describe).
    let digest: Int

    init(_ alert: Alert, keys: [AlertKey]) {
        values = keys.map { FieldReading($0, in: alert).value }
        digest = Self.hash(of: alert, keys: keys)
    }

    /// A key with given values and hash (tests: keys whose hashes collide).
    init(values: [FieldValue?], digest: Int) {
        self.values = values
        self.digest = digest
    }

    /// The hash of the key `init(alert, keys:)` would build, without building it.
    static func hash(of alert: Alert, keys: [AlertKey]) -> Int {
        var hasher = Hasher()
        for key in keys { FieldReading(key, in: alert).combine(into: &hasher) }
        return hasher.finalize()
    }

    /// Whether this is the key of `alert`, compared value by value in place.
    func describes(_ alert: Alert, keys: [AlertKey]) -> Bool {
        guard values.count == keys.count else { return false }
        for index in keys.indices where !FieldReading(keys[index], in: alert).equals(values[index]) { return false }
        return true
    }

    static func == (lhs: FoldKey, rhs: FoldKey) -> Bool {
        lhs.digest == rhs.digest && lhs.values == rhs.values
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(digest)
    }
}

/// One fold key's value in an alert as it is stored there: a string (the label, the node,
/// the program type) stands for `.bytes` of its UTF-8 without that array being made, and a
/// loader string is the loader's own array.
enum FieldReading {
    case text(String?)
    case bytes([UInt8]?)
    case value(FieldValue?)

    init(_ key: AlertKey, in alert: Alert) {
        // `alert.subject` each time, not bound to a name: a binding copied the whole subject.
        switch key {
        case .label: self = .text(alert.label)
        case .field(.node): self = .text(alert.subject.event.node)
        case .field(.progType): self = .text(alert.subject.program.info?.type.name)
        case .field(.progName): self = .bytes(alert.subject.program.info?.name)
        case .field(let field) where RuleSubject.isLoaderString(field): self = .bytes(alert.subject.loaderBytes(field))
        default: self = .value(key.value(in: alert))
        }
    }

    /// As `AlertKey.value(in:)` gives it.
    var value: FieldValue? {
        switch self {
        case .text(let text): text.map { .bytes(Array($0.utf8)) }
        case .bytes(let bytes): bytes.map { .bytes($0) }
        case .value(let value): value
        }
    }

    func equals(_ stored: FieldValue?) -> Bool {
        switch self {
        case .text(nil), .bytes(nil): return stored == nil
        case .text(let text?):
            guard case .bytes(let bytes)? = stored, bytes.count == text.utf8.count else { return false }
            var text = text
            return text.withUTF8 { utf8 in bytes.withUnsafeBytes { ByteSearch.equal($0, UnsafeRawBufferPointer(utf8)) } }
        case .bytes(let own?):
            guard case .bytes(let bytes)? = stored else { return false }
            return bytes.withUnsafeBytes { stored in own.withUnsafeBytes { ByteSearch.equal(stored, $0) } }
        case .value(let value): return stored == value
        }
    }

    /// Feeds the hasher the same for equal values, whichever way they are held.
    func combine(into hasher: inout Hasher) {
        switch self {
        case .text(let text?):
            var text = text
            text.withUTF8 { Self.combine(bytes: UnsafeRawBufferPointer($0), into: &hasher) }
        case .bytes(let bytes?):
            bytes.withUnsafeBytes { Self.combine(bytes: $0, into: &hasher) }
        case .text(nil), .bytes(nil), .value(nil):
            hasher.combine(0 as UInt8)
        case .value(.operation(let operation)?):
            hasher.combine(1 as UInt8)
            hasher.combine(operation)
        case .value(.number(let number)?):
            hasher.combine(2 as UInt8)
            hasher.combine(number)
        case .value(.bytes(let bytes)?):
            bytes.withUnsafeBytes { Self.combine(bytes: $0, into: &hasher) }
        case .value(.list(let items)?):
            hasher.combine(4 as UInt8)
            hasher.combine(items.count)
            for item in items {
                hasher.combine(item.count)
                item.withUnsafeBytes { hasher.combine(bytes: $0) }
            }
        }
    }

    private static func combine(bytes: UnsafeRawBufferPointer, into hasher: inout Hasher) {
        hasher.combine(3 as UInt8)
        hasher.combine(bytes.count)
        hasher.combine(bytes: bytes)
    }
}

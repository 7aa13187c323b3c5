/// `LoaderFacts` in five bytes: the package name interned in the table's string pool, and
/// the kinds in one byte (bit 7: facts present; bits 5-6 package kind; bits 2-4 trust;
/// bits 0-1 container).
struct StoredFacts {
    var package: UInt32 = 0
    var code: UInt8 = 0

    private static let trusts: [LoaderFacts.Trust] = [.unknown, .yes, .no, .deleted, .none]
    private static let containers: [LoaderFacts.Container] = [.unknown, .yes, .no]

    init() {}

    init(_ facts: LoaderFacts?, strings: inout ByteStringPool) {
        guard let facts else { return }
        let packageKind: UInt8
        switch facts.package {
        case .unknown: packageKind = 0
        case .none: packageKind = 1
        case .named(let name):
            packageKind = 2
            package = strings.retain(Array(name.utf8))
        }
        code = 1 << 7 | packageKind << 5 | UInt8(Self.trusts.firstIndex(of: facts.trust) ?? 0) << 2
            | UInt8(Self.containers.firstIndex(of: facts.container) ?? 0)
    }

    func facts(strings: ByteStringPool) -> LoaderFacts? {
        guard code & 1 << 7 != 0 else { return nil }
        let package: LoaderFacts.Package
        switch code >> 5 & 3 {
        case 1: package = .none
        case 2: package = strings.bytes(self.package).map { .named(String(decoding: $0, as: UTF8.self)) } ?? .unknown
        default: package = .unknown
        }
        let trust = Self.trusts[min(Int(code >> 2 & 7), Self.trusts.count - 1)]
        let container = Self.containers[min(Int(code & 3), Self.containers.count - 1)]
        return LoaderFacts(package: package, trust: trust, container: container)
    }
}

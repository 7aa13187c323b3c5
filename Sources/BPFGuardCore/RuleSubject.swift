/// What a policy rule is evaluated against: a BPF event, the loader recorded at LOAD and,
/// for an UNLOAD, the unloading process and the program's lifetime.
public struct RuleSubject: Sendable {
    public var event: BPFEvent
    /// The loading process: from the event itself for a LOAD, from the program table for an
    /// UNLOAD (nil when its LOAD was not seen).
    public var loader: ProcessContext?
    /// The unloading process (UNLOAD only).
    public var unloader: ProcessContext?
    /// Milliseconds between LOAD and UNLOAD, when both were seen.
    public var lifetimeMilliseconds: UInt64?
    /// The kernel's description of the program (looked up at LOAD).
    public var program: ProgramLookup
    /// Where the loader fields come from; nil when kernel lookups are off (and then neither
    /// it nor the program fields are part of the alert).
    public var identity: LoaderIdentity?
    /// With `identity` proc: how many distinct processes held the program when its loader
    /// was recovered (more than one: the loader is ambiguous).
    public var holders: UInt32?
    /// The loader's package, trust and container, gathered at LOAD (nil without lookups).
    public var facts: LoaderFacts?

    public init(event: BPFEvent, loader: ProcessContext?, unloader: ProcessContext? = nil, lifetimeMilliseconds: UInt64? = nil,
                program: ProgramLookup = .notDone, identity: LoaderIdentity? = nil, holders: UInt32? = nil, facts: LoaderFacts? = nil) {
        self.event = event
        self.loader = loader
        self.unloader = unloader
        self.lifetimeMilliseconds = lifetimeMilliseconds
        self.program = program
        self.identity = identity
        self.holders = holders
        self.facts = facts
    }

    /// The field's value, or nil when the event does not carry it.
    public func value(of field: RuleField) -> FieldValue? {
        switch field {
        case .op: return .operation(event.operation)
        case .progID: return .number(UInt64(event.programID))
        case .progType: return program.info.map { .bytes(Array($0.type.name.utf8)) }
        case .progName: return program.info.map { .bytes($0.name) }
        case .progTag: return program.info.map { .bytes(Array($0.tag.utf8)) }
        case .helpers: return program.info?.helpers.map { .list($0.map { Array($0.utf8) }) }
        case .createdByUID: return program.info.map { .number(UInt64($0.createdByUID)) }
        case .info:
            // What the lookup found: the program (`found`), none because it was already
            // unloaded (`gone`: libbpf's probes live for microseconds), or an error.
            switch program {
            case .notDone: return nil
            case .found: return .bytes(Array("found".utf8))
            case .gone: return .bytes(Array("gone".utf8))
            case .failed: return .bytes(Array("error".utf8))
            }
        case .identity: return identity.map { .bytes(Array($0.rawValue.utf8)) }
        case .holders: return number(holders)
        case .node: return event.node.map { .bytes(Array($0.utf8)) }
        case .uid: return number(loader?.uid)
        case .auid: return number(loader?.auid)
        case .euid: return number(loader?.euid)
        case .gid: return number(loader?.gid)
        case .pid: return number(loader?.pid)
        case .ppid: return number(loader?.ppid)
        case .ses: return number(loader?.ses)
        case .tty: return bytes(loader?.tty)
        case .comm: return bytes(loader?.comm)
        case .exe: return bytes(loader?.exe)
        case .exePackage:
            switch facts?.package {
            case .named(let name)?: return .bytes(Array(name.utf8))
            case .none?: return .bytes(Array("none".utf8))
            case .unknown?, nil: return nil
            }
        case .exeTrusted: return word(facts?.trust.rawValue)
        case .container: return word(facts?.container.rawValue)
        case .cmdline: return bytes(loader?.cmdline)
        case .key: return bytes(loader?.key)
        case .syscall: return bytes(loader?.syscall)
        case .lifetime: return lifetimeMilliseconds.map { .number($0) }
        case .unloaderUID: return number(unloader?.uid)
        case .unloaderPID: return number(unloader?.pid)
        case .unloaderComm: return bytes(unloader?.comm)
        case .unloaderExe: return bytes(unloader?.exe)
        }
    }

    /// A loader number field's value (`uid` … `ses`), read in place for `Condition.matches`.
    func loaderNumber(_ field: RuleField) -> UInt32? {
        guard let loader else { return nil }
        switch field {
        case .uid: return loader.uid
        case .auid: return loader.auid
        case .euid: return loader.euid
        case .gid: return loader.gid
        case .pid: return loader.pid
        case .ppid: return loader.ppid
        case .ses: return loader.ses
        default: return nil
        }
    }

    /// Whether `loaderBytes` reads the field.
    static func isLoaderString(_ field: RuleField) -> Bool {
        switch field {
        case .tty, .comm, .exe, .key, .syscall, .cmdline: true
        default: false
        }
    }

    /// A loader string field's value (`tty` … `cmdline`), read in place for `Condition.matches`.
    func loaderBytes(_ field: RuleField) -> [UInt8]? {
        guard let strings = loader?.strings else { return nil }
        switch field {
        case .tty: return strings.tty
        case .comm: return strings.comm
        case .exe: return strings.exe
        case .key: return strings.key
        case .syscall: return strings.syscall
        case .cmdline: return strings.cmdline
        default: return nil
        }
    }

    private func number(_ value: UInt32?) -> FieldValue? { value.map { .number(UInt64($0)) } }
    private func bytes(_ value: [UInt8]?) -> FieldValue? { value.map { .bytes($0) } }
    /// A fact's word; `?` is unknown.
    private func word(_ value: String?) -> FieldValue? { value.flatMap { $0 == "?" ? nil : .bytes(Array($0.utf8)) } }
}

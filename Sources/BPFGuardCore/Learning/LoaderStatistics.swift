/// What learning mode saw of one loader (or group of loaders), in bounded space: the
/// numbers each proposed rule's comment gives, and those `--min-count` and `--min-days`
/// test. Strings are kept escaped (as alerts print them), so that they sort and print as is.
public struct LoaderStatistics: Hashable, Sendable {
    public private(set) var loads: UInt64 = 0
    /// Unloads of programs these loads loaded.
    public private(set) var unloads: UInt64 = 0
    /// UTC days (since the epoch) on which programs were loaded.
    public private(set) var days = SmallestValues<UInt64>(limit: 4096)
    /// First and last LOAD or UNLOAD, milliseconds since the epoch.
    public private(set) var first: UInt64?
    public private(set) var last: UInt64?
    public private(set) var uids = SmallestValues<UInt32>(limit: 8)
    public private(set) var auids = SmallestValues<UInt32>(limit: 8)
    public private(set) var ttys = SmallestValues<String>(limit: 4)
    public private(set) var comms = SmallestValues<String>(limit: 4)
    /// The loaders' command lines (for the narrower rule of a generic loader).
    public private(set) var commandLines = CommandLineSummary()
    public private(set) var programTypes = SmallestValues<String>(limit: 8)
    public private(set) var programNames = SmallestValues<String>(limit: 5)
    public private(set) var nodes = SmallestValues<String>(limit: 8)
    public private(set) var lifetimes = LifetimeSummary()

    public init() {}

    public mutating func recordLoad(_ event: BPFEvent, loader: ProcessContext?, program: ProgramLookup) {
        loads &+= 1
        days.insert(UTCDateTime.dayNumber(secondsSinceEpoch: event.timestamp.seconds))
        seen(event)
        if let loader {
            if let uid = loader.uid { uids.insert(uid) }
            if let auid = loader.auid { auids.insert(auid) }
            if let tty = loader.tty { ttys.insert(AlertEscaping.quoted(tty)) }
            if let comm = loader.comm { comms.insert(AlertEscaping.quoted(comm)) }
            commandLines.add(loader.cmdline)
        }
        if let info = program.info {
            programTypes.insert(info.type.name)
            programNames.insert(AlertEscaping.quoted(info.name))
        }
    }

    public mutating func recordUnload(_ event: BPFEvent, lifetimeMilliseconds: UInt64?) {
        unloads &+= 1
        seen(event)
        if let lifetimeMilliseconds { lifetimes.add(lifetimeMilliseconds) }
    }

    public mutating func merge(_ other: LoaderStatistics) {
        loads &+= other.loads
        unloads &+= other.unloads
        days.merge(other.days)
        if let time = other.first { first = min(first ?? time, time) }
        if let time = other.last { last = max(last ?? time, time) }
        uids.merge(other.uids)
        auids.merge(other.auids)
        ttys.merge(other.ttys)
        comms.merge(other.comms)
        commandLines.merge(other.commandLines)
        programTypes.merge(other.programTypes)
        programNames.merge(other.programNames)
        nodes.merge(other.nodes)
        lifetimes.merge(other.lifetimes)
    }

    private mutating func seen(_ event: BPFEvent) {
        let time = event.timestamp.totalMilliseconds
        first = min(first ?? time, time)
        last = max(last ?? time, time)
        if let node = event.node { nodes.insert(AlertEscaping.token(Array(node.utf8))) }
    }
}

/// The open fold windows' groups by key, found from an alert without building its key
/// (`FoldKey.hash(of:keys:)`, `FoldKey.describes`): a dictionary from the key's hash to a
/// chain of slots (keys whose hashes collide share a chain), the slots reused. Keys, links
/// and groups are kept apart, so that following a chain copies no group (a group holds an
/// alert).
struct FoldGroups<Group: Sendable>: Sendable {
    /// The first slot of each hash's chain.
    private var heads: [Int: Int32] = [:]
    /// By slot; nil: free.
    private var keys: [FoldKey?] = []
    private var groups: [Group?] = []
    /// By slot: the next slot of the same hash; -1: none.
    private var next: [Int32] = []
    /// By slot: how many groups it has held (a remembered slot is checked against it).
    private var generations: [UInt32] = []
    private var freeSlots: [Int32] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The slot of the group whose key describes `alert`, whose hash is `hash`.
    func slot(of alert: Alert, keys alertKeys: [AlertKey], hash: Int) -> Int32? {
        var slot = heads[hash] ?? -1
        while slot >= 0 {
            if keys[Int(slot)]!.describes(alert, keys: alertKeys) { return slot }
            slot = next[Int(slot)]
        }
        return nil
    }

    /// The generation of the group in `slot`.
    func generation(of slot: Int32) -> UInt32 { generations[Int(slot)] }

    /// Whether `slot` still holds the group it held at `generation`.
    func holds(_ slot: Int32, generation: UInt32) -> Bool {
        Int(slot) < keys.count && keys[Int(slot)] != nil && generations[Int(slot)] == generation
    }

    /// The group in `slot` (from `slot(of:keys:hash:)`), changed in place.
    subscript(slot: Int32) -> Group {
        get { groups[Int(slot)]! }
        _modify { yield &groups[Int(slot)]! }
    }

    /// Adds a group for a key no group has; returns its slot.
    @discardableResult
    mutating func insert(_ group: Group, for key: FoldKey) -> Int32 {
        let following = heads[key.digest] ?? -1
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            keys[Int(slot)] = key
            groups[Int(slot)] = group
            next[Int(slot)] = following
            generations[Int(slot)] &+= 1
        } else {
            slot = Int32(keys.count)
            keys.append(key)
            groups.append(group)
            next.append(following)
            generations.append(0)
        }
        heads[key.digest] = slot
        count += 1
        return slot
    }

    /// Removes and returns the group of `key`.
    mutating func remove(_ key: FoldKey) -> Group? {
        var previous: Int32 = -1
        var slot = heads[key.digest] ?? -1
        while slot >= 0 {
            let following = next[Int(slot)]
            if keys[Int(slot)] == key {
                if previous >= 0 {
                    next[Int(previous)] = following
                } else if following >= 0 {
                    heads[key.digest] = following
                } else {
                    heads.removeValue(forKey: key.digest)
                }
                let group = groups[Int(slot)]
                keys[Int(slot)] = nil
                groups[Int(slot)] = nil
                freeSlots.append(slot)
                count -= 1
                return group
            }
            previous = slot
            slot = following
        }
        return nil
    }
}

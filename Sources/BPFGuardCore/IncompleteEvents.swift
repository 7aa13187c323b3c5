/// An audit event the pre-filter has seen a BPF record of: records of one (node, serial).
struct EventKey: Hashable, Sendable {
    var serial: UInt64
    var seconds: UInt64
    var node: [UInt8]?

    /// The node's bytes are hashed in one call (an array of bytes would be hashed byte by byte).
    func hash(into hasher: inout Hasher) {
        hasher.combine(serial)
        hasher.combine(seconds)
        if let node {
            hasher.combine(node.count)
            node.withUnsafeBytes { hasher.combine(bytes: $0) }
        } else {
            hasher.combine(-1)
        }
    }

    /// Whether `line`'s node (the range `node` of it, nil without a prefix) is this key's.
    func hasNode(_ node: Range<Int>?, of line: UnsafeBufferPointer<UInt8>) -> Bool {
        switch (self.node, node) {
        case (nil, nil): true
        case (let own?, let range?): UnsafeBufferPointer(rebasing: line[range]).elementsEqual(own)
        default: false
        }
    }
}

/// The open events still taking records (`OpenEvents`), found by a record's stamp and node.
///
/// Why apart from the dictionary it used to be: nearly always one or two events are
/// incomplete at a time, and a flood of loads inserted and removed a dictionary entry (two
/// hashes) per event. Up to `listed` events are kept in a short list looked through; beyond
/// that, by serial in a dictionary, until none is left.
struct IncompleteEvents: Sendable {
    /// The incomplete events of one serial: nearly always one; several (other nodes, or
    /// another second) by their keys.
    private enum Serial: Sendable {
        case one(UInt64, EventKey)
        case several([EventKey: UInt64])
    }

    private var list: [(id: UInt64, key: EventKey)] = []
    private var bySerial: [UInt64: Serial] = [:]
    private var indexed = false
    private(set) var count = 0

    /// Up to this many, a list; beyond, the dictionary.
    static let listed = 8

    mutating func insert(_ id: UInt64, key: EventKey) {
        count += 1
        if !indexed {
            if list.count < Self.listed {
                list.append((id, key))
                return
            }
            indexed = true
            for entry in list { index(entry.id, key: entry.key) }
            list.removeAll(keepingCapacity: true)
        }
        index(id, key: key)
    }

    mutating func remove(_ id: UInt64, key: EventKey) {
        if !indexed {
            guard let position = list.firstIndex(where: { $0.id == id }) else { return }
            list.swapAt(position, list.count - 1)
            list.removeLast()
            count -= 1
            return
        }
        switch bySerial.removeValue(forKey: key.serial) {
        case nil:
            return
        case .one(let known, let knownKey)?:
            guard known == id else {
                bySerial[key.serial] = .one(known, knownKey)
                return
            }
        case .several(var ids)?:
            guard ids[key] == id else {
                bySerial[key.serial] = .several(ids)
                return
            }
            ids.removeValue(forKey: key)
            if ids.count == 1, let remaining = ids.first {
                bySerial[key.serial] = .one(remaining.value, remaining.key)
            } else if !ids.isEmpty {
                bySerial[key.serial] = .several(ids)
            }
        }
        count -= 1
        if count == 0 {
            indexed = false
            bySerial.removeAll(keepingCapacity: true)
        }
    }

    func id(for key: EventKey) -> UInt64? {
        guard count > 0 else { return nil }
        if !indexed { return list.first { $0.key == key }?.id }
        switch bySerial[key.serial] {
        case nil: return nil
        case .one(let id, let known)?: return known == key ? id : nil
        case .several(let ids)?: return ids[key]
        }
    }

    /// The event of the record with this stamp and node (`node`: its range in `line`), with
    /// no key built unless several events share the serial.
    func id(serial: UInt64, seconds: UInt64, node: Range<Int>?, of line: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard count > 0 else { return nil }
        if !indexed {
            for entry in list where entry.key.serial == serial && entry.key.seconds == seconds && entry.key.hasNode(node, of: line) {
                return entry.id
            }
            return nil
        }
        switch bySerial[serial] {
        case nil:
            return nil
        case .one(let id, let key)?:
            return key.seconds == seconds && key.hasNode(node, of: line) ? id : nil
        case .several(let ids)?:
            return ids[EventKey(serial: serial, seconds: seconds, node: node.map { Array(line[$0]) })]
        }
    }

    private mutating func index(_ id: UInt64, key: EventKey) {
        switch bySerial.updateValue(.one(id, key), forKey: key.serial) {
        case nil:
            break
        case .one(let other, let otherKey)?:
            bySerial[key.serial] = .several([otherKey: other, key: id])
        case .several(var ids)?:
            ids[key] = id
            bySerial[key.serial] = .several(ids)
        }
    }
}

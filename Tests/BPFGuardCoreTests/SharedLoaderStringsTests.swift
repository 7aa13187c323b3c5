import Testing
@testable import BPFGuardCore

/// A loader's strings shared between copies (issue 10, section 3): the program table's string
/// pool found by storage address, and `ProcessContext`'s one `ProcessStrings` object.
@Suite struct SharedLoaderStringsTests {
    typealias Generator = RandomInputTests.Generator

    /// Random retains and releases against a model: every reference gives back its bytes,
    /// equal bytes share a reference, and a string is dropped with its last reference, also
    /// when a freed storage's address comes back for other bytes.
    @Test func poolAgreesWithAModel() {
        var random = Generator(state: 20)
        var pool = ByteStringPool()
        var held: [(reference: UInt32, bytes: [UInt8])] = []
        var kept: [[UInt8]] = []
        for _ in 0..<20000 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<4:
                // A fresh array (new storage), often with bytes the pool already has.
                let bytes = RandomInputTests.bytes(&random, maximum: 3)
                let reference = pool.retain(bytes)
                held.append((reference, bytes))
                if Bool.random(using: &random) { kept.append(bytes) }
            case 4..<7:
                // The very array retained before (the extractor's repeated values).
                guard let bytes = kept.randomElement(using: &random) else { continue }
                held.append((pool.retain(bytes), bytes))
            default:
                guard !held.isEmpty else { continue }
                let index = Int.random(in: 0..<held.count, using: &random)
                pool.release(held[index].reference)
                held.remove(at: index)
            }
            if kept.count > 50 { kept.removeFirst(25) }
        }
        var referenceOf: [[UInt8]: UInt32] = [:]
        for (reference, bytes) in held {
            #expect(pool.bytes(reference) == bytes)
            #expect(referenceOf[bytes, default: reference] == reference, "equal bytes, one reference")
            referenceOf[bytes] = reference
        }
        #expect(pool.count == Set(held.map(\.bytes)).count, "strings live exactly as long as a reference to them")
        for (reference, _) in held { pool.release(reference) }
        #expect(pool.count == 0)
    }

    @Test func theSameStorageIsFoundAgain() {
        var pool = ByteStringPool()
        let exe = Array("/usr/sbin/bpftool".utf8)
        let first = pool.retain(exe)
        #expect(pool.retain(exe) == first)
        #expect(pool.retain(Array("/usr/sbin/bpftool".utf8)) == first, "equal bytes in another array")
        #expect(pool.retain(Array("/usr/sbin/bpftoo".utf8)) != first)
        #expect(pool.retain(nil) == 0)
        #expect(pool.count == 2)
    }

    @Test func processStringsAreSharedAndCompared() {
        let strings = ProcessStrings(comm: Array("bpftool".utf8), exe: Array("/usr/sbin/bpftool".utf8))
        let a = ProcessContext(uid: 0, pid: 10, strings: strings)
        let b = ProcessContext(uid: 0, pid: 10, strings: strings)
        let c = ProcessContext(uid: 0, pid: 10, comm: Array("bpftool".utf8), exe: Array("/usr/sbin/bpftool".utf8))
        #expect(a == b && a == c && a.hashValue == c.hashValue, "equal by identity or by value")
        #expect(a != ProcessContext(uid: 0, pid: 11, strings: strings))
        #expect(ProcessContext().strings === ProcessStrings.none, "no strings: the shared empty object")
        var changed = a
        changed.exe = Array("/tmp/x".utf8)
        #expect(changed.exe == Array("/tmp/x".utf8) && changed.comm == Array("bpftool".utf8))
        #expect(a.exe == Array("/usr/sbin/bpftool".utf8), "a copy keeps its strings")
        #expect(changed.strings !== strings)
        changed.exe = a.exe
        #expect(changed == a)
        for keyPath in [\ProcessContext.tty, \.comm, \.exe, \.key, \.syscall, \.cmdline] {
            var context = ProcessContext()
            context[keyPath: keyPath] = [1]
            #expect(context[keyPath: keyPath] == [1])
            #expect([\ProcessContext.tty, \.comm, \.exe, \.key, \.syscall, \.cmdline].filter { context[keyPath: $0] != nil }.count == 1)
        }
    }
}

import Testing
@testable import BPFGuardCore

/// Helper recognition from translated instructions, and the program fields in rules and
/// alerts.
@Suite struct ProgramEnrichmentTests {
    /// kallsyms lines as this kernel prints them (addresses are made up around a base).
    static let kallsyms = """
    ffffffff814ca810 T __bpf_call_base
    ffffffff814baf50 T bpf_send_signal
    ffffffff814baf90 T bpf_send_signal_thread
    ffffffff814bce40 T bpf_probe_write_user
    ffffffff814bd000 T bpf_override_return
    ffffffff814c0000 t bpf_map_lookup_elem
    ffffffff814c1000 T bpf_trace_printk
    ffffffff814c2000 T not_a_helper
    ffffffffc0001000 t bpf_mod_func\t[some_module]
    """

    static func offset(_ address: UInt64) -> Int32 {
        Int32(Int64(bitPattern: address) - Int64(bitPattern: 0xffffffff814ca810))
    }

    /// One instruction: code, dst/src registers, offset, immediate (little-endian).
    static func instruction(code: UInt8, dst: UInt8 = 0, src: UInt8 = 0, imm: Int32 = 0) -> [UInt8] {
        let value = UInt32(bitPattern: imm)
        return [code, src << 4 | dst, 0, 0, UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }

    static let scanner = HelperCallScanner.fromKallsyms(kallsyms.split(separator: "\n"))!

    @Test func recognisesTheHelpersRootkitsUse() {
        let program = Self.instruction(code: 0xb7, dst: 1)  // r1 = 0
            + Self.instruction(code: 0x85, imm: Self.offset(0xffffffff814bce40))  // call bpf_probe_write_user
            + Self.instruction(code: 0x85, imm: Self.offset(0xffffffff814bd000))  // call bpf_override_return
            + Self.instruction(code: 0x85, imm: Self.offset(0xffffffff814baf50))  // call bpf_send_signal
            + Self.instruction(code: 0x85, imm: Self.offset(0xffffffff814baf90))  // call bpf_send_signal_thread
            + Self.instruction(code: 0x85, imm: Self.offset(0xffffffff814baf50))  // again
            + Self.instruction(code: 0x95)  // exit
        #expect(Self.scanner.helpers(in: program) == ["bpf_override_return", "bpf_probe_write_user", "bpf_send_signal", "bpf_send_signal_thread"])
    }

    @Test func otherCallsAndInstructions() {
        let program = Self.instruction(code: 0x85, src: 1, imm: 5)  // bpf-to-bpf call: left out
            + Self.instruction(code: 0x85, imm: 12)  // tail call as dumped by the kernel
            + Self.instruction(code: 0x85, imm: 999_999)  // an address with no symbol
            + Self.instruction(code: 0x18, imm: Self.offset(0xffffffff814baf50))  // ld_imm64: not a call
        #expect(Self.scanner.helpers(in: program) == ["bpf_tail_call", "unknown"])
        #expect(Self.scanner.helpers(in: Self.instruction(code: 0x85, src: 1, imm: 5)) == [], "a call inside the program is no helper")
        #expect(Self.scanner.helpers(in: []) == [])
        #expect(Self.scanner.helpers(in: [0x85, 0, 0]) == [], "a truncated instruction is ignored")
    }

    /// kallsyms lines of this kernel's map operations and kfuncs (addresses made up).
    static let kallsymsWithMapsAndKfuncs = """
    ffffffff814ca810 T __bpf_call_base
    ffffffff81200000 t array_map_lookup_elem
    ffffffff81200100 t __htab_map_lookup_elem
    ffffffff81200200 t htab_map_update_elem
    ffffffff81200300 t htab_map_delete_elem
    ffffffff81200400 t dev_map_redirect
    ffffffff81200500 t bpf_for_each_hash_elem
    ffffffff81200600 t percpu_array_map_lookup_percpu_elem
    ffffffff81200700 t queue_map_pop_elem
    ffffffff81200800 T bpf_send_signal_task
    ffffffff81200900 T css_rstat_flush
    ffffffff81200a00 T unrelated_function
    ffffffffc0002000 t bpf_xdp_ct_lookup	[nf_conntrack]
    """

    @Test func mapOperationsAndKfuncsAreNamed() throws {
        let lines = Self.kallsymsWithMapsAndKfuncs.split(separator: "\n")
        let kfuncs: Set<String> = ["bpf_send_signal_task", "css_rstat_flush", "bpf_xdp_ct_lookup"]
        let scanner = try #require(HelperCallScanner.fromKallsyms(lines, kfuncNames: kfuncs, kfuncsByBTFID: [65561: "bpf_send_signal_task"]))
        func call(_ address: UInt64, src: UInt8 = 0) -> [UInt8] { Self.instruction(code: 0x85, src: src, imm: Self.offset(address)) }
        let maps = call(0xffffffff81200000) + call(0xffffffff81200100) + call(0xffffffff81200200) + call(0xffffffff81200300)
            + call(0xffffffff81200400) + call(0xffffffff81200500) + call(0xffffffff81200600) + call(0xffffffff81200700)
        #expect(scanner.helpers(in: maps) == ["bpf_for_each_map_elem", "bpf_map_delete_elem", "bpf_map_lookup_elem", "bpf_map_lookup_percpu_elem",
                                               "bpf_map_pop_elem", "bpf_map_update_elem", "bpf_redirect_map"])
        // kfunc calls (source register 2): by address, by BTF id, in a module.
        let byAddress = call(0xffffffff81200800, src: 2) + call(0xffffffff81200900, src: 2) + call(0xffffffffc0002000, src: 2)
        #expect(scanner.helpers(in: byAddress) == ["bpf_send_signal_task", "bpf_xdp_ct_lookup", "css_rstat_flush"])
        #expect(scanner.helpers(in: Self.instruction(code: 0x85, src: 2, imm: 65561)) == ["bpf_send_signal_task"])
        // A function the table does not hold is looked up once, with all the others.
        var asked: [Set<Int64>] = []
        let missing = call(0xffffffff81200a00) + call(0xffffffff81200a00, src: 2) + call(0xffffffff814cf000)
        let names = scanner.helpers(in: missing) { offsets in
            asked.append(offsets)
            return [Int64(Self.offset(0xffffffff81200a00)): "unrelated_function"]
        }
        #expect(names == ["unknown", "unrelated_function"])
        #expect(asked == [[Int64(Self.offset(0xffffffff81200a00)), Int64(Self.offset(0xffffffff814cf000))]])
        #expect(scanner.functionsByOffset.count == 11, "unrelated functions are not kept: \(scanner.functionsByOffset)")
        #expect(scanner.callBase == 0xffffffff814ca810)
    }

    @Test func helperNamesOfMapOperations() {
        #expect(HelperNaming.helperName(forSymbol: "array_map_lookup_elem") == "bpf_map_lookup_elem")
        #expect(HelperNaming.helperName(forSymbol: "__htab_map_lookup_elem") == "bpf_map_lookup_elem")
        #expect(HelperNaming.helperName(forSymbol: "trie_update_elem") == "bpf_map_update_elem")
        #expect(HelperNaming.helperName(forSymbol: "sock_map_lookup") == "bpf_map_lookup_elem")
        #expect(HelperNaming.helperName(forSymbol: "bloom_map_peek_elem") == "bpf_map_peek_elem")
        #expect(HelperNaming.helperName(forSymbol: "stack_map_push_elem") == "bpf_map_push_elem")
        #expect(HelperNaming.helperName(forSymbol: "xsk_map_redirect") == "bpf_redirect_map")
        #expect(HelperNaming.helperName(forSymbol: "bpf_for_each_array_elem") == "bpf_for_each_map_elem")
        #expect(HelperNaming.helperName(forSymbol: "bpf_map_lookup_elem") == "bpf_map_lookup_elem")
        #expect(HelperNaming.helperName(forSymbol: "bpf_msg_redirect_map") == "bpf_msg_redirect_map", "a helper of its own")
        #expect(HelperNaming.helperName(forSymbol: "bpf_send_signal") == "bpf_send_signal")
        #expect(HelperNaming.isMapOperation("htab_lru_map_delete_elem"))
        #expect(!HelperNaming.isMapOperation("bpf_send_signal"))
    }

    /// This kernel's own map operations, from /proc/kallsyms: each has a helper name.
    @Test(.enabled(if: TestFiles.exists("/proc/kallsyms"), "no /proc/kallsyms"))
    func mapOperationsOfThisKernel() throws {
        let symbols = Set(String(decoding: try #require(TestFiles.read("/proc/kallsyms")), as: UTF8.self)
            .split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst(2).first.map(String.init) })
        for name in ["array_map_lookup_elem", "__htab_map_lookup_elem", "htab_map_update_elem", "htab_map_delete_elem"] where symbols.contains(name) {
            #expect(HelperNaming.helperName(forSymbol: name).hasPrefix("bpf_map_"), "\(name)")
        }
        #expect(symbols.contains("htab_map_update_elem"), "the hash map's update function, which the verifier calls")
    }

    @Test func kallsymsTable() {
        #expect(Self.scanner.functionsByOffset.values.sorted() == ["bpf_map_lookup_elem", "bpf_override_return", "bpf_probe_write_user",
                                                                   "bpf_send_signal", "bpf_send_signal_thread", "bpf_trace_printk"],
                "module symbols and non-bpf_ names are left out")
        #expect(HelperCallScanner.fromKallsyms("0000000000000000 T __bpf_call_base\n0000000000000000 T bpf_send_signal\n".split(separator: "\n")) == nil,
                "hidden addresses (kptr_restrict) give no table")
        #expect(HelperCallScanner.fromKallsyms("ffffffff814baf50 T bpf_send_signal\n".split(separator: "\n")) == nil)
        let fromBytes = HelperCallScanner.fromKallsyms(bytes: Array(Self.kallsyms.utf8))
        #expect(fromBytes?.functionsByOffset == Self.scanner.functionsByOffset)
    }

    static func info(helpers: [String]?, type: UInt32 = 2, name: String = "sigprog") -> ProgramInfo {
        ProgramInfo(type: BPFProgramType(rawValue: type), name: Array(name.utf8), tag: "c0c8c81851fbeb13", createdByUID: 0, helpers: helpers)
    }

    @Test func helperSetsMatchAnyOrNone() throws {
        let policy = try compiledPolicy("""
        %dangerous = bpf_probe_write_user, bpf_override_return, bpf_send_signal*
        alert dangerous-helper op=load helpers=%dangerous priority=crit
        alert printk op=load helpers=bpf_trace_printk
        alert unknown-helpers op=load helpers=?
        alert harmless op=load helpers!=%dangerous
        """)
        func label(_ helpers: [String]?) -> String? {
            decide(policy, RuleSubject(event: load(1), loader: process(), program: .found(Self.info(helpers: helpers)), identity: .audit))
        }
        #expect(label(["bpf_map_lookup_elem", "bpf_send_signal_thread"]) == "dangerous-helper")
        #expect(label(["bpf_trace_printk"]) == "printk")
        #expect(label(nil) == "unknown-helpers")
        #expect(label([]) == "harmless", "a program that calls no helper calls none of the set")
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(), program: .gone, identity: .audit)) == "unknown-helpers")
    }

    @Test func programFields() throws {
        let policy = try compiledPolicy("""
        %tracing = kprobe, tracepoint, raw_tracepoint, tracing, lsm, perf_event
        alert tracing op=load prog-type=%tracing prog-name=sig* prog-tag=c0c8c81851fbeb13 created-by-uid=root
        alert recovered op=load identity=proc
        """)
        let subject = RuleSubject(event: load(1), loader: process(), program: .found(Self.info(helpers: [])), identity: .audit)
        #expect(decide(policy, subject) == "tracing")
        let socket = RuleSubject(event: load(1), loader: process(), program: .found(Self.info(helpers: [], type: 1)), identity: .proc)
        #expect(decide(policy, socket) == "recovered")
        #expect(parse("alert x helpers<3\n").errors.first?.message == "operator '<' compares numbers; 'helpers' is a name-set field (use = or !=)")
    }

    @Test func typeNames() {
        #expect(BPFProgramType(rawValue: 1).name == "socket_filter")
        #expect(BPFProgramType(rawValue: 2).name == "kprobe")
        #expect(BPFProgramType(rawValue: 6).name == "xdp")
        #expect(BPFProgramType(rawValue: 26).name == "tracing")
        #expect(BPFProgramType(rawValue: 29).name == "lsm")
        #expect(BPFProgramType(rawValue: 500).name == "type_500")
    }

    @Test func enrichedAlertLine() {
        var subject = RuleSubject(event: load(2211, at: stamp(1795943000, 5, serial: 9)), loader: process(pid: 7, comm: "ld", exe: "/tmp/ld"),
                                  program: .found(Self.info(helpers: ["bpf_send_signal", "bpf_trace_printk"])), identity: .audit)
        let alert = Alert(label: "dangerous-helper", priority: .crit, subject: subject, rule: .line(3))
        #expect(AlertFormatter.line(alert) ==
            "alert=dangerous-helper priority=crit op=LOAD prog-id=2211 prog-type=kprobe prog-name=\"sigprog\" prog-tag=c0c8c81851fbeb13 helpers=bpf_send_signal,bpf_trace_printk created-by-uid=0 uid=0 auid=unset euid=0 pid=7 ppid=1 comm=\"ld\" exe=\"/tmp/ld\" cmdline=? exe-package=? exe-trusted=? container=? identity=audit event=1795943000.005:9 rule=3")
        #expect(AlertFormatter.json(alert).contains(#""prog_id":2211,"prog_type":"kprobe","prog_name":"sigprog","prog_tag":"c0c8c81851fbeb13","helpers":["bpf_send_signal","bpf_trace_printk"],"created_by_uid":0,"uid":0"#))
        #expect(AlertFormatter.json(alert).contains(#""identity":"audit""#))

        subject.program = .gone
        subject.identity = LoaderIdentity.none
        subject.loader = nil
        let gone = AlertFormatter.line(Alert(label: "x", priority: .warning, subject: subject, rule: .line(1)))
        #expect(gone == "alert=x priority=warning op=LOAD prog-id=2211 prog-type=? prog-name=? prog-tag=? helpers=? created-by-uid=? info=gone uid=? auid=? euid=? pid=? ppid=? comm=? exe=? cmdline=? exe-package=? exe-trusted=? container=? identity=none event=1795943000.005:9 rule=1")

        subject.program = .found(Self.info(helpers: []))
        #expect(AlertFormatter.line(Alert(label: "x", priority: .warning, subject: subject, rule: .line(1))).contains(" helpers=none "))
    }

    @Test func engineKeepsTheLookupForTheUnload() {
        var engine = Engine(policy: try! compiledPolicy("alert any\n"))
        let info = Self.info(helpers: ["bpf_send_signal"])
        _ = engine.process(load(7, at: stamp(100)), enrichment: Engine.Enrichment(program: .found(info)))
        let unload = engine.process(unload(7, at: stamp(101)), enrichment: Engine.Enrichment(program: .notDone))
        #expect(unload?.subject.program == .found(info))
        #expect(unload?.subject.identity == .audit)
        #expect(unload?.subject.lifetimeMilliseconds == 1000)
    }

    @Test func recoveredLoaderAndInventory() {
        var engine = Engine(policy: try! compiledPolicy("alert any\n"))
        let recovered = process(uid: 1000, pid: 4242, comm: "agent", exe: "/opt/agent")
        let standalone = engine.process(load(8, by: nil), enrichment: Engine.Enrichment(program: .gone, recoveredLoader: recovered))
        #expect(standalone?.subject.identity == .proc)
        #expect(standalone?.subject.loader == recovered)
        let nothing = engine.process(load(9, by: nil), enrichment: Engine.Enrichment(program: .gone))
        #expect(nothing?.subject.identity == LoaderIdentity.none)

        engine.addInventory(programID: 50, info: Self.info(helpers: [], type: 15), loadedAt: stamp(90))
        let unload = engine.process(unload(50, at: stamp(120)), enrichment: Engine.Enrichment(program: .notDone))
        #expect(unload?.subject.lifetimeMilliseconds == 30000)
        #expect(unload?.subject.identity == .kernel)
        #expect(unload?.subject.loader?.uid == 0, "the creator's uid comes from the kernel")
        #expect(unload?.subject.value(of: .progType) == .bytes(Array("cgroup_device".utf8)))
    }

    @Test func holdersFollowARecoveredIdentityInAlertsRulesAndTheTable() throws {
        var engine = Engine(policy: try compiledPolicy("""
        alert shared op=load holders>1 priority=crit
        alert single op=load holders=1
        alert unknown-holders op=load holders=?
        alert shared-gone op=unload holders>=2
        alert gone op=unload
        """))
        let recovered = process(uid: 1000, pid: 4242, comm: "agent", exe: "/opt/agent")
        let sharedAlert = engine.process(load(8, by: nil), enrichment: Engine.Enrichment(program: .gone, recoveredLoader: recovered, holders: 2))
        let shared = try #require(sharedAlert)
        #expect(shared.label == "shared")
        #expect(shared.subject.holders == 2)
        let line = AlertFormatter.line(shared)
        #expect(line.contains(" exe=\"/opt/agent\" cmdline=? exe-package=? exe-trusted=? container=? identity=proc holders=2 event="), "holders follows identity: \(line)")
        #expect(AlertFormatter.json(shared).contains("\"identity\":\"proc\",\"holders\":2,"))

        let single = engine.process(load(9, by: nil), enrichment: Engine.Enrichment(program: .gone, recoveredLoader: recovered, holders: 1))
        #expect(single?.label == "single")
        let withContextAlert = engine.process(load(10), enrichment: Engine.Enrichment(program: .gone, holders: 3))
        let withContext = try #require(withContextAlert)
        #expect(withContext.label == "unknown-holders", "holders are only known when the loader came from /proc")
        #expect(!AlertFormatter.line(withContext).contains(" holders="))
        let noneAlert = engine.process(load(11, by: nil), enrichment: Engine.Enrichment(program: .gone))
        let none = try #require(noneAlert)
        #expect(!AlertFormatter.line(none).contains(" holders="), "identity=none has no holders key")

        let unloadedAlert = engine.process(unload(8), enrichment: Engine.Enrichment(program: .notDone))
        let unloaded = try #require(unloadedAlert)
        #expect(unloaded.label == "shared-gone", "the table keeps the holders for the UNLOAD")
        #expect(AlertFormatter.line(unloaded).contains(" identity=proc holders=2 lifetime="))
        let unknownCount = engine.process(load(12, by: nil), enrichment: Engine.Enrichment(program: .gone, recoveredLoader: recovered))
        #expect(unknownCount.map(AlertFormatter.line)?.contains(" identity=proc holders=? ") == true)
        let unknownCountUnload = engine.process(unload(12), enrichment: Engine.Enrichment(program: .notDone))
        #expect(unknownCountUnload?.subject.holders == nil)
    }
}

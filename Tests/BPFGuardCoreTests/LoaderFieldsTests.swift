import Testing
@testable import BPFGuardCore

/// The loader fields of issue 9 in policies, alerts and the program table: exe-package,
/// exe-trusted, container (with kernel lookups) and cmdline (from the record).
@Suite struct LoaderFieldsTests {
    static let trusted = LoaderFacts(package: .named("libbpf-tools"), trust: .yes, container: .no)

    static func runqlat() -> ProcessContext {
        var loader = process(comm: "runqlat", exe: "/usr/sbin/runqlat")
        loader.cmdline = Array("/usr/sbin/runqlat 1 1".utf8)
        return loader
    }

    @Test func fieldsInConditions() throws {
        let policy = try compiledPolicy("""
        %tools = libbpf-tools, bpftrace, iproute2
        allow               op=load exe-package=%tools exe-trusted=yes container=no cmdline!="*prog load*"
        alert not-packaged  op=load exe-package=none
        alert altered       op=load exe-trusted=no
        alert in-container  op=load container=yes
        alert pinning       op=load cmdline="*prog load*"
        alert unknown-trust op=load exe-trusted=?
        alert other         op=load
        """)
        func label(_ facts: LoaderFacts?, cmdline: String = "/usr/sbin/runqlat 1 1") -> String? {
            var loader = Self.runqlat()
            loader.cmdline = Array(cmdline.utf8)
            return decide(policy, RuleSubject(event: load(1, by: loader), loader: loader, identity: .audit, facts: facts))
        }
        #expect(label(Self.trusted) == nil)
        #expect(label(LoaderFacts(package: .named("bpftool"), trust: .yes, container: .no), cmdline: "bpftool prog load evil.o /sys/fs/bpf/x") == "pinning")
        #expect(label(LoaderFacts(package: .none, trust: .none, container: .no)) == "not-packaged")
        #expect(label(LoaderFacts(package: .named("libbpf-tools"), trust: .no, container: .no)) == "altered")
        #expect(label(LoaderFacts(package: .unknown, trust: .unknown, container: .yes)) == "in-container")
        #expect(label(LoaderFacts(package: .named("libbpf-tools"), trust: .unknown, container: .no)) == "unknown-trust")
        #expect(label(nil) == "unknown-trust", "without lookups the facts are unknown")
        #expect(label(LoaderFacts(package: .named("libbpf-tools"), trust: .yes, container: .unknown)) == "other",
                "container=no does not match an unknown container")
    }

    @Test func fieldValues() {
        let loader = Self.runqlat()
        let subject = RuleSubject(event: load(1, by: loader), loader: loader, identity: .audit, facts: Self.trusted)
        #expect(subject.value(of: .exePackage) == .bytes(Array("libbpf-tools".utf8)))
        #expect(subject.value(of: .exeTrusted) == .bytes(Array("yes".utf8)))
        #expect(subject.value(of: .container) == .bytes(Array("no".utf8)))
        #expect(subject.value(of: .cmdline) == .bytes(Array("/usr/sbin/runqlat 1 1".utf8)))
        let none = RuleSubject(event: load(1, by: loader), loader: loader, identity: .audit, facts: LoaderFacts(package: .none, trust: .none, container: .unknown))
        #expect(none.value(of: .exePackage) == .bytes(Array("none".utf8)))
        #expect(none.value(of: .container) == nil, "? is unknown")
        #expect(RuleSubject(event: load(1, by: nil), loader: nil).value(of: .cmdline) == nil)
        #expect(RuleField(name: "exe-package")?.kind == .string)
        #expect(RuleField.allNames.contains("exe, exe-package, exe-trusted, cmdline, container, key"))
    }

    @Test func alertLineWithAndWithoutLookups() {
        let loader = Self.runqlat()
        let event = load(2211, at: stamp(1795943000, 5, serial: 9), by: loader)
        let enriched = RuleSubject(event: event, loader: loader, program: .gone, identity: .audit, facts: Self.trusted)
        let line = AlertFormatter.line(Alert(label: "x", priority: .notice, subject: enriched, rule: .line(3)))
        #expect(line.hasSuffix(#"comm="runqlat" exe="/usr/sbin/runqlat" cmdline="/usr/sbin/runqlat 1 1" exe-package=libbpf-tools exe-trusted=yes container=no identity=audit event=1795943000.005:9 rule=3"#), "\(line)")
        let json = AlertFormatter.json(Alert(label: "x", priority: .notice, subject: enriched, rule: .line(3)))
        #expect(json.contains(#""exe":"/usr/sbin/runqlat","cmdline":"/usr/sbin/runqlat 1 1","exe_package":"libbpf-tools","exe_trusted":"yes","container":"no","identity":"audit""#), "\(json)")
        var odd = enriched
        odd.facts = LoaderFacts(package: .named("g++"), trust: .unknown, container: .unknown)
        let oddLine = AlertFormatter.line(Alert(label: "x", priority: .notice, subject: odd, rule: .line(3)))
        #expect(oddLine.contains(#" exe-package="g++" exe-trusted=? container=? "#), "a package name outside [A-Za-z0-9._:-] is quoted")
        #expect(AlertFormatter.json(Alert(label: "x", priority: .notice, subject: odd, rule: .line(3))).contains(#""exe_trusted":null,"container":null"#))

        let plain = RuleSubject(event: event, loader: loader)
        let plainLine = AlertFormatter.line(Alert(label: "x", priority: .notice, subject: plain, rule: .line(3)))
        #expect(plainLine.contains(#"cmdline="/usr/sbin/runqlat 1 1" event="#), "cmdline comes from the record, without lookups too")
        #expect(!plainLine.contains("exe-package"))
    }

    @Test func hostileCommandLinesStayOnOneLine() {
        var loader = Self.runqlat()
        loader.cmdline = Array("x\" exe-trusted=yes\nalert=fake \u{1b}[31m".utf8)
        let line = AlertFormatter.line(Alert(label: "x", priority: .notice, subject: RuleSubject(event: load(1, by: loader), loader: loader), rule: .line(1)))
        #expect(line.contains(#"cmdline="x\" exe-trusted=yes\x0aalert=fake \x1b[31m""#))
        #expect(AlertFormatterTests.keys(of: line).filter { $0 == "exe-trusted" || $0 == "alert" }.count == 1)
    }

    @Test func theUnloadCarriesTheLoadsValues() {
        var engine = Engine(policy: try! compiledPolicy("alert any\n"))
        let loader = Self.runqlat()
        let facts = LoaderFacts(package: .named("libbpf-tools"), trust: .no, container: .no)
        _ = engine.process(load(7, at: stamp(100), by: loader), enrichment: Engine.Enrichment(program: .gone, loaderFacts: facts))
        _ = engine.process(load(8, at: stamp(100), by: loader), enrichment: Engine.Enrichment(program: .gone, loaderFacts: .unknown))
        let first = engine.process(unload(7, at: stamp(101)), enrichment: Engine.Enrichment(program: .notDone))
        #expect(first?.subject.facts == facts)
        #expect(first?.subject.loader?.cmdline == loader.cmdline)
        let second = engine.process(unload(8, at: stamp(101)), enrichment: Engine.Enrichment(program: .notDone))
        #expect(second?.subject.facts == .unknown)
        #expect(engine.programs.internedStringCount == 0, "the package name is released with the program")

        // Without lookups there are no facts, at LOAD or UNLOAD; cmdline is kept all the same.
        var plain = Engine(policy: try! compiledPolicy("alert any\n"))
        _ = plain.process(load(9, by: loader))
        let unloaded = plain.process(unload(9))
        #expect(unloaded?.subject.facts == nil)
        #expect(unloaded?.subject.loader?.cmdline == loader.cmdline)
        // An unload whose load was not seen, with lookups: unknown facts, printed as ?.
        let unmatched = engine.process(unload(99), enrichment: Engine.Enrichment(program: .notDone))
        #expect(unmatched?.subject.facts == .unknown)
    }

    @Test func aPersistingProgramCarriesItsLoadsValues() throws {
        var engine = Engine(policy: try compiledPolicy("alert outlived op=persist\n"))
        let facts = LoaderFacts(package: .named("bpftool"), trust: .yes, container: .no)
        var loader = process(comm: "bpftool", exe: "/usr/sbin/bpftool")
        loader.cmdline = Array("bpftool prog load evil.o /sys/fs/bpf/x".utf8)
        _ = engine.process(load(7, at: stamp(100), by: loader), enrichment: Engine.Enrichment(program: .gone, loaderFacts: facts))
        let persisting = ProgramReconciler.Reconciliation.Persisting(key: ProgramKey(node: nil, programID: 7), lifetimeMilliseconds: 60_000)
        let raised = engine.persisting(persisting, at: stamp(160, serial: 0))
        let alert = try #require(raised)
        #expect(alert.subject.facts == facts)
        #expect(alert.subject.value(of: .cmdline) == .bytes(Array("bpftool prog load evil.o /sys/fs/bpf/x".utf8)))
    }

    @Test func theEngineNeverTrustsATooLongPath() {
        var engine = Engine(policy: try! compiledPolicy("alert any\n"))
        var loader = process(exe: "<too_long>")
        loader.exe = LoaderTrustRules.tooLongExe
        let alert = engine.process(load(3, by: loader), enrichment: Engine.Enrichment(program: .gone, loaderFacts: Self.trusted))
        #expect(alert?.subject.facts == LoaderFacts(package: .unknown, trust: .unknown, container: .no))
    }
}

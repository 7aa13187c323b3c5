import Testing
@testable import BPFGuardCore

/// The rules that turn what was gathered about a loader into exe-package, exe-trusted and
/// container, the cgroups of container runtimes, and the command line from PROCTITLE.
@Suite struct LoaderFactsTests {
    static let host = LoaderPlacement(sameRoot: true, sameMountNamespace: true, containerCgroup: false)
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func packagedFileOnTheHost() {
        let exe = Self.bytes("/usr/sbin/runqlat")
        #expect(LoaderTrustRules.lookupPath(exe: exe, placement: Self.host) == exe)
        #expect(LoaderTrustRules.facts(exe: exe, placement: Self.host, owner: .named("libbpf-tools"), digest: .match)
                == LoaderFacts(package: .named("libbpf-tools"), trust: .yes, container: .no))
        #expect(LoaderTrustRules.facts(exe: exe, placement: Self.host, owner: .named("libbpf-tools"), digest: .mismatch).trust == .no)
        #expect(LoaderTrustRules.facts(exe: exe, placement: Self.host, owner: .named("libbpf-tools"), digest: .unavailable).trust == .unknown)
        #expect(LoaderTrustRules.facts(exe: exe, placement: Self.host, owner: .none, digest: .unavailable)
                == LoaderFacts(package: .none, trust: .none, container: .no))
        #expect(LoaderTrustRules.facts(exe: exe, placement: Self.host, owner: .unknown, digest: .match).trust == .unknown,
                "no package database: nothing to compare with")
    }

    @Test func deletedExecutables() {
        let exe = Self.bytes("/usr/sbin/runqlat (deleted)")
        #expect(LoaderTrustRules.lookupPath(exe: exe, placement: Self.host) == Self.bytes("/usr/sbin/runqlat"))
        #expect(LoaderTrustRules.facts(exe: exe, placement: Self.host, owner: .named("libbpf-tools"), digest: .match)
                == LoaderFacts(package: .named("libbpf-tools"), trust: .deleted, container: .no))
        #expect(LoaderTrustRules.facts(exe: Self.bytes("/tmp/x (deleted)"), placement: .unknown, owner: .none, digest: .unavailable).trust == .deleted)
        #expect(!LoaderTrustRules.isDeleted(Self.bytes(" (deleted)")), "nothing before the suffix")
    }

    /// Section 4 of issue 9: a path the loader chose is never trusted.
    @Test func pathsTheLoaderChose() {
        let exe = Self.bytes("/usr/sbin/bpftool")
        let chroot = LoaderPlacement(sameRoot: false, sameMountNamespace: true, containerCgroup: false)
        let privateMounts = LoaderPlacement(sameRoot: true, sameMountNamespace: false, containerCgroup: false)
        let containerCgroup = LoaderPlacement(sameRoot: true, sameMountNamespace: true, containerCgroup: true)
        for placement in [chroot, privateMounts, containerCgroup] {
            #expect(LoaderTrustRules.lookupPath(exe: exe, placement: placement) == nil)
            let facts = LoaderTrustRules.facts(exe: exe, placement: placement, owner: .named("bpftool"), digest: .match)
            #expect(facts.package == .unknown)
            #expect(facts.trust == .unknown)
        }
        #expect(chroot.container == .yes)
        #expect(containerCgroup.container == .yes)
        #expect(privateMounts.container == .unknown, "a private mount namespace alone is not a container, nor the host")
        let tooLong = LoaderTrustRules.facts(exe: LoaderTrustRules.tooLongExe, placement: Self.host, owner: .named("x"), digest: .match)
        #expect(tooLong == LoaderFacts(package: .unknown, trust: .unknown, container: .no))
        #expect(LoaderTrustRules.lookupPath(exe: Self.bytes("relative/x"), placement: Self.host) == nil)
        #expect(LoaderTrustRules.facts(exe: nil, placement: Self.host, owner: .named("x"), digest: .match).trust == .unknown)
    }

    @Test func unknownPlacementDescribesTheHostsFile() {
        // The loader is gone (or the event is replayed): the path names the host's file.
        let facts = LoaderTrustRules.facts(exe: Self.bytes("/usr/sbin/bpftool"), placement: .unknown, owner: .named("bpftool"), digest: .match)
        #expect(facts == LoaderFacts(package: .named("bpftool"), trust: .yes, container: .unknown))
        #expect(LoaderPlacement(sameRoot: true, sameMountNamespace: nil, containerCgroup: nil).container == .unknown)
    }

    @Test func theEngineConstrainsWhateverItIsGiven() {
        let trusted = LoaderFacts(package: .named("bpftool"), trust: .yes, container: .no)
        #expect(LoaderTrustRules.constrained(trusted, exe: Self.bytes("/usr/sbin/bpftool")) == trusted)
        #expect(LoaderTrustRules.constrained(trusted, exe: LoaderTrustRules.tooLongExe) == LoaderFacts(package: .unknown, trust: .unknown, container: .no))
        #expect(LoaderTrustRules.constrained(trusted, exe: nil).trust == .unknown)
        #expect(LoaderTrustRules.constrained(LoaderFacts(package: .named("b"), trust: .yes, container: .yes), exe: Self.bytes("/b"))
                == LoaderFacts(package: .unknown, trust: .unknown, container: .yes))
        #expect(LoaderTrustRules.constrained(trusted, exe: Self.bytes("/usr/sbin/bpftool (deleted)")).trust == .deleted)
    }

    @Test func containerCgroupsOfTheRuntimes() {
        func container(_ text: String) -> Bool { ContainerCgroup.isContainer(Self.bytes(text)) }
        // Hand-made, in the formats the runtimes document (cgroup v2 single line, v1 lines).
        #expect(container("0::/system.slice/docker-3f4e5d6c7b8a.scope\n"))
        #expect(container("12:memory:/docker/3f4e5d6c7b8a\n0::/\n"))
        #expect(container("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-abcd.scope\n"))
        #expect(container("0::/kubepods/besteffort/pod1234/abcd\n"))
        #expect(container("0::/machine.slice/libpod-0123abcd.scope/container\n"))
        #expect(container("0::/system.slice/crio-0123abcd.scope\n"))
        #expect(container("0::/lxc.payload.web/init.scope\n"))
        #expect(container("4:cpu:/lxc/web\n"))
        #expect(container("0::/machine.slice/systemd-nspawn@build.service/payload\n"))
        // The daemons themselves and the runtimes' monitors run on the host.
        #expect(!container("0::/system.slice/docker.service\n"))
        #expect(!container("0::/system.slice/containerd.service\n"))
        #expect(!container("0::/machine.slice/libpod-conmon-0123abcd.scope\n"))
        #expect(!container("0::/system.slice/crio-conmon-0123abcd.scope\n"))
        #expect(!container("12:memory:/docker\n"), "the docker cgroup itself, without a container under it")
        #expect(!container("0::/user.slice/user-0.slice/session-3.scope\n"))
        #expect(!container(""))
        #expect(!container("garbage without colons\n"))
    }

    @Test(.enabled(if: TestFiles.exists("/proc/self/cgroup"), "no /proc/self/cgroup"))
    func thisProcessIsNotInAContainerCgroup() throws {
        // This test machine is not a container (its cgroup file is read as is).
        let text = try #require(TestFiles.read("/proc/self/cgroup"))
        #expect(!text.isEmpty)
        #expect(!ContainerCgroup.isContainer(text), "\(String(decoding: text, as: UTF8.self))")
    }

    @Test func commandLines() {
        #expect(ProcessTitle.text(Self.bytes("bpftool\0feature\0probe\0kernel")) == Self.bytes("bpftool feature probe kernel"))
        #expect(ProcessTitle.text(Self.bytes("/sbin/auditd")) == Self.bytes("/sbin/auditd"))
        #expect(ProcessTitle.text(Self.bytes("a\0\0")) == Self.bytes("a"), "trailing NULs are the last argument's end")
        #expect(ProcessTitle.text([UInt8]()) == [])
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 300)
        #expect(ProcessTitle.text(procCmdline: long).count == 128, "cut like the kernel's PROCTITLE")
    }
}

import Glibc
import Testing
@testable import BPFGuardCore

/// The safety rules of learning mode: what is never proposed as allow, generic loaders, and
/// the directory rule on real directories of this machine.
@Suite struct LoaderSafetyTests {
    static func refusals(_ loader: ProcessContext?, helpers: [String]? = nil) -> [LoadRefusal] {
        let program: ProgramLookup = helpers.map { .found(ProgramInfo(type: BPFProgramType(rawValue: 2), name: [], tag: "", createdByUID: 0, helpers: $0)) }
            ?? .notDone
        return LoaderSafety.refusals(loader: loader, program: program)
    }

    @Test func aRootLoaderInASystemDirectoryMayBeProposed() {
        #expect(Self.refusals(process(exe: "/usr/local/libexec/bpfguard-capture/netmon")).isEmpty)
        #expect(Self.refusals(process(exe: "/usr/sbin/bpftool"), helpers: ["bpf_map_lookup_elem"]).isEmpty)
    }

    @Test func neverAllowed() {
        #expect(Self.refusals(nil) == [.noLoader])
        var noExe = process()
        noExe.exe = nil
        #expect(Self.refusals(noExe) == [.noExecutable])
        #expect(Self.refusals(process(exe: "/memfd:payload (deleted)")) == [.memfdExecutable])
        #expect(Self.refusals(process(exe: "/usr/bin/agent (deleted)")) == [.deletedExecutable])
        #expect(Self.refusals(process(exe: "/tmp/bpfguard-capture/vanish2 (deleted)")) == [.deletedExecutable, .writablePlace("/tmp/")])
        for place in ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/", "/home/", "/root/"] {
            #expect(Self.refusals(process(exe: place + "x/loader")) == [.writablePlace(place)])
        }
        #expect(Self.refusals(process(exe: "loader")) == [.relativeExecutable])
        #expect(Self.refusals(process(uid: 65534, exe: "/usr/bin/agent")) == [.nonRootLoader])
        #expect(Self.refusals(process(exe: "/usr/bin/agent"), helpers: ["bpf_ktime_get_ns", "bpf_send_signal"]) == [.dangerousHelper])
        // Prefixes are directories: /tmpfoo and /homebrew are not /tmp and /home.
        #expect(Self.refusals(process(exe: "/tmpfoo/x")).isEmpty)
        #expect(Self.refusals(process(exe: "/homebrew/bin/x")).isEmpty)
    }

    @Test func genericLoaders() {
        for path in ["/usr/sbin/bpftool", "/usr/bin/bpftrace", "/usr/sbin/ip", "/sbin/tc", "/usr/bin/python3.11", "/usr/bin/python3",
                     "/usr/bin/perl5.36.0", "/bin/bash", "/usr/bin/dash", "/bin/sh", "/bin/busybox"] {
            #expect(GenericLoaders.isGeneric(Array(path.utf8)), "\(path)")
        }
        for path in ["/usr/local/libexec/bpfguard-capture/netmon", "/usr/sbin/tcpdump", "/usr/sbin/ipset", "/usr/bin/pythonista",
                     "/usr/lib/systemd/systemd", "/usr/bin/bash-completion"] {
            #expect(!GenericLoaders.isGeneric(Array(path.utf8)), "\(path)")
        }
    }

    /// What stat(2) says about `path` here, as the executable hands it over.
    static func fact(_ path: String) -> DirectoryFact {
        var status = stat()
        guard stat(path, &status) == 0 else { return errno == ENOENT ? .missing : .unreadable(String(cString: strerror(errno))) }
        guard status.st_mode & S_IFMT == S_IFDIR else { return .notDirectory }
        return .directory(ownerUID: status.st_uid, mode: UInt32(status.st_mode & 0o7777))
    }

    @Test func directoryRuleOnThisMachine() throws {
        // Debian: / and /usr/bin are root's, 0755; /tmp and /var/tmp are 1777.
        #expect(Self.fact("/").safety == .safe)
        #expect(Self.fact("/usr/bin").safety == .safe)
        #expect(Self.fact("/tmp").safety == .unsafe("is writable by its group and others (mode 1777)"))
        #expect(Self.fact("/var/tmp").safety == .unsafe("is writable by its group and others (mode 1777)"))
        #expect(Self.fact("/usr/bin/env").safety == .unsafe("is not a directory"))
        #expect(Self.fact("/no/such/directory").safety == .unknown("does not exist on this host"))

        var template = Array("/tmp/bpfguard-dirfact-XXXXXX".utf8CString)
        let directory = try #require(mkdtemp(&template).map { String(cString: $0) })
        defer { rmdir(directory) }
        #expect(chmod(directory, 0o775) == 0)
        #expect(Self.fact(directory).safety == .unsafe("is writable by its group (mode 775)"))
        #expect(chmod(directory, 0o757) == 0)
        #expect(Self.fact(directory).safety == .unsafe("is writable by others (mode 757)"))
        #expect(chmod(directory, 0o755) == 0)
        #expect(Self.fact(directory).safety == (geteuid() == 0 ? .safe : .unsafe("is owned by uid \(geteuid())")))
        if geteuid() == 0 {
            #expect(chown(directory, 65534, 65534) == 0)
            #expect(Self.fact(directory).safety == .unsafe("is owned by uid 65534"))
        }
    }

    @Test func directoriesAboveAPath() {
        func above(_ path: String) -> [String] {
            DirectoryFact.directories(above: Array(path.utf8)).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(above("/usr/bin/x") == ["/", "/usr", "/usr/bin"])
        #expect(above("/x") == ["/"])
        #expect(above("x") == [])
        #expect(DirectoryFact.directories(downTo: Array("/usr/lib/jvm".utf8)).map { String(decoding: $0, as: UTF8.self) }
                == ["/", "/usr", "/usr/lib", "/usr/lib/jvm"])
        #expect(DirectoryFact.directories(downTo: [UInt8(ascii: "/")]) == [[UInt8(ascii: "/")]])
    }
}

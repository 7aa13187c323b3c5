import Testing
@testable import BPFGuardCore

/// The versioned-path glob table of learning mode, entry by entry, and what it leaves alone.
@Suite struct VersionedPathGlobsTests {
    static func glob(_ path: String) -> (pattern: String, entry: VersionedPathGlobs.Entry, anchor: String)? {
        VersionedPathGlobs.glob(Array(path.utf8)).map {
            (PolicyValueText.pattern($0.pattern), $0.entry, String(decoding: $0.anchor, as: UTF8.self))
        }
    }

    @Test(arguments: [
        ("/usr/bin/python3.11", "/usr/bin/python3.*", VersionedPathGlobs.Entry.interpreterVersion, "/usr/bin"),
        ("/usr/bin/perl5.36.0", "/usr/bin/perl5.*", .interpreterVersion, "/usr/bin"),
        ("/usr/local/bin/lua5.4", "/usr/local/bin/lua5.*", .interpreterVersion, "/usr/local/bin"),
        ("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/usr/lib/jvm/*/bin/java", .javaInstallation, "/usr/lib/jvm"),
        ("/opt/agent-1.2.3/bin/agent", "/opt/agent-*/bin/agent", .optVersion, "/opt"),
        ("/opt/cilium-v1-1.15.0/cilium-agent", "/opt/cilium-v1-*/cilium-agent", .optVersion, "/opt"),
        ("/usr/lib/linux-tools/6.8.0-45-generic/bpftool", "/usr/lib/linux-tools/*/bpftool", .kernelToolsDirectory, "/usr/lib/linux-tools"),
        ("/usr/lib/linux-tools-6.8.0-45/bpftool", "/usr/lib/linux-tools-*/bpftool", .kernelPackageDirectory, "/usr/lib"),
        ("/usr/src/linux-headers-6.1.0-13-amd64/tools/bpf/bpftool", "/usr/src/linux-headers-*/tools/bpf/bpftool", .kernelPackageDirectory, "/usr/src"),
        ("/lib/modules/6.1.0-13-amd64/build/tools/x", "/lib/modules/*/build/tools/x", .kernelModules, "/lib/modules"),
        ("/usr/src/kernels/5.14.0-362.el9.x86_64/tools/x", "/usr/src/kernels/*/tools/x", .kernelModules, "/usr/src/kernels"),
    ])
    func tableEntries(path: String, pattern: String, entry: VersionedPathGlobs.Entry, anchor: String) throws {
        let match = try #require(Self.glob(path))
        #expect(match.pattern == pattern)
        #expect(match.entry == entry)
        #expect(match.anchor == anchor)
        // The glob matches the path it came from, and the anchor is one of its directories.
        let result = VersionedPathGlobs.glob(Array(path.utf8))!
        #expect(Glob(result.pattern).matches(Array(path.utf8)))
        #expect(DirectoryFact.directories(above: Array(path.utf8)).contains(result.anchor))
    }

    @Test(arguments: [
        "/usr/sbin/bpftool", "/usr/bin/python3", "/usr/lib/systemd/systemd", "/opt/agent/bin/agent",
        "/usr/lib/jvm/java", // the same
        "/usr/lib/linux-tools/current/bpftool", "/usr/lib/x86_64-linux-gnu/libbpf.so.1x", "/usr/bin/containerd-shim-runc-v2",
        "/usr/bin/.5", "/usr/bin/python3..11", "/usr/bin/python3.11.", "relative/python3.11", "/usr/libexec/agent-2/x",
    ])
    func leftAlone(path: String) {
        #expect(Self.glob(path) == nil, "\(path)")
    }

    @Test func onlyTheFirstVersionedComponentIsReplaced() throws {
        let match = try #require(Self.glob("/opt/tool-2.0/bin/python3.12"))
        #expect(match.pattern == "/opt/tool-*/bin/python3.12")
        #expect(match.anchor == "/opt")
    }

    @Test func oddBytesStayLiteral() throws {
        let path: [UInt8] = Array("/opt/a\"b*c-1.0/x y".utf8)
        let match = try #require(VersionedPathGlobs.glob(path))
        // The literal star is escaped; the glob's own star is not.
        #expect(PolicyValueText.pattern(match.pattern) == "\"/opt/a\\\"b\\*c-*/x y\"")
        #expect(Glob(match.pattern).matches(path))
        #expect(!Glob(match.pattern).matches(Array("/opt/aXbYc-1.0/x y".utf8)))
    }
}

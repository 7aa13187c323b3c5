import Glibc
import Testing

/// The capture's loader, /usr/sbin/bpftool, as its Debian package installed it on this
/// machine: what `--lookup` needs to find it trusted.
enum PackagedBPFTool {
    /// Why it cannot be used here; nil when it can.
    static let unavailableReason: String? = {
        guard access("/var/lib/dpkg/info/bpftool.md5sums", R_OK) == 0, access("/usr/sbin/bpftool", R_OK) == 0 else {
            return "bpftool is not installed from its Debian package on this machine"
        }
        let verify = ChildProcess.run(["/usr/bin/dpkg", "--verify", "bpftool"])
        guard verify.exitStatus == 0, verify.stdout.isEmpty else {
            return "dpkg --verify bpftool: the installed files differ from the package's (\(verify.stdoutText))"
        }
        return nil
    }()
}

/// `--generate-policy --lookup` on real captures replayed on this machine: each loader's
/// package and trust come from this machine's dpkg (as with `--replay --lookup`), the
/// learned rules of a packaged loader require them, and the narrower rule suggested for a
/// generic loader (bpftool, by its command line) passes `--check` and silences its loads
/// once put in force.
@Suite(.enabled(if: PackagedBPFTool.unavailableReason == nil, "\(PackagedBPFTool.unavailableReason ?? "")"))
struct GeneratePolicyLoaderFactsTests {
    static let logs = [Paths.fixture("captured/root-known-loader.log"), Paths.fixture("captured/system-path.log")]

    /// The shipped policy without its allow rules for bpftool's feature probe and libbpf's
    /// probes, so that bpftool's loads are there to learn.
    static func baseWithoutBPFTools() throws -> String {
        var shipped = String(decoding: try readFile(GeneratePolicyTests.shipped), as: UTF8.self)
        for line in ["allow                   op=load exe=%bpftool exe-trusted=yes cmdline=%bpftool_probe prog-name=\"\"\n",
                     "allow                   op=load exe-trusted=yes info=gone\n",
                     "allow                   op=load exe-trusted=yes prog-name=%probe_names\n",
                     "%probe_names = \"\", libbpf_nametest\n", "%bpftool_probe = \"bpftool feature*\", \"*/bpftool feature*\"\n"] {
            #expect(shipped.contains(line))
            shipped = shipped.replacing(line, with: "")
        }
        return temporaryFile(shipped, name: "base")
    }

    /// The learned blocks of a generated policy (the base policy's own text left out).
    static func learnedBlocks(_ text: String) -> String {
        var blocks = "", inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# ==== ") { inside = !line.hasPrefix("# ==== end of learned") }
            if inside { blocks += line + "\n" }
        }
        return blocks
    }

    /// The policy at `path` with the suggested narrower rules and the groups' sets put in
    /// force, as an administrator could with sed (the plain rules stay commented out).
    static func withSuggestionsInForce(_ path: String) -> String {
        let run = ChildProcess.run(["/usr/bin/sed", "-e", "s/^#!!!!   allow /allow /", "-e", "s/^# \\(%learned_[^ ]* = \\)/\\1/", path])
        #expect(run.exitStatus == 0, "\(run.stderrText)")
        return run.stdoutText
    }

    static func replay(_ policy: String, _ extra: [String]) -> [String] {
        let run = ChildProcess.run([Paths.plugin, "--policy", policy] + extra + ["--replay"] + logs)
        #expect(run.exitStatus == 0, "\(run.stderrText)")
        return run.policyAlertLines
    }

    @Test func packagedLoadersAreLearnedWithTheirPackageAndTrust() throws {
        let base = try Self.baseWithoutBPFTools()
        defer { unlink(base) }
        let run = GeneratePolicyTests.generate(Self.logs, base: base, ["--lookup"])
        #expect(run.exitStatus == 0, "\(run.stderrText)")
        let text = run.stdoutText
        #expect(text.contains("""
        #   exe-package bpftool, exe-trusted=yes: the rules require both (another file at this path does not pass)
        #!!!! generic loader: allowing it allows whatever a script or command line makes it load; narrow the rule:
        #!!!!   allow op=load uid=0 exe=%learned_bpftool exe-package=bpftool exe-trusted=yes prog-type=? auid=unset \
        cmdline="/usr/sbin/bpftool feature probe kernel"
        #!!!!   (cmdline narrows, never trusts: the loader writes it itself, and the kernel keeps its first 128 bytes)
        # %learned_bpftool = /usr/sbin/bpftool
        # allow op=load uid=0 exe=%learned_bpftool exe-package=bpftool exe-trusted=yes prog-type=?

        """))
        // The README shows this suggestion.
        let suggestion = try #require(text.split(separator: "\n").first { $0.hasPrefix("#!!!!   allow op=load uid=0 exe=%learned_bpftool ") })
        #expect(try DocumentationTests.text("README.md").contains("\n  \(suggestion)\n"))
        // No package owns the capture's netmon: allowed by its path, and the comment says so.
        #expect(text.contains("#   exe-package=none: not package-owned; allowed by path only\n"))
        #expect(text.contains("\n%learned_netmon = /usr/local/libexec/bpfguard-capture/netmon\nallow op=load uid=0 exe=%learned_netmon prog-type=?\n"))
        #expect(run.stderrText.contains(" loader_facts=386 "), "\(run.stderrText)")

        let learned = temporaryFile(text, name: "learned")
        let narrowedText = Self.withSuggestionsInForce(learned)
        let narrowed = temporaryFile(narrowedText, name: "narrowed")
        defer { unlink(learned); unlink(narrowed) }
        #expect(narrowedText.contains("""
        \nallow op=load uid=0 exe=%learned_bpftool exe-package=bpftool exe-trusted=yes prog-type=? auid=unset \
        cmdline="/usr/sbin/bpftool feature probe kernel"
        #!!!!   (cmdline narrows, never trusts: the loader writes it itself, and the kernel keeps its first 128 bytes)
        %learned_bpftool = /usr/sbin/bpftool
        # allow op=load uid=0 exe=%learned_bpftool exe-package=bpftool exe-trusted=yes prog-type=?

        """))
        for policy in [learned, narrowed] {
            let check = ChildProcess.run([Paths.plugin, "--check", "--policy", policy])
            #expect(check.exitStatus == 0 && check.stderr.isEmpty, "\(check.stderrText)")
        }
        // Under the base, bpftool's and netmon's loads alert; with the suggestion in force,
        // replayed with the same lookups, nothing does.
        let before = Self.replay(base, ["--lookup"])
        #expect(before.contains { $0.contains("exe=\"/usr/sbin/bpftool\"") } && before.contains { $0.contains("comm=\"netmon\"") })
        #expect(Self.replay(narrowed, ["--lookup"]) == [])
        // Without lookups the package and trust are unknown: the trusted rule allows nothing.
        #expect(Self.replay(narrowed, ["--no-lookup"]).contains { $0.contains("exe=\"/usr/sbin/bpftool\"") })
    }

    @Test func withoutLookupTheOutputHasNoPackageConditions() throws {
        let base = try Self.baseWithoutBPFTools()
        defer { unlink(base) }
        let text = GeneratePolicyTests.generate(Self.logs, base: base).stdoutText
        let learned = Self.learnedBlocks(text)
        #expect(learned.contains("%learned_bpftool") && !learned.contains("exe-package") && !learned.contains("exe-trusted"))
        #expect(text.contains("#!!!!   allow op=load uid=0 exe=%learned_bpftool auid=unset cmdline=\"/usr/sbin/bpftool feature probe kernel\"\n"))
        #expect(text.contains("\nallow op=load uid=0 exe=%learned_netmon\n"))
    }
}

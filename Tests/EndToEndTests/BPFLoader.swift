import Glibc

/// The project's own BPF loader (Tests/Fixtures/loader/bpfload.c), built once with the C
/// compiler, for tests that load real programs into the running kernel.
enum BPFLoader {
    /// Why kernel tests cannot run here, or nil when they can.
    static let unavailableReason: String? = {
        if geteuid() != 0 { return "not root: loading BPF programs and looking them up needs root" }
        if access("/sys/fs/bpf", F_OK) != 0 && access("/proc/sys/kernel/unprivileged_bpf_disabled", F_OK) != 0 {
            return "this kernel has no BPF syscall"
        }
        if compiler == nil { return "no C compiler (cc) to build Tests/Fixtures/loader/bpfload.c" }
        if path == nil { return "building bpfload failed" }
        return nil
    }()

    static var isAvailable: Bool { unavailableReason == nil }

    static let compiler: String? = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first { access($0, X_OK) == 0 }

    /// The built loader, in a directory of its own under /tmp.
    static let path: String? = {
        guard let compiler else { return nil }
        var template = Array("/tmp/bpfguard-loader-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { return nil }
        let directory = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let output = directory + "/bpfload"
        let build = ChildProcess.run([compiler, "-O2", "-o", output, Paths.fixture("loader/bpfload.c")])
        guard build.exitStatus == 0 else {
            print("bpfload build failed: \(build.stderrText)")
            return nil
        }
        return output
    }()

    /// A running loader holding its programs until it is stopped.
    final class Running {
        let process: ChildProcess
        let programIDs: [UInt32]

        init?(_ arguments: [String], count: Int = 1, executable: String? = nil) {
            guard let loader = executable ?? BPFLoader.path else { return nil }
            process = ChildProcess([loader] + arguments + ["--hold", "60000"])
            process.waitFor(seconds: 10) { $0.stdoutLines.count >= count || !$0.isRunning }
            programIDs = process.stdoutLines.compactMap { line in
                guard let range = line.range(of: "prog-id=") else { return nil }
                return UInt32(line[range.upperBound...].prefix { $0.isNumber })
            }
            guard programIDs.count == count else {
                print("bpfload \(arguments) failed: \(process.stderrText)")
                return nil
            }
        }

        var pid: pid_t { process.pid }

        /// Ends the loader: its programs are unloaded.
        func stop() {
            process.signal(SIGKILL)
            process.wait(seconds: 10)
        }

        deinit { stop() }
    }
}

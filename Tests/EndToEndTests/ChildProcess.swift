import Glibc
import Testing

/// The built plugin binary and the repository, located from the test bundle's path
/// (`.build/<config>/audisp-bpfguardPackageTests.xctest`).
enum Paths {
    static let buildDirectory: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        precondition(count > 0, "cannot read /proc/self/exe")
        let path = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[..<path.lastIndex(of: "/")!])
    }()

    static let plugin = buildDirectory + "/audisp-bpfguard"

    static let repository: String = {
        // .build/<triple>/<config> or .build/<config>: walk up to the folder holding Package.swift.
        var directory = buildDirectory
        while directory != "/" {
            directory = String(directory[..<directory.lastIndex(of: "/")!])
            if directory.isEmpty { directory = "/" }
            if access(directory + "/Package.swift", F_OK) == 0 { return directory }
        }
        fatalError("Package.swift not found above \(buildDirectory)")
    }()

    static func fixture(_ relative: String) -> String { repository + "/Tests/Fixtures/" + relative }
}

/// A child process with pipes on stdin, stdout and stderr, read without blocking forever.
final class ChildProcess {
    let pid: pid_t
    private var stdinFD: Int32
    private var stdoutFD: Int32
    private let stderrFD: Int32
    private(set) var stdout: [UInt8] = []
    private(set) var stderr: [UInt8] = []
    private(set) var exitStatus: Int32?

    /// Starts `arguments[0]` with `arguments`; `environment` nil inherits ours.
    init(_ arguments: [String], environment: [String]? = nil) {
        // Writing to a child that has exited must fail with EPIPE, not kill the test runner.
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        precondition(pipe(&inPipe) == 0 && pipe(&outPipe) == 0 && pipe(&errPipe) == 0)
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = (environment ?? ChildProcess.currentEnvironment()).map { strdup($0) } + [nil]
        var child: pid_t = 0
        let status = posix_spawn(&child, arguments[0], &actions, nil, argv, envp)
        precondition(status == 0, "posix_spawn \(arguments[0]) failed: \(status)")
        posix_spawn_file_actions_destroy(&actions)
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        Glibc.close(inPipe[0]); Glibc.close(outPipe[1]); Glibc.close(errPipe[1])
        pid = child
        stdinFD = inPipe[1]
        stdoutFD = outPipe[0]
        stderrFD = errPipe[0]
    }

    static func currentEnvironment() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    var stdoutLines: [String] { stdoutText.split(separator: "\n").map(String.init) }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress! + offset, bytes.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }  // the child has exited; its status tells why
            offset += count
        }
    }

    func closeStdin() {
        if stdinFD >= 0 { Glibc.close(stdinFD); stdinFD = -1 }
    }

    func signal(_ signo: Int32) { kill(pid, signo) }

    /// Closes our end of the child's standard output: its writes then fail with EPIPE.
    func closeStdout() {
        if stdoutFD >= 0 { Glibc.close(stdoutFD); stdoutFD = -1 }
    }

    /// Reads whatever output is available, waiting at most `milliseconds`.
    func pump(milliseconds: Int32) {
        var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0), pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)]  // fd -1 is skipped
        guard poll(&fds, 2, milliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        for (index, fd) in [stdoutFD, stderrFD].enumerated() where fds[index].revents != 0 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                if index == 0 { stdout += buffer[..<count] } else { stderr += buffer[..<count] }
            }
        }
    }

    /// Pumps output until `condition` holds or `seconds` pass; returns whether it held.
    @discardableResult
    func waitFor(seconds: Double, _ condition: (ChildProcess) -> Bool) -> Bool {
        let deadline = ChildProcess.now() + seconds
        while ChildProcess.now() < deadline {
            if condition(self) { return true }
            pump(milliseconds: 50)
        }
        return condition(self)
    }

    /// Waits for the process to exit (at most `seconds`, then SIGKILL) and collects all output.
    @discardableResult
    func wait(seconds: Double = 30) -> Int32? {
        let deadline = ChildProcess.now() + seconds
        var status: Int32 = 0
        while exitStatus == nil {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
                break
            }
            if ChildProcess.now() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                exitStatus = nil
                break
            }
            pump(milliseconds: 20)
        }
        // Drain what is left.
        for _ in 0..<100 {
            let before = stdout.count + stderr.count
            pump(milliseconds: 10)
            if stdout.count + stderr.count == before { break }
        }
        return exitStatus
    }

    /// Whether the process is still running.
    var isRunning: Bool {
        var status: Int32 = 0
        if exitStatus != nil { return false }
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            return false
        }
        return true
    }

    deinit {
        closeStdin()
        if exitStatus == nil { kill(pid, SIGKILL); var status: Int32 = 0; waitpid(pid, &status, 0) }
        if stdoutFD >= 0 { Glibc.close(stdoutFD) }
        Glibc.close(stderrFD)
    }

    static func now() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Runs to completion: exit status and output.
    static func run(_ arguments: [String], stdin: String = "", environment: [String]? = nil, seconds: Double = 60) -> ChildProcess {
        let child = ChildProcess(arguments, environment: environment)
        if !stdin.isEmpty { child.write(stdin) }
        child.closeStdin()
        child.wait(seconds: seconds)
        return child
    }
}

/// Writes a temporary file and returns its path.
func temporaryFile(_ content: String, name: String = "policy") -> String {
    var template = Array("/tmp/bpfguard-test-\(name)-XXXXXX".utf8CString)
    let fd = mkstemp(&template)
    precondition(fd >= 0)
    let bytes = Array(content.utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    Glibc.close(fd)
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// `--known-programs` with a path of its own (in a new directory under /tmp): a plugin with
/// kernel lookups otherwise reads and writes the installed plugin's state file.
func scratchKnownPrograms() -> [String] {
    var template = Array("/tmp/bpfguard-test-known-XXXXXX".utf8CString)
    precondition(mkdtemp(&template) != nil)
    return ["--known-programs", String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/known-programs"]
}

func replaceFile(_ path: String, with content: String) {
    let fd = open(path, O_WRONLY | O_TRUNC)
    precondition(fd >= 0)
    let bytes = Array(content.utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    Glibc.close(fd)
}

/// The content of a file.
func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw FileError(path: path) }
    defer { Glibc.close(fd) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count <= 0 { return result }
        result += buffer[..<count]
    }
}

struct FileError: Error {
    var path: String
}

extension ChildProcess {
    /// Sends SIGUSR1 to the plugin and returns the state report it writes to `path`.
    func stateReport(at path: String) throws -> String {
        signal(SIGUSR1)
        #expect(waitFor(seconds: 10) { $0.stderrText.contains("state report written to \(path)") })
        return String(decoding: try readFile(path), as: UTF8.self)
    }
}

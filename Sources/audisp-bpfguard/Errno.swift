import Glibc

/// A failed system call: its name and errno, printed as `open: No such file or directory`.
struct SystemCallError: Error, CustomStringConvertible {
    var call: String
    var code: Int32

    init(_ call: String, code: Int32 = errno) {
        self.call = call
        self.code = code
    }

    var description: String { "\(call): \(String(cString: strerror(code)))" }
}

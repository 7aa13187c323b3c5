import Glibc

/// A broken invariant: says which on standard error and aborts, so that libFuzzer reports a
/// crash and keeps the input that caused it.
func fuzzFailure(_ message: String) -> Never {
    fputs("fuzz: invariant broken: \(message)\n", stderr)
    abort()
}

/// Aborts with `message` unless `condition` holds.
func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fuzzFailure(message()) }
}

/// Bytes shown in a failure message: printable ASCII as is, everything else as `\xHH`.
func fuzzShow(_ bytes: some Sequence<UInt8>) -> String {
    var text = ""
    for byte in bytes {
        if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
            text.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            let hex = String(byte, radix: 16)
            text += "\\x" + (hex.count == 1 ? "0" : "") + hex
        }
    }
    return text
}

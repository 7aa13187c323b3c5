/// libFuzzer entry points of the `input-path` target (built by `Fuzz/build.sh`).

/// Parses the shipped policy once, before the first input.
@_cdecl("LLVMFuzzerInitialize")
public func inputPathInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    _ = ShippedPolicy.policy
    return 0
}

/// One input: a four-byte mode header (`InputPathMode`), then audit stream bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func inputPathTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    guard let mode = InputPathMode(input) else { return 0 }
    let payload = UnsafeBufferPointer(rebasing: input[InputPathMode.headerLength...])
    InputPathRun(mode: mode, payload: payload, policy: ShippedPolicy.policy).run()
    return 0
}

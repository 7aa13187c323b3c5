import BPFGuardCore

/// libFuzzer entry point of the `policy-parser` target (built by `Fuzz/build.sh`): any bytes
/// as a policy file. The parser must not crash, must say where every problem is, must return
/// a policy exactly when there is no error, and must give the same answer twice; a policy it
/// returns must describe itself truthfully and evaluate first match wins.
@_cdecl("LLVMFuzzerTestOneInput")
public func policyParserTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    let result = PolicyParser.parse(bytes: bytes, path: DiagnosticCheck.path, resolver: FixedNames())
    DiagnosticCheck.check(result, input: bytes)
    let again = PolicyParser.parse(bytes: bytes, path: DiagnosticCheck.path, resolver: FixedNames())
    fuzzCheck(again.policy == result.policy && again.diagnostics == result.diagnostics, "parsing the same bytes twice gave different results")
    if let policy = result.policy {
        PolicyShapeCheck.check(policy, input: bytes)
        EvaluationCheck.check(policy, input: bytes)
    }
    return 0
}

/// User and group names the parser may resolve: a fixed table, not this machine's database,
/// so that an input means the same everywhere.
struct FixedNames: NameResolver {
    func userID(named name: String) -> UInt32? {
        ["root": 0, "daemon": 1, "www-data": 33, "nobody": 65534][name]
    }

    func groupID(named name: String) -> UInt32? {
        ["root": 0, "adm": 4, "nogroup": 65534][name]
    }
}

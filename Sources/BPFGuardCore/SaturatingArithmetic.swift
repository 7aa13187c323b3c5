/// `a + b`, or UInt64.max when it would overflow (times from input are arbitrary).
func saturatingSum(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? .max : sum
}

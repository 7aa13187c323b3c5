/// The helper a kernel function stands for in a program's translated instructions.
///
/// The verifier rewrites some helper calls into direct calls of the map type's own
/// function: `bpf_map_lookup_elem` on an array map becomes `array_map_lookup_elem`, on a
/// hash map `__htab_map_lookup_elem`, `bpf_redirect_map` on a devmap `dev_map_redirect`,
/// `bpf_for_each_map_elem` on a hash map `bpf_for_each_hash_elem`. These functions follow
/// the naming of the map operations they implement (`struct bpf_map_ops`), so the symbol
/// name says which helper the program called:
///
/// | symbol | helper |
/// |---|---|
/// | `bpf_for_each_…_elem` | `bpf_for_each_map_elem` |
/// | `…_lookup_percpu_elem` | `bpf_map_lookup_percpu_elem` |
/// | `…_lookup_elem`, `sock_map_lookup`, `sock_hash_lookup` | `bpf_map_lookup_elem` |
/// | `…_update_elem` | `bpf_map_update_elem` |
/// | `…_delete_elem` | `bpf_map_delete_elem` |
/// | `…_push_elem`, `…_pop_elem`, `…_peek_elem` | `bpf_map_push_elem`, `bpf_map_pop_elem`, `bpf_map_peek_elem` |
/// | `…_map_redirect` | `bpf_redirect_map` |
///
/// Any other symbol is its own name: a helper (`bpf_send_signal`, or a per-type variant
/// such as `bpf_perf_event_output_tp`) or a kfunc (`bpf_send_signal_task`).
public enum HelperNaming {
    private static let suffixes: [(suffix: String, helper: String)] = [
        ("_lookup_percpu_elem", "bpf_map_lookup_percpu_elem"),
        ("_lookup_elem", "bpf_map_lookup_elem"),
        ("_update_elem", "bpf_map_update_elem"),
        ("_delete_elem", "bpf_map_delete_elem"),
        ("_push_elem", "bpf_map_push_elem"),
        ("_pop_elem", "bpf_map_pop_elem"),
        ("_peek_elem", "bpf_map_peek_elem"),
        ("_map_redirect", "bpf_redirect_map"),
    ]

    /// The helper `symbol` implements (itself when it is not a map operation).
    public static func helperName(forSymbol symbol: String) -> String {
        if symbol.hasPrefix("bpf_for_each_") && symbol.hasSuffix("_elem") { return "bpf_for_each_map_elem" }
        if symbol == "sock_map_lookup" || symbol == "sock_hash_lookup" { return "bpf_map_lookup_elem" }
        for (suffix, helper) in suffixes where symbol.hasSuffix(suffix) { return helper }
        return symbol
    }

    /// Whether `symbol` is a map operation the verifier may call in a helper's place.
    public static func isMapOperation(_ symbol: String) -> Bool {
        helperName(forSymbol: symbol) != symbol || symbol.hasPrefix("bpf_map_") || symbol == "bpf_redirect_map"
    }
}

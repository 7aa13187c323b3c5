/// The order in which learning mode reads its logs: auditd rotates `audit.log` to
/// `audit.log.1`, `audit.log.1` to `audit.log.2` and so on, so the highest number is the
/// oldest. Files named `NAME.N` (N a number) and `NAME` are read oldest first —
/// `audit.log.4` … `audit.log.1`, `audit.log` — whatever order they are given in (a shell
/// glob gives `audit.log audit.log.1 audit.log.10 audit.log.2`); files of different names
/// keep the positions they were given in, and `-` (standard input) stays where it is.
/// Reading in time order matters: a program loaded in one file and unloaded in the next
/// gets its lifetime only when the load comes first.
public enum RotatedLogOrder {
    /// `audit.log.3` → (`audit.log`, 3); `audit.log` → (`audit.log`, 0).
    public static func rotation(of path: String) -> (stem: String, number: Int) {
        guard let dot = path.lastIndex(of: "."), !path[path.index(after: dot)...].contains("/") else { return (path, 0) }
        let suffix = path[path.index(after: dot)...]
        guard !suffix.isEmpty, suffix.count <= 9, suffix.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let number = Int(suffix)
        else { return (path, 0) }
        return (String(path[..<dot]), number)
    }

    /// `paths` with the files of each rotation family in reading order, in the positions
    /// the family held.
    public static func ordered(_ paths: [String]) -> [String] {
        var positions: [String: [Int]] = [:]
        for (index, path) in paths.enumerated() where path != "-" {
            positions[rotation(of: path).stem, default: []].append(index)
        }
        var result = paths
        for indices in positions.values where indices.count > 1 {
            // Oldest (highest number) first; equal numbers keep their given order.
            let family = indices.sorted { left, right in
                let leftNumber = rotation(of: paths[left]).number, rightNumber = rotation(of: paths[right]).number
                return leftNumber != rightNumber ? leftNumber > rightNumber : left < right
            }
            for (slot, source) in zip(indices, family) { result[slot] = paths[source] }
        }
        return result
    }
}

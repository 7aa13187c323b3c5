/// `/var/lib/dpkg/status`: one stanza per package known to dpkg. Used to tell which
/// packages have files on disk: a package removed but not purged (`config-files`) may
/// keep a `.list` file that only names its configuration files.
public enum DpkgStatus {
    /// The names under which the info files of packages that have files on disk are
    /// stored: `NAME`, and `NAME:ARCH` for the packages of `Multi-Arch: same`.
    public static func packagesWithFiles(in bytes: [UInt8]) -> Set<String> {
        var result = Set<String>()
        var name: String?, architecture: String?, multiArchSame = false, hasFiles = false
        func finishStanza() {
            if let name, hasFiles {
                result.insert(name)
                if let architecture, multiArchSame { result.insert(name + ":" + architecture) }
            }
            name = nil; architecture = nil; multiArchSame = false; hasFiles = false
        }
        for line in ByteLines(bytes: bytes) {
            if line.isEmpty { finishStanza(); continue }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), line.first != UInt8(ascii: " ") else { continue }
            let key = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingBlanks
            switch key {
            case "Package": name = value
            case "Architecture": architecture = value
            case "Multi-Arch": multiArchSame = value == "same"
            case "Status":
                // WANT FLAG STATE; these states have the package's files unpacked.
                let state = value.split(separator: " ").last.map(String.init) ?? ""
                hasFiles = ["installed", "unpacked", "half-configured", "half-installed", "triggers-awaited", "triggers-pending"].contains(state)
            default: break
            }
        }
        finishStanza()
        return result
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingBlanks: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[first...last])
    }
}

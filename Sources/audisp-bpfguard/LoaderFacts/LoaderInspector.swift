import BPFGuardCore
import Glibc

/// Where a live loader runs, from /proc: its executable link, root directory, mount
/// namespace and cgroup, compared with the host's (PID 1's, or the plugin's own when PID
/// 1's cannot be read). auditd may run its plugins in a mount namespace of its own
/// (systemd's `ProtectControlGroups=` makes one), so PID 1 is the reference.
struct LoaderInspector {
    var procRoot = "/proc"
    /// The host's root directory and mount namespace, read once at start (before the plugin
    /// gives up its capabilities).
    let hostRoot: FileStamp?
    let hostMountNamespace: [UInt8]?

    init(procRoot: String = "/proc") {
        self.procRoot = procRoot
        hostRoot = FileStamp.of(path: procRoot + "/1/root") ?? FileStamp.of(path: "/")
        hostMountNamespace = Self.link(procRoot + "/1/ns/mnt") ?? Self.link(procRoot + "/self/ns/mnt")
    }

    /// What /proc says about process `pid` that ran `exe`.
    struct Inspection {
        var placement: LoaderPlacement
        /// The process is the loader and runs `exe` (its link names it, or it with
        /// ` (deleted)`): `/proc/PID/exe` holds the loader's bytes.
        var runsRecordedExe: Bool
        /// The link of `/proc/PID/exe` (as this process's root sees it).
        var link: [UInt8]?
    }

    func inspect(pid: UInt32, exe: [UInt8]?) -> Inspection {
        let directory = "\(procRoot)/\(pid)"
        guard let link = Self.link(directory + "/exe") else {
            return Inspection(placement: .unknown, runsRecordedExe: false, link: nil)
        }
        let runsExe = exe.map { link == $0 || link == $0 + LoaderTrustRules.deletedSuffix } ?? false
        let root = FileStamp.of(path: directory + "/root")
        var placement = LoaderPlacement(
            sameRoot: root.flatMap { root in hostRoot.map { $0.device == root.device && $0.inode == root.inode } },
            sameMountNamespace: Self.link(directory + "/ns/mnt").flatMap { namespace in hostMountNamespace.map { $0 == namespace } })
        if runsExe {
            placement.containerCgroup = (try? FileIO.readFile(directory + "/cgroup", limit: 1 << 20)).map(ContainerCgroup.isContainer)
        } else if placement.sameRoot != false && placement.sameMountNamespace != false {
            // The link names another file and the process sees the host's tree: the pid was
            // reused (or the file renamed). Nothing here describes the loader.
            placement = .unknown
        }
        // Otherwise the process has a root or mount namespace of its own — the loader in a
        // chroot or container (whose link reads differently from here), or a pid reused by
        // such a process: either way its path is not the host's.
        return Inspection(placement: placement, runsRecordedExe: runsExe, link: link)
    }

    /// The target of a symbolic link, or nil.
    static func link(_ path: String) -> [UInt8]? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return buffer[..<count].map { UInt8(bitPattern: $0) }
    }
}

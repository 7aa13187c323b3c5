/// Recognises the cgroups container runtimes put their containers in, from the text of
/// `/proc/PID/cgroup` (`ID:CONTROLLERS:PATH` per line; cgroup v2 has the single line
/// `0::PATH`).
///
/// A path component names a container when it is
/// - `docker-ID.scope` (Docker, systemd driver) or `docker` followed by the container's
///   directory (cgroupfs driver: `/docker/ID`);
/// - `kubepods…` (Kubernetes pods, either driver);
/// - `cri-containerd-ID.scope`, `crio-ID.scope` (CRI-O; not its `crio-conmon-` monitor),
///   `libpod-ID.scope` (Podman; not `libpod-conmon-`);
/// - `lxc.payload…`, or `lxc` followed by the container's directory (LXC);
/// - `systemd-nspawn@NAME.service` (systemd-nspawn).
/// The daemons themselves (`docker.service`, `containerd.service`) are host processes.
public enum ContainerCgroup {
    public static func isContainer(_ cgroupFile: [UInt8]) -> Bool {
        ByteLines(bytes: cgroupFile).contains { line in
            // The path starts after the second colon.
            guard let first = line.firstIndex(of: UInt8(ascii: ":")),
                  let second = line[(first + 1)...].firstIndex(of: UInt8(ascii: ":"))
            else { return false }
            let components = line[(second + 1)...].split(separator: UInt8(ascii: "/")).map { String(decoding: $0, as: UTF8.self) }
            return components.indices.contains { index in
                isContainerComponent(components[index], hasChild: index + 1 < components.count)
            }
        }
    }

    static func isContainerComponent(_ name: String, hasChild: Bool) -> Bool {
        if (name == "docker" || name == "lxc") && hasChild { return true }
        if name.hasPrefix("kubepods") || name.hasPrefix("lxc.payload") || name.hasPrefix("systemd-nspawn@") { return true }
        guard name.hasSuffix(".scope") else { return false }
        if name.hasPrefix("crio-conmon-") || name.hasPrefix("libpod-conmon-") { return false }
        return name.hasPrefix("docker-") || name.hasPrefix("cri-containerd-") || name.hasPrefix("crio-") || name.hasPrefix("libpod-")
    }
}

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "audisp-bpfguard",
    products: [
        .executable(name: "audisp-bpfguard", targets: ["audisp-bpfguard"]),
    ],
    targets: [
        // libauparse (audit-userspace) as a Swift module.
        .systemLibrary(
            name: "CAuparse",
            pkgConfig: "auparse",
            providers: [.apt(["libauparse-dev"]), .yum(["audit-libs-devel"])]
        ),
        // libcap-ng, used to drop capabilities after start-up.
        .systemLibrary(
            name: "CCapNG",
            pkgConfig: "libcap-ng",
            providers: [.apt(["libcap-ng-dev"]), .yum(["libcap-ng-devel"])]
        ),
        // libaudit (audit-userspace): the kernel's audit status and rules, for --check-audit.
        .systemLibrary(
            name: "CAudit",
            pkgConfig: "audit",
            providers: [.apt(["libaudit-dev"]), .yum(["audit-libs-devel"])]
        ),
        // libbpf: kernel lookups of programs by prog-id.
        .systemLibrary(
            name: "CBPF",
            pkgConfig: "libbpf",
            providers: [.apt(["libbpf-dev"]), .yum(["libbpf-devel"])]
        ),
        // C glue of the executable: async-signal-safe handlers, syslog without a format string.
        .target(name: "CPluginSupport"),
        // Pure Swift: event model, policy language, rule engine, program table, alert formatting. No I/O.
        .target(name: "BPFGuardCore"),
        // libauparse glue: feeds records, assembles events, extracts BPF events.
        .target(name: "BPFGuardAudit", dependencies: ["CAuparse", "BPFGuardCore"]),
        // The plugin: command line, stdin loop, signals, syslog.
        .executableTarget(
            name: "audisp-bpfguard",
            dependencies: ["BPFGuardCore", "BPFGuardAudit", "CAudit", "CBPF", "CCapNG", "CPluginSupport"]
        ),
        .testTarget(name: "BPFGuardCoreTests", dependencies: ["BPFGuardCore"]),
        .testTarget(name: "BPFGuardAuditTests", dependencies: ["BPFGuardAudit", "BPFGuardCore"]),
        .testTarget(name: "EndToEndTests", dependencies: ["audisp-bpfguard"]),
    ]
)

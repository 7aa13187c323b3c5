/// A syslog severity, by the names syslog.conf(5) uses.
public enum SyslogPriority: Int32, Sendable, CaseIterable, Comparable {
    case emerg = 0, alert, crit, err, warning, notice, info, debug

    /// The canonical name, as printed in alerts.
    public var name: String {
        switch self {
        case .emerg: "emerg"
        case .alert: "alert"
        case .crit: "crit"
        case .err: "err"
        case .warning: "warning"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }

    /// Accepts the canonical names and syslog's deprecated aliases (`panic`, `error`, `warn`).
    public init?(name: some StringProtocol) {
        switch name.lowercased() {
        case "emerg", "panic": self = .emerg
        case "alert": self = .alert
        case "crit": self = .crit
        case "err", "error": self = .err
        case "warning", "warn": self = .warning
        case "notice": self = .notice
        case "info": self = .info
        case "debug": self = .debug
        default: return nil
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public static var allNames: String { allCases.map(\.name).joined(separator: ", ") }
}

/// A syslog facility; `code` is the value to OR into a priority (`LOG_AUTHPRIV` is 10 << 3).
public enum SyslogFacility: String, Sendable, CaseIterable {
    case kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp
    case local0, local1, local2, local3, local4, local5, local6, local7

    public var code: Int32 {
        switch self {
        case .kern: 0 << 3
        case .user: 1 << 3
        case .mail: 2 << 3
        case .daemon: 3 << 3
        case .auth: 4 << 3
        case .syslog: 5 << 3
        case .lpr: 6 << 3
        case .news: 7 << 3
        case .uucp: 8 << 3
        case .cron: 9 << 3
        case .authpriv: 10 << 3
        case .ftp: 11 << 3
        case .local0: 16 << 3
        case .local1: 17 << 3
        case .local2: 18 << 3
        case .local3: 19 << 3
        case .local4: 20 << 3
        case .local5: 21 << 3
        case .local6: 22 << 3
        case .local7: 23 << 3
        }
    }

    /// Accepts `authpriv` as well as `LOG_AUTHPRIV` (the form audisp-syslog's args use).
    public init?(name: some StringProtocol) {
        var lowered = name.lowercased()
        if lowered.hasPrefix("log_") { lowered.removeFirst(4) }
        guard let facility = SyslogFacility(rawValue: lowered), facility != .kern else { return nil }
        self = facility
    }

    public static var allNames: String { allCases.filter { $0 != .kern }.map(\.rawValue).joined(separator: ", ") }
}

/// What an ECS document needs that the alert does not carry: this host's name (for events
/// without a `node=`) and the policy's path (`rule.ruleset`, `rule.id`).
public struct ECSContext: Sendable {
    public var hostName: String
    public var policyPath: String

    public init(hostName: String, policyPath: String) {
        self.hostName = hostName
        self.policyPath = policyPath
    }
}

/// `--output ecs`: one JSON document per line shaped to the Elastic Common Schema, so that
/// Elastic, OpenSearch and other SIEMs index alerts without a custom pipeline. ECS fields
/// carry what ECS has a field for (checked against ECS's field list by the tests); the rest
/// goes under `bpfguard.` with the keys of `--output json`. Unknown values are left out.
public enum ECSFormatter {
    /// The ECS release the field names and types were checked against.
    public static let ecsVersion = "9.4.0"

    /// Alert keys that become ECS fields of their own; the others go under `bpfguard.`.
    private static let mappedKeys: Set<String> = ["alert", "op", "event", "rule", "node", "uid", "euid", "pid", "ppid", "comm", "exe", "cmdline", "first", "last"]

    public static func document(_ line: OutgoingAlert, context: ECSContext) -> String {
        switch line {
        case .single(let alert):
            return alertDocument(alert, line: line, context: context, span: nil)
        case .repeated(let repeated):
            return alertDocument(repeated.alert, line: line, context: context, span: (repeated.first, repeated.last))
        case .capped(let capped):
            return cappedDocument(capped, line: line, context: context)
        case .audit(let alert):
            return auditDocument(alert, line: line, context: context)
        }
    }

    /// A built-in alert about audit itself: ECS's `configuration` category, a `change`.
    private static func auditDocument(_ alert: AuditAlert, line: OutgoingAlert, context: ECSContext) -> String {
        var eventMembers = common(kind: "alert", type: "change", action: alert.label, priority: alert.priority)
        eventMembers = eventMembers.map { $0.0 == "category" ? ("category", .array([.text("configuration")])) : $0 }
        eventMembers.append(("id", .text(alert.timestamp.description)))
        var members: [(String, JSONValue)] = [
            ("@timestamp", .text(UTCTimestampText.iso8601(milliseconds: alert.timestamp.totalMilliseconds))),
            ("message", .text(line.line)),
            ("ecs", .object([("version", .text(ecsVersion))])),
            ("event", .object(eventMembers)),
            ("rule", .object([("name", .text(alert.label)), ("ruleset", .text("builtin"))])),
            ("host", .object([("name", .text(alert.node ?? context.hostName))])),
        ]
        if let process = alert.process {
            var processMembers: [(String, JSONValue)] = []
            if let exe = process.exe { processMembers.append(("executable", .string(exe))) }
            if let pid = process.pid { processMembers.append(("pid", .number(UInt64(pid)))) }
            if let cmdline = process.cmdline { processMembers.append(("command_line", .string(cmdline))) }
            if !processMembers.isEmpty { members.append(("process", .object(processMembers))) }
            if let uid = process.uid { members.append(("user", .object([("id", .text(String(uid)))]))) }
        }
        var extensions: [(String, JSONValue)] = [("change", .text(alert.change))]
        if let loads = alert.loads { extensions.append(("loads", .number(loads))) }
        members.append(("bpfguard", .object(extensions)))
        return JSONValue.object(members).rendered
    }

    private static func alertDocument(_ alert: Alert, line: OutgoingAlert, context: ECSContext,
                                      span: (first: AuditTimestamp, last: AuditTimestamp)?) -> String {
        let event = alert.subject.event
        let loader = alert.subject.loader
        let (type, action) = categorization(event.operation)
        var eventMembers = common(kind: "alert", type: type, action: action, priority: alert.priority,
                                  provider: event.operation.isObserved ? "audisp-bpfguard" : "auditd")
        eventMembers.append(("id", .text(event.timestamp.description)))
        if let span {
            eventMembers.append(("start", .text(UTCTimestampText.iso8601(milliseconds: span.first.totalMilliseconds))))
            eventMembers.append(("end", .text(UTCTimestampText.iso8601(milliseconds: span.last.totalMilliseconds))))
        }
        let ruleID = alert.rule == .defaultSetting ? "default" : alert.rule.description
        var process: [(String, JSONValue)] = []
        if let exe = loader?.exe { process.append(("executable", .string(exe))) }
        if let comm = loader?.comm { process.append(("name", .string(comm))) }
        if let cmdline = loader?.cmdline { process.append(("command_line", .string(cmdline))) }
        if let pid = loader?.pid { process.append(("pid", .number(pid))) }
        if let ppid = loader?.ppid { process.append(("parent", .object([("pid", .number(ppid))]))) }
        var user: [(String, JSONValue)] = []
        if let uid = loader?.uid { user.append(("id", .text(String(uid)))) }
        if let euid = loader?.euid { user.append(("effective", .object([("id", .text(String(euid)))]))) }

        var members: [(String, JSONValue)] = [
            ("@timestamp", .text(UTCTimestampText.iso8601(milliseconds: event.timestamp.totalMilliseconds))),
            ("message", .text(line.line)),
            ("ecs", .object([("version", .text(ecsVersion))])),
            ("event", .object(eventMembers)),
            ("rule", .object([
                ("name", .text(alert.label)),
                ("id", .text("\(context.policyPath):\(ruleID)")),
                ("ruleset", .text(context.policyPath)),
            ])),
        ]
        if !process.isEmpty { members.append(("process", .object(process))) }
        if !user.isEmpty { members.append(("user", .object(user))) }
        members.append(("host", .object([("name", .text(event.node ?? context.hostName))])))
        members.append(("bpfguard", .object(extensionMembers(line))))
        return JSONValue.object(members).rendered
    }

    private static func cappedDocument(_ capped: CappedAlerts, line: OutgoingAlert, context: ECSContext) -> String {
        var eventMembers = common(kind: "alert", type: "info", action: OutgoingAlert.cappedLabel, priority: capped.priority)
        eventMembers.append(("start", .text(UTCTimestampText.iso8601(milliseconds: capped.first.totalMilliseconds))))
        eventMembers.append(("end", .text(UTCTimestampText.iso8601(milliseconds: capped.last.totalMilliseconds))))
        return JSONValue.object([
            ("@timestamp", .text(UTCTimestampText.iso8601(milliseconds: capped.last.totalMilliseconds))),
            ("message", .text(line.line)),
            ("ecs", .object([("version", .text(ecsVersion))])),
            ("event", .object(eventMembers)),
            ("rule", .object([("name", .text(OutgoingAlert.cappedLabel)), ("ruleset", .text(context.policyPath))])),
            ("host", .object([("name", .text(context.hostName))])),
            ("bpfguard", .object(extensionMembers(line))),
        ]).rendered
    }

    /// `event.type` and `event.action` of an operation: a load starts a driver, an unload
    /// ends it; what the plugin's scan observes (a program outliving its loader, one no
    /// record announced) is information about a running one. `event.provider` says who saw
    /// it: auditd's records, or the plugin's own scan of the kernel.
    private static func categorization(_ operation: BPFOperation) -> (type: String, action: String) {
        switch operation {
        case .load: ("start", "loaded-bpf-program")
        case .unload: ("end", "unloaded-bpf-program")
        case .persist: ("info", "bpf-program-outlived-loader")
        case .unseen: ("info", "unannounced-bpf-program")
        }
    }

    /// The `event.` fields every document has.
    private static func common(kind: String, type: String, action: String, priority: SyslogPriority,
                               provider: String = "auditd") -> [(String, JSONValue)] {
        [
            ("kind", .text(kind)),
            ("category", .array([.text("driver")])),
            ("type", .array([.text(type)])),
            ("action", .text(action)),
            ("module", .text("bpfguard")),
            ("dataset", .text("bpfguard.alert")),
            ("provider", .text(provider)),
            ("severity", .number(priority.rawValue)),
        ]
    }

    /// The line's keys ECS has no field for, as `--output json` writes them; `auid` always a
    /// string (`"0"`, `"unset"`), so that its type never changes.
    private static func extensionMembers(_ line: OutgoingAlert) -> [(String, JSONValue)] {
        line.fields.compactMap { field in
            guard !mappedKeys.contains(field.key) else { return nil }
            switch field.value {
            case .unknown: return nil
            case .number(let number) where field.key == "auid": return (AlertFormatter.jsonKey(field.key), .text(String(number)))
            default: return (AlertFormatter.jsonKey(field.key), .raw(AlertFormatter.jsonValue(field.value, key: field.key)))
            }
        }
    }
}

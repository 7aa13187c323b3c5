/// The `#!!!!` lines above a generic loader's group (`GenericLoaders`): allowing the
/// executable allows whatever a script or command line makes it load, so the group is
/// proposed commented out with narrower rules to put in its rule's place, by what the logs
/// showed of the loads: the login uid and terminal when there was one of each, and the
/// command lines (`CommandLineSummary`), one rule per suggested `cmdline` value.
///
/// Each suggested rule is policy text: with its `#!!!!   ` and the `# ` before the group's
/// set removed, the policy passes `--check` and the rule allows the loads it was learned
/// from that came with a command line. Values from the logs are written with
/// `PolicyValueText`, so no byte of a command line can end the comment or forge a condition.
enum GenericLoaderSuggestion {
    static let warning = "#!!!! generic loader: allowing it allows whatever a script or command line makes it load; narrow the rule:"
    static let prefix = "#!!!!   "

    static func lines(setName: String, group: LoaderGroup) -> [String] {
        let statistics = group.statistics
        var conditions: [String] = []
        if statistics.auids.count == 1, !statistics.auids.overflowed {
            conditions.append("auid=\(LearnedPolicyText.auditID(statistics.auids.values[0]))")
        }
        if statistics.ttys.count == 1, !statistics.ttys.overflowed, statistics.ttys.values[0] != "\"(none)\"" {
            conditions.append("tty=\(statistics.ttys.values[0])")
        }
        let commandLines = statistics.commandLines
        let patterns = commandLines.suggestedPatterns
        var lines = [warning]
        if patterns.isEmpty {
            lines.append(prefix + PolicyGenerator.ruleText(.load, setName: setName, group: group, extra: conditions))
        } else {
            for pattern in patterns {
                let rule = PolicyGenerator.ruleText(.load, setName: setName, group: group, extra: conditions + ["cmdline=" + PolicyValueText.pattern(pattern)])
                lines.append(prefix + rule)
            }
            lines.append(prefix + "(cmdline narrows, never trusts: the loader writes it itself, and the kernel keeps its first"
                         + " \(ProcessTitle.maximumLength) bytes)")
        }
        if patterns.isEmpty, !commandLines.values.values.isEmpty {
            lines.append(prefix + "(more than \(CommandLineSummary.exactLimit) command lines, with fewer than"
                         + " \(CommandLineSummary.minimumGlobArguments) arguments in common: no cmdline to suggest)")
        }
        if !patterns.isEmpty, commandLines.missing > 0 {
            lines.append(prefix + "(\(LearnedPolicyText.count(commandLines.missing, "load")) came without a command line"
                         + " (no PROCTITLE record): a cmdline rule does not match \(commandLines.missing == 1 ? "it" : "them"))")
        }
        return lines
    }
}

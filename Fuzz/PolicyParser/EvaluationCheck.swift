import BPFGuardCore

/// A parsed policy evaluates first match wins: for subjects made from the input bytes (any
/// operation, with and without a loader, a lifetime, a program description, loader facts),
/// the decision names the first rule that matches, or the default setting.
enum EvaluationCheck {
    static func check(_ policy: Policy, input: [UInt8]) {
        input.withUnsafeBufferPointer { bytes in
            var tape = InputTape(bytes)
            for _ in 0..<4 {
                let subject = self.subject(&tape)
                let decision = policy.evaluate(subject)
                let first = policy.rules.firstIndex { $0.matches(subject) }
                fuzzCheck(decision.ruleIndex == first, "decision names rule index \(String(describing: decision.ruleIndex)), first match is \(String(describing: first))")
                if let first {
                    fuzzCheck(decision.rule == .line(policy.rules[first].line) && decision.action == policy.rules[first].action,
                              "decision \(decision.rule) is not rule \(first) on line \(policy.rules[first].line)")
                } else {
                    fuzzCheck(decision.rule == .defaultSetting, "no rule matched but the decision names \(decision.rule)")
                    let alerts = decision.alert != nil
                    fuzzCheck(alerts == (policy.settings.defaultAction == .alert), "default decision does not follow default=\(policy.settings.defaultAction)")
                }
            }
        }
    }

    private static func subject(_ tape: inout InputTape) -> RuleSubject {
        let operation = BPFOperation.allCases[tape.below(BPFOperation.allCases.count)]
        let node = tape.oneIn(3) ? String(decoding: tape.slice(maximum: 12), as: UTF8.self) : nil
        let event = BPFEvent(operation: operation, programID: UInt32(tape.below(5000)), node: node,
                             timestamp: AuditTimestamp(seconds: 1_795_943_321, milliseconds: 5, serial: 7))
        let loader = tape.oneIn(4) ? nil : process(&tape)
        var program = ProgramLookup.notDone
        if tape.oneIn(2) {
            let helpers = ["bpf_send_signal", "bpf_map_lookup_elem", String(decoding: tape.slice(maximum: 20), as: UTF8.self)]
            program = .found(ProgramInfo(type: BPFProgramType(rawValue: UInt32(tape.below(35))), name: tape.slice(maximum: 15),
                                         tag: "0123456789abcdef", createdByUID: UInt32(tape.below(2000)),
                                         helpers: tape.oneIn(3) ? nil : Array(helpers.prefix(tape.below(4)))))
        }
        let identities: [LoaderIdentity?] = [nil, .audit, .proc, .kernel, LoaderIdentity.none]
        return RuleSubject(event: event, loader: loader, unloader: operation == .unload ? process(&tape) : nil,
                           lifetimeMilliseconds: operation != .load && !tape.oneIn(4) ? UInt64(tape.below(4_000_000)) : nil,
                           program: program, identity: identities[tape.below(identities.count)], holders: tape.oneIn(2) ? nil : UInt32(tape.below(5)),
                           facts: tape.oneIn(3) ? nil : LoaderFacts(package: tape.oneIn(2) ? .named("libbpf-tools") : .none,
                                                                    trust: tape.oneIn(2) ? .yes : .no, container: tape.oneIn(2) ? .yes : .no))
    }

    private static func process(_ tape: inout InputTape) -> ProcessContext {
        func id() -> UInt32? { tape.oneIn(6) ? nil : tape.oneIn(5) ? ProcessContext.unsetID : UInt32(tape.below(70000)) }
        func text(_ maximum: Int) -> [UInt8]? { tape.oneIn(6) ? nil : tape.slice(maximum: maximum) }
        return ProcessContext(uid: id(), auid: id(), euid: id(), gid: id(), pid: id(), ppid: id(), ses: id(),
                              tty: text(8), comm: text(16), exe: text(64), key: text(16), syscall: tape.oneIn(2) ? Array("bpf".utf8) : nil)
    }
}

#ifndef BPFGUARD_CAUDIT_SHIM_H
#define BPFGUARD_CAUDIT_SHIM_H
#include <libaudit.h>
#include <linux/audit.h>

/* The string fields of a rule (a flexible array member, which Swift does not import). */
static inline const char *bpfguard_audit_rule_strings(const struct audit_rule_data *rule)
{
    return rule->buf;
}
#endif

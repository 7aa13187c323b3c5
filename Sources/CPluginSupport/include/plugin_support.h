#ifndef BPFGUARD_PLUGIN_SUPPORT_H
#define BPFGUARD_PLUGIN_SUPPORT_H

/* Signals the plugin acts on, recorded by async-signal-safe handlers and read by the
 * main loop between polls. */
typedef struct {
    int stop;    /* SIGTERM (from the parent in plugin mode) or SIGINT */
    int reload;  /* SIGHUP */
    int report;  /* SIGUSR1 */
} bpfguard_signal_state;

/* Installs the handlers without SA_RESTART, so that a blocking poll() returns EINTR.
 * With term_from_parent_only, a SIGTERM whose sender is not the parent process is
 * ignored (auditd's own plugins do the same: they stop when auditd tells them to, or at
 * end of input). SIGPIPE is ignored. Returns 0, or -1 with errno set. */
int bpfguard_install_signal_handlers(int term_from_parent_only);

/* Returns the signals received since the last call and clears them. */
bpfguard_signal_state bpfguard_take_signals(void);

/* syslog(priority, "%s", message): the message is never used as a format. */
void bpfguard_syslog(int priority, const char *message);

/* Closes every descriptor above standard error (auditd 3.0 leaks one of its pipes into
 * plugins). Returns 0. */
int bpfguard_close_inherited_descriptors(void);

/* prctl(PR_SET_NO_NEW_PRIVS, 1): 0, or -1 with errno set. */
int bpfguard_set_no_new_privs(void);

#endif

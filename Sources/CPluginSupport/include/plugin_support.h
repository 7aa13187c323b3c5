#ifndef BPFGUARD_PLUGIN_SUPPORT_H
#define BPFGUARD_PLUGIN_SUPPORT_H

/* Signals the plugin acts on, recorded by async-signal-safe handlers and read by the
 * main loop between polls. */
typedef struct {
    int stop;    /* the signal number of the SIGTERM or SIGINT that asked to stop, or 0 */
    int reload;  /* SIGHUP */
    int report;  /* SIGUSR1 */
} bpfguard_signal_state;

/* Installs the handlers without SA_RESTART, so that a blocking poll() returns EINTR.
 * With term_from_parent_only, a SIGTERM or SIGINT whose sender is not the parent process
 * (or the kernel) is ignored: auditd's own plugins stop when auditd tells them to, or at end
 * of input, and a stray Ctrl-C or kill must not switch detection off. SIGPIPE is ignored.
 * Call it first thing: until then a SIGHUP kills the process. Returns 0, or -1 with errno. */
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

/* A wake-up descriptor (an eventfd, non-blocking, close-on-exec) that a worker thread
 * signals and the main loop polls: the descriptor, or -1 with errno set. */
int bpfguard_wakeup_create(void);

/* Makes the descriptor readable (a worker thread has something for the main loop). */
void bpfguard_wakeup_signal(int fd);

/* Makes it unreadable again until the next signal. */
void bpfguard_wakeup_clear(int fd);

#endif

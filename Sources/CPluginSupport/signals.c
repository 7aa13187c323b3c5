#include "plugin_support.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static volatile sig_atomic_t report_requested;
static volatile sig_atomic_t parent_only;

static void on_term(int signo, siginfo_t *info, void *context)
{
    (void)context;
    if (parent_only && info != NULL && info->si_pid != 0 && info->si_pid != getppid())
        return;
    stop_requested = signo;
}

static void on_hup(int signo)
{
    (void)signo;
    reload_requested = 1;
}

static void on_usr1(int signo)
{
    (void)signo;
    report_requested = 1;
}

int bpfguard_install_signal_handlers(int term_from_parent_only)
{
    struct sigaction action;

    parent_only = term_from_parent_only ? 1 : 0;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO; /* no SA_RESTART: poll() must return EINTR */
    action.sa_sigaction = on_term;
    if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0)
        return -1;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = on_hup;
    if (sigaction(SIGHUP, &action, NULL) != 0)
        return -1;

    action.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &action, NULL) != 0)
        return -1;

    action.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &action, NULL) != 0)
        return -1;

    /* A blocked signal mask is inherited across exec: make sure ours are delivered. */
    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGHUP);
    sigaddset(&handled, SIGUSR1);
    return sigprocmask(SIG_UNBLOCK, &handled, NULL);
}

bpfguard_signal_state bpfguard_take_signals(void)
{
    bpfguard_signal_state state;
    /* stop stays set once requested; the others are one-shot, taken atomically so that a
     * signal arriving now is not lost. */
    state.stop = stop_requested;
    state.reload = __atomic_exchange_n(&reload_requested, 0, __ATOMIC_SEQ_CST);
    state.report = __atomic_exchange_n(&report_requested, 0, __ATOMIC_SEQ_CST);
    return state;
}

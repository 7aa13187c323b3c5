#include "plugin_support.h"

#include <sys/prctl.h>

int bpfguard_set_no_new_privs(void)
{
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

#include <unistd.h>
#include <sys/syscall.h>

int bpfguard_close_inherited_descriptors(void)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
        return 0;
#endif
    /* Older kernels: close what a plugin can have inherited. */
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = 3; fd < max; fd++)
        (void)close(fd);
    return 0;
}

#include "plugin_support.h"

#include <stdint.h>
#include <sys/eventfd.h>

/* eventfd is not part of Swift's Glibc module: these wrap it for the loader recovery
 * worker, which wakes the input loop's poll() when answers arrive. */

int bpfguard_wakeup_create(void)
{
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

void bpfguard_wakeup_signal(int fd)
{
    (void)eventfd_write(fd, 1);
}

void bpfguard_wakeup_clear(int fd)
{
    eventfd_t value;
    (void)eventfd_read(fd, &value);
}

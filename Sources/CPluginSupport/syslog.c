#include "plugin_support.h"

#include <syslog.h>

void bpfguard_syslog(int priority, const char *message)
{
    syslog(priority, "%s", message);
}

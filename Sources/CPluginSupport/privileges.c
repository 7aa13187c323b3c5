#include "plugin_support.h"

#include <sys/prctl.h>

int bpfguard_set_no_new_privs(void)
{
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

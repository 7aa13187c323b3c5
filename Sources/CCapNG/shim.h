#ifndef BPFGUARD_CCAPNG_SHIM_H
#define BPFGUARD_CCAPNG_SHIM_H
#include <cap-ng.h>
#endif

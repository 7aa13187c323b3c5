#ifndef BPFGUARD_CAUPARSE_SHIM_H
#define BPFGUARD_CAUPARSE_SHIM_H
#include <auparse.h>
#endif

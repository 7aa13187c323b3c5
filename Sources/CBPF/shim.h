#ifndef BPFGUARD_CBPF_SHIM_H
#define BPFGUARD_CBPF_SHIM_H
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>
#endif

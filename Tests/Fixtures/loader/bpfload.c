/*
 * bpfload - load tiny BPF programs with raw bpf(2) calls (no libbpf).
 *
 * Test-fixture tool for audisp-bpfguard: each successful BPF_PROG_LOAD makes
 * the kernel emit an audit record "type=BPF ... prog-id=N op=LOAD", and the
 * last close of the program (or unlink of its last pin) emits "op=UNLOAD".
 *
 * Build:  cc -O2 -o bpfload bpfload.c
 *
 * Usage:  bpfload [--type socket_filter|kprobe|tracepoint|xdp] [--name NAME]
 *                 [--hold MS] [--pin PATH] [--helper send_signal|map_update]
 *                 [--kfunc BTF_ID]... [--count N] [--delay MS] [--fork] [--fds N]
 *
 * Programs: "r0 = 0; exit" (xdp returns XDP_PASS), or with --helper send_signal
 * "r1 = 0; call bpf_send_signal; r0 = 0; exit", or with --helper map_update a call of
 * bpf_map_update_elem on a one-entry hash map the loader creates (the verifier turns it
 * into a call of htab_map_update_elem). Each --kfunc BTF_ID (up to 4, in order) adds a
 * call of the kernel function with that vmlinux BTF id, without arguments (e.g.
 * bpf_rcu_read_lock then bpf_rcu_read_unlock). License "GPL" and kern_version = the
 * running kernel for every type. Nothing is ever attached.
 * --hold MS keeps the fds open MS ms, then closes them (UNLOAD inside close());
 * --pin PATH pins each program on bpffs and exits, leaving it loaded (it is
 * unloaded when the pin is removed).
 *
 * --fork: after loading, a child process holds the same fds too (two holders of
 * each program); it dies with the parent. --fds N: first open N more descriptors
 * (of /dev/null, RLIMIT_NOFILE raised to fit), a host full of descriptors.
 *
 * Output: one line per loaded program, "loaded prog-id=N type=T", on stdout,
 * then with --fork "forked pid=N" (the child).
 * Errors go to stderr (with the verifier log when the load is rejected).
 * Exit status: 0 success, 1 load/pin/info failure, 2 usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef __NR_bpf
#error "this libc does not define __NR_bpf"
#endif

#define MAX_PROGS 65536
#define LOG_BUF_SIZE (256 * 1024)

/* One instruction encoder per shape we need (struct bpf_insn is in linux/bpf.h). */
static struct bpf_insn ins_mov64_imm(int dst, int32_t imm)
{
	struct bpf_insn i = { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = dst, .imm = imm };
	return i;
}

static struct bpf_insn ins_call(int32_t helper_id)
{
	struct bpf_insn i = { .code = BPF_JMP | BPF_CALL, .imm = helper_id };
	return i;
}

static struct bpf_insn ins_kfunc_call(int32_t btf_id)
{
	struct bpf_insn i = { .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = btf_id };
	return i;
}

static struct bpf_insn ins_mov64_reg(int dst, int src)
{
	struct bpf_insn i = { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = dst, .src_reg = src };
	return i;
}

static struct bpf_insn ins_add64_imm(int dst, int32_t imm)
{
	struct bpf_insn i = { .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = dst, .imm = imm };
	return i;
}

static struct bpf_insn ins_store_dw_imm(int dst, int16_t off, int32_t imm)
{
	struct bpf_insn i = { .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = dst, .off = off, .imm = imm };
	return i;
}

static struct bpf_insn ins_exit(void)
{
	struct bpf_insn i = { .code = BPF_JMP | BPF_EXIT };
	return i;
}

struct type_desc {
	const char *name;
	enum bpf_prog_type type;
	int32_t ret; /* value the program returns */
};

static const struct type_desc types[] = {
	{ "socket_filter", BPF_PROG_TYPE_SOCKET_FILTER, 0 }, /* drop: never attached anyway */
	{ "kprobe", BPF_PROG_TYPE_KPROBE, 0 },
	{ "tracepoint", BPF_PROG_TYPE_TRACEPOINT, 0 },
	{ "xdp", BPF_PROG_TYPE_XDP, XDP_PASS },
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpfload [options]\n"
		"  --type T             socket_filter (default), kprobe, tracepoint or xdp\n"
		"  --name NAME          program name, at most 15 chars of [A-Za-z0-9_.] (default: bpfload)\n"
		"  --hold MS            keep the program fd(s) open MS milliseconds, then close and exit (default 0)\n"
		"  --pin PATH           pin to PATH on a bpffs mount and exit (program stays loaded);\n"
		"                       with --count N>1 program i (1-based) is pinned at PATH-i\n"
		"  --helper send_signal program calls bpf_send_signal(0) (valid for kprobe/tracepoint;\n"
		"                       selects --type kprobe unless --type is given)\n"
		"  --helper map_update  program calls bpf_map_update_elem on a hash map it creates\n"
		"  --kfunc BTF_ID       program calls the kfunc of that vmlinux BTF id, no arguments\n"
		"                       (repeat for several calls, in order; at most 4)\n"
		"  --count N            load N programs (default 1, at most 65536; RLIMIT_NOFILE raised to fit)\n"
		"  --delay MS           sleep MS milliseconds before the first load (default 0)\n"
		"  --fork               after loading, fork: the child holds the fds too (dies with the parent)\n"
		"  --fds N              first open N more descriptors of /dev/null (raises RLIMIT_NOFILE)\n"
		"prints \"loaded prog-id=N type=T\" per program; exits non-zero on failure\n");
}

static int parse_uint(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, "bpfload: %s: invalid number '%s' (0..%lu)\n", opt, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* KERNEL_VERSION(a,b,c) of the running kernel; only checked by very old kernels for kprobes. */
static uint32_t running_kernel_version(void)
{
	struct utsname u;
	unsigned a = 0, b = 0, c = 0;
	if (uname(&u) == 0)
		sscanf(u.release, "%u.%u.%u", &a, &b, &c);
	if (c > 255)
		c = 255;
	return (a << 16) + (b << 8) + c;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	const struct type_desc *td = &types[0];
	int type_given = 0, use_send_signal = 0, use_map_update = 0;
	int32_t kfuncs[4];
	unsigned kfunc_count = 0;
	const char *name = "bpfload";
	const char *pin = NULL;
	unsigned long hold_ms = 0, delay_ms = 0, count = 1, extra_fds = 0;
	int fork_holder = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--fork")) {
			fork_holder = 1;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "bpfload: unknown option or missing value: %s\n", a);
			usage(stderr);
			return 2;
		}
		const char *v = argv[++i];
		if (!strcmp(a, "--type")) {
			td = NULL;
			for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
				if (!strcmp(v, types[k].name))
					td = &types[k];
			if (!td) {
				fprintf(stderr, "bpfload: --type: unknown program type '%s'\n", v);
				return 2;
			}
			type_given = 1;
		} else if (!strcmp(a, "--name")) {
			if (strlen(v) >= BPF_OBJ_NAME_LEN) {
				fprintf(stderr, "bpfload: --name: '%s' is longer than %d characters\n", v,
					BPF_OBJ_NAME_LEN - 1);
				return 2;
			}
			for (const char *p = v; *p; p++) {
				if (!(*p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
				      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
					fprintf(stderr, "bpfload: --name: the kernel only accepts [A-Za-z0-9_.], got '%s'\n", v);
					return 2;
				}
			}
			name = v;
		} else if (!strcmp(a, "--hold")) {
			if (parse_uint(a, v, 24UL * 3600 * 1000, &hold_ms))
				return 2;
		} else if (!strcmp(a, "--delay")) {
			if (parse_uint(a, v, 24UL * 3600 * 1000, &delay_ms))
				return 2;
		} else if (!strcmp(a, "--fds")) {
			if (parse_uint(a, v, 1000000, &extra_fds))
				return 2;
		} else if (!strcmp(a, "--pin")) {
			pin = v;
		} else if (!strcmp(a, "--helper")) {
			if (!strcmp(v, "send_signal")) {
				use_send_signal = 1;
			} else if (!strcmp(v, "map_update")) {
				use_map_update = 1;
			} else {
				fprintf(stderr, "bpfload: --helper: 'send_signal' or 'map_update', got '%s'\n", v);
				return 2;
			}
		} else if (!strcmp(a, "--kfunc")) {
			unsigned long id;
			if (parse_uint(a, v, INT32_MAX, &id))
				return 2;
			if (kfunc_count == sizeof(kfuncs) / sizeof(kfuncs[0])) {
				fprintf(stderr, "bpfload: at most 4 --kfunc\n");
				return 2;
			}
			kfuncs[kfunc_count++] = (int32_t)id;
		} else if (!strcmp(a, "--count")) {
			if (parse_uint(a, v, MAX_PROGS, &count))
				return 2;
			if (count == 0) {
				fprintf(stderr, "bpfload: --count must be at least 1\n");
				return 2;
			}
		} else {
			fprintf(stderr, "bpfload: unknown option: %s\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (use_send_signal && !type_given)
		td = &types[1]; /* kprobe */

	struct bpf_insn prog[24];
	unsigned insn_cnt = 0;
	for (unsigned k = 0; k < kfunc_count; k++)
		prog[insn_cnt++] = ins_kfunc_call(kfuncs[k]);
	if (use_map_update) {
		union bpf_attr map_attr;
		memset(&map_attr, 0, sizeof(map_attr));
		map_attr.map_type = BPF_MAP_TYPE_HASH;
		map_attr.key_size = 8;
		map_attr.value_size = 8;
		map_attr.max_entries = 1;
		int map_fd = (int)sys_bpf(BPF_MAP_CREATE, &map_attr);
		if (map_fd < 0) {
			fprintf(stderr, "bpfload: BPF_MAP_CREATE failed: %s\n", strerror(errno));
			return 1;
		}
		/* key and value (0) on the stack; r1 = map; r2 = &key; r3 = &value; r4 = BPF_ANY */
		prog[insn_cnt++] = ins_store_dw_imm(BPF_REG_10, -8, 0);
		prog[insn_cnt++] = ins_store_dw_imm(BPF_REG_10, -16, 0);
		struct bpf_insn load_map = { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
					     .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd };
		struct bpf_insn load_map_high = { 0 };
		prog[insn_cnt++] = load_map;
		prog[insn_cnt++] = load_map_high;
		prog[insn_cnt++] = ins_mov64_reg(BPF_REG_2, BPF_REG_10);
		prog[insn_cnt++] = ins_add64_imm(BPF_REG_2, -8);
		prog[insn_cnt++] = ins_mov64_reg(BPF_REG_3, BPF_REG_10);
		prog[insn_cnt++] = ins_add64_imm(BPF_REG_3, -16);
		prog[insn_cnt++] = ins_mov64_imm(BPF_REG_4, BPF_ANY);
		prog[insn_cnt++] = ins_call(BPF_FUNC_map_update_elem);
	}
	if (use_send_signal) {
		/* r1 = 0 (signal 0: permission check only, nothing is delivered); call; r0 = ret; exit */
		prog[insn_cnt++] = ins_mov64_imm(BPF_REG_1, 0);
		prog[insn_cnt++] = ins_call(BPF_FUNC_send_signal);
	}
	prog[insn_cnt++] = ins_mov64_imm(BPF_REG_0, td->ret);
	prog[insn_cnt++] = ins_exit();

	static char log_buf[LOG_BUF_SIZE];
	static int fds[MAX_PROGS];
	char license[] = "GPL";
	int status = 0;
	unsigned long loaded = 0;

	{
		/* Room for the extra descriptors and one per program: raise the soft limit to
		 * fit; the hard limit too when that is allowed (CAP_SYS_RESOURCE), else up to it. */
		struct rlimit limit;
		rlim_t wanted = extra_fds + count + 64;
		if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < wanted) {
			struct rlimit raised = { .rlim_cur = wanted, .rlim_max = limit.rlim_max > wanted ? limit.rlim_max : wanted };
			if (setrlimit(RLIMIT_NOFILE, &raised) < 0) {
				limit.rlim_cur = limit.rlim_max;
				(void)setrlimit(RLIMIT_NOFILE, &limit);
			}
		}
	}
	if (extra_fds) {
		int null_fd = open("/dev/null", O_RDONLY);
		if (null_fd < 0) {
			fprintf(stderr, "bpfload: --fds: cannot open /dev/null: %s\n", strerror(errno));
			return 1;
		}
		for (unsigned long n = 1; n < extra_fds; n++) {
			if (dup(null_fd) < 0) {
				fprintf(stderr, "bpfload: --fds: dup failed after %lu descriptors: %s "
					"(RLIMIT_NOFILE; raising its hard limit needs CAP_SYS_RESOURCE)\n", n, strerror(errno));
				return 1;
			}
		}
	}
	if (delay_ms)
		sleep_ms(delay_ms);
	for (unsigned long n = 0; n < count; n++) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.prog_type = td->type;
		attr.insn_cnt = insn_cnt;
		attr.insns = (uint64_t)(uintptr_t)prog;
		attr.license = (uint64_t)(uintptr_t)license;
		attr.kern_version = running_kernel_version();
		strncpy(attr.prog_name, name, sizeof(attr.prog_name) - 1);

		int fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
		if (fd < 0) {
			int err = errno;
			/* Retry with a verifier log so the failure can be explained. */
			log_buf[0] = '\0';
			attr.log_level = 1;
			attr.log_size = sizeof(log_buf);
			attr.log_buf = (uint64_t)(uintptr_t)log_buf;
			fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
			if (fd < 0) {
				fprintf(stderr, "bpfload: BPF_PROG_LOAD of a %s program failed: %s (errno %d)\n",
					td->name, strerror(err), err);
				if (err == EPERM)
					fprintf(stderr, "bpfload: (needs CAP_BPF%s, or CAP_SYS_ADMIN)\n",
						td->type == BPF_PROG_TYPE_XDP ? " + CAP_NET_ADMIN" :
						td->type == BPF_PROG_TYPE_SOCKET_FILTER ? "" : " + CAP_PERFMON");
				if (log_buf[0])
					fprintf(stderr, "bpfload: verifier log:\n%s\n", log_buf);
				else
					fprintf(stderr, "bpfload: (the verifier produced no log)\n");
				status = 1;
				break;
			}
			/* The retry succeeded: carry on with this fd. */
		}
		fds[loaded++] = fd;

		struct bpf_prog_info info;
		memset(&info, 0, sizeof(info));
		memset(&attr, 0, sizeof(attr));
		attr.info.bpf_fd = fd;
		attr.info.info_len = sizeof(info);
		attr.info.info = (uint64_t)(uintptr_t)&info;
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0) {
			fprintf(stderr, "bpfload: BPF_OBJ_GET_INFO_BY_FD failed: %s\n", strerror(errno));
			status = 1;
			break;
		}
		printf("loaded prog-id=%u type=%s\n", info.id, td->name);
		fflush(stdout);

		if (pin) {
			char path[PATH_MAX];
			if (count > 1)
				snprintf(path, sizeof(path), "%s-%lu", pin, n + 1);
			else
				snprintf(path, sizeof(path), "%s", pin);
			memset(&attr, 0, sizeof(attr));
			attr.pathname = (uint64_t)(uintptr_t)path;
			attr.bpf_fd = fd;
			if (sys_bpf(BPF_OBJ_PIN, &attr) < 0) {
				int err = errno;
				fprintf(stderr, "bpfload: BPF_OBJ_PIN to %s failed: %s\n", path, strerror(err));
				if (err == EPERM || err == EINVAL || err == ENOENT)
					fprintf(stderr, "bpfload: (is a bpf filesystem mounted there? "
							"mount -t bpf bpf /sys/fs/bpf)\n");
				status = 1;
				break;
			}
			/* stdout carries only the "loaded" lines; this note goes to stderr. */
			fprintf(stderr, "bpfload: pinned prog-id=%u at %s\n", info.id, path);
		}
	}

	if (status == 0 && fork_holder) {
		pid_t parent = getpid();
		pid_t child = fork();
		if (child < 0) {
			fprintf(stderr, "bpfload: fork failed: %s\n", strerror(errno));
			status = 1;
		} else if (child == 0) {
			/* The child holds the same descriptors until the parent ends. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
		} else {
			printf("forked pid=%d\n", (int)child);
			fflush(stdout);
		}
	}
	if (status == 0 && hold_ms)
		sleep_ms(hold_ms);
	for (unsigned long n = 0; n < loaded; n++)
		close(fds[n]);
	return status;
}

/*
 * auparse_baseline — the libauparse ceiling for the audisp-bpfguard benchmark.
 *
 * Reads an audit record stream from a file (first argument) or standard input, feeds it to
 * libauparse in feed mode in 64 KiB chunks, and for each assembled event does the least
 * work a BPF monitor has to do: find the BPF record (type 1334) and read its op and
 * prog-id, and read uid and exe from the event's SYSCALL record. At the end it prints what
 * it counted on standard output.
 *
 * With --walk-fields it asks libauparse for what audisp-bpfguard's extractor asks for, and
 * nothing more: every record's type and, in the BPF, SYSCALL and PROCTITLE records, every
 * field's name and value, the SYSCALL record's `syscall` interpreted, and the event's
 * timestamp. That is the floor under the plugin's CPU on a BPF-dense stream (issue 10,
 * section 3): the plugin's libauparse work with none of its own.
 *
 * Build: cc -O2 -o auparse_baseline auparse_baseline.c -lauparse
 */
#include <auparse.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BPF_RECORD_TYPE 1334
#define SYSCALL_RECORD_TYPE 1300
#define PROCTITLE_RECORD_TYPE 1327
#define CHUNK (64 * 1024)

struct counts {
	unsigned long long events;
	unsigned long long fields;
	unsigned long long bpf_events;
	unsigned long long loads;
	unsigned long long unloads;
	unsigned long long with_syscall;
	/* Folded from the values read, so that reading them is observable. */
	unsigned long long checksum;
};

/* The value of field `name` in the current record only (auparse_find_field would go on
 * into the following records of the event). */
static const char *record_field(auparse_state_t *au, const char *name)
{
	unsigned int record = auparse_get_record_num(au);
	const char *value = NULL;

	if (auparse_find_field(au, name) && auparse_get_record_num(au) == record)
		value = auparse_get_field_str(au);
	auparse_goto_record_num(au, record);
	return value;
}

static unsigned long long fold(unsigned long long sum, const char *text)
{
	if (text == NULL)
		return sum * 31;
	while (*text)
		sum = sum * 131 + (unsigned char)*text++;
	return sum;
}

/* Counts an assembled event and moves to its first record; 0 when there is nothing to read. */
static int first_record_of_ready_event(auparse_state_t *au, auparse_cb_event_t type, struct counts *counts)
{
	if (type != AUPARSE_CB_EVENT_READY)
		return 0;
	counts->events++;
	return auparse_first_record(au) > 0;
}

static void on_event(auparse_state_t *au, auparse_cb_event_t type, void *data)
{
	struct counts *counts = data;
	int bpf_record = -1, syscall_record = -1;
	const char *prog_id, *op;

	if (!first_record_of_ready_event(au, type, counts))
		return;
	/* Only the record types are looked at in the loop; fields are read only for events
	 * that hold a BPF record. */
	do {
		int record_type = auparse_get_type(au);

		if (record_type == BPF_RECORD_TYPE && bpf_record < 0)
			bpf_record = (int)auparse_get_record_num(au);
		else if (record_type == SYSCALL_RECORD_TYPE && syscall_record < 0)
			syscall_record = (int)auparse_get_record_num(au);
	} while (auparse_next_record(au) > 0);
	if (bpf_record < 0)
		return;
	counts->bpf_events++;
	auparse_goto_record_num(au, (unsigned int)bpf_record);
	auparse_first_field(au);
	prog_id = record_field(au, "prog-id");
	auparse_first_field(au);
	op = record_field(au, "op");
	if (op && strcmp(op, "LOAD") == 0)
		counts->loads++;
	else if (op && strcmp(op, "UNLOAD") == 0)
		counts->unloads++;
	counts->checksum = fold(fold(counts->checksum, prog_id), op);
	if (syscall_record >= 0) {
		const char *uid, *exe;

		auparse_goto_record_num(au, (unsigned int)syscall_record);
		auparse_first_field(au);
		uid = record_field(au, "uid");
		exe = record_field(au, "exe");
		counts->checksum = fold(fold(counts->checksum, uid), exe);
		counts->with_syscall++;
	}
}

/* --walk-fields: every field of the records the plugin reads, as its extractor reads them. */
static void on_event_walking_fields(auparse_state_t *au, auparse_cb_event_t type, void *data)
{
	struct counts *counts = data;
	const au_event_t *stamp;

	if (!first_record_of_ready_event(au, type, counts))
		return;
	do {
		int record_type = auparse_get_type(au);

		if (record_type != BPF_RECORD_TYPE && record_type != SYSCALL_RECORD_TYPE && record_type != PROCTITLE_RECORD_TYPE)
			continue;
		if (auparse_first_field(au) <= 0)
			continue;
		do {
			const char *name = auparse_get_field_name(au);
			const char *value = auparse_get_field_str(au);

			if (name == NULL || value == NULL)
				continue;
			counts->fields++;
			counts->checksum = fold(counts->checksum, value);
			if (record_type == SYSCALL_RECORD_TYPE && strcmp(name, "syscall") == 0)
				counts->checksum = fold(counts->checksum, auparse_interpret_field(au));
		} while (auparse_next_field(au) > 0);
	} while (auparse_next_record(au) > 0);
	stamp = auparse_get_timestamp(au);
	if (stamp)
		counts->checksum += stamp->serial;
}

int main(int argc, char **argv)
{
	struct counts counts = { 0 };
	auparse_state_t *au;
	static char buffer[CHUNK];
	int fd = 0, walk_fields = 0;

	if (argc > 1 && strcmp(argv[1], "--walk-fields") == 0) {
		walk_fields = 1;
		argv++;
		argc--;
	}
	if (argc > 2) {
		fprintf(stderr, "usage: %s [--walk-fields] [FILE]\n", argv[0]);
		return 2;
	}
	if (argc == 2 && strcmp(argv[1], "-") != 0) {
		fd = open(argv[1], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(errno));
			return 1;
		}
	}
	au = auparse_init(AUSOURCE_FEED, 0);
	if (au == NULL) {
		fprintf(stderr, "%s: auparse_init failed\n", argv[0]);
		return 1;
	}
	auparse_add_callback(au, walk_fields ? on_event_walking_fields : on_event, &counts, NULL);
	for (;;) {
		ssize_t count = read(fd, buffer, sizeof buffer);

		if (count < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: read: %s\n", argv[0], strerror(errno));
			return 1;
		}
		if (count == 0)
			break;
		auparse_feed(au, buffer, (size_t)count);
	}
	auparse_flush_feed(au);
	auparse_destroy(au);
	if (walk_fields)
		printf("events=%llu fields=%llu checksum=%016llx\n", counts.events, counts.fields, counts.checksum);
	else
		printf("events=%llu bpf_events=%llu loads=%llu unloads=%llu with_syscall=%llu checksum=%016llx\n",
		       counts.events, counts.bpf_events, counts.loads, counts.unloads, counts.with_syscall,
		       counts.checksum);
	return 0;
}

/*
 * auparse_order_probe — shows two behaviours of libauparse's feed mode that set the
 * plugin's alert latency, with nothing but libauparse:
 *
 *  1. The last line fed is held back: a complete LOAD event (BPF, SYSCALL, PROCTITLE, EOE)
 *     is handed to the callback only when more bytes arrive (a lone newline is enough).
 *  2. Head-of-line blocking: libauparse hands out the event with the lowest timestamp,
 *     and only once that one is complete. A standalone BPF record (UNLOAD of a program
 *     whose holder was killed: no SYSCALL, no EOE) stays incomplete until a record at
 *     least end_of_event_timeout (2 s) later arrives, or auparse_feed_age_events() is
 *     called that long after it by the wall clock; every event after it waits as long,
 *     complete or not.
 *
 * Build: cc -O2 -o auparse_order_probe auparse_order_probe.c -lauparse
 * Output: what was fed, and the callbacks each feed produced.
 */
#include <auparse.h>
#include <stdio.h>
#include <string.h>

static int callbacks;

static void on_event(auparse_state_t *au, auparse_cb_event_t type, void *data)
{
	const au_event_t *stamp;

	(void)data;
	if (type != AUPARSE_CB_EVENT_READY)
		return;
	stamp = auparse_get_timestamp(au);
	printf("      -> event ready: serial %lu\n", stamp ? stamp->serial : 0UL);
	callbacks++;
}

static void feed(auparse_state_t *au, const char *text, const char *what)
{
	callbacks = 0;
	printf("  feed %s\n", what);
	auparse_feed(au, text, strlen(text));
	if (callbacks == 0)
		printf("      (no event ready)\n");
}

static auparse_state_t *start(void)
{
	auparse_state_t *au = auparse_init(AUSOURCE_FEED, 0);

	auparse_add_callback(au, on_event, NULL, NULL);
	return au;
}

#define LOAD_EVENT(SERIAL) \
	"type=BPF msg=audit(1795943321.831:" SERIAL "): prog-id=1 op=LOAD\n" \
	"type=SYSCALL msg=audit(1795943321.831:" SERIAL "): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=0 a2=90 a3=3 items=0 ppid=1 pid=2 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"x\" exe=\"/x\" key=(null)\n" \
	"type=PROCTITLE msg=audit(1795943321.831:" SERIAL "): proctitle=\"x\"\n" \
	"type=EOE msg=audit(1795943321.831:" SERIAL "):\n"

int main(void)
{
	auparse_state_t *au;

	printf("1. the last line fed is held back\n");
	au = start();
	feed(au, LOAD_EVENT("100"), "a complete LOAD event, serial 100 (BPF, SYSCALL, PROCTITLE, EOE)");
	feed(au, "\n", "a lone newline");
	auparse_destroy(au);

	printf("\n2. a standalone BPF record blocks the complete events after it\n");
	au = start();
	feed(au, "type=BPF msg=audit(1795943321.800:99): prog-id=7 op=UNLOAD\n",
	     "a standalone UNLOAD, serial 99 (a BPF record alone)");
	feed(au, LOAD_EVENT("100"), "a complete LOAD event, serial 100");
	feed(au, "\n", "a lone newline");
	feed(au, "type=BPF msg=audit(1795943322.900:101): prog-id=8 op=UNLOAD\n",
	     "a standalone UNLOAD 1.1 s later, serial 101");
	feed(au, "type=BPF msg=audit(1795943323.900:102): prog-id=9 op=UNLOAD\n",
	     "a standalone UNLOAD 2.1 s later, serial 102");
	printf("  flush\n");
	callbacks = 0;
	auparse_flush_feed(au);
	auparse_destroy(au);
	return 0;
}

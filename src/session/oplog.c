/*
 * oplog.c: the operator's syslog line; see oplog.h.
 */
#include "oplog.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define VALUE_MAX 256		/* bytes of one escaped value before it is cut */
#define REFS_UNTIL 3072		/* list refs while the line is shorter than this */
#define MSG_MAX 1024		/* bytes of the free-text message */

/* A valid UTF-8 sequence of two or more bytes at p, that is not a C1 control (U+0080..U+009F). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = pc_utf8_seq_len(p, n);

	return len > 1 && !(p[0] == 0xc2 && p[1] < 0xa0) ? len : 0;
}

/*
 * Append s as printable valid UTF-8: control bytes and bytes that are not
 * UTF-8 as \xNN; in a PARAM-VALUE (sd set) also ", \ and ] behind a
 * backslash.  Stops, with "...", once max bytes are written.
 */
static void put_clean(pc_buf *b, const char *s, size_t max, int sd)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), start = b->len, len;

	while (n) {
		if (b->len - start >= max) {
			pc_buf_puts(b, "...");
			return;
		}
		if (*p >= 0x80 && (len = utf8_len(p, n))) {
			pc_buf_put(b, p, len);
			p += len;
			n -= len;
			continue;
		}
		if (*p < 0x20 || *p >= 0x7f)
			pc_buf_printf(b, "\\x%02x", *p);
		else if (sd && (*p == '"' || *p == '\\' || *p == ']'))
			pc_buf_printf(b, "\\%c", *p);
		else
			pc_buf_putc(b, (char)*p);
		p++;
		n--;
	}
}

static void put_param(pc_buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	pc_buf_printf(b, " %s=\"", name);
	put_clean(b, value, VALUE_MAX, 1);
	pc_buf_putc(b, '"');
}

/* A header field: printable US-ASCII without spaces, or "-". */
static void put_header(pc_buf *b, const char *s, size_t max)
{
	const char *p;

	if (s && *s && strlen(s) <= max) {
		for (p = s; *p > ' ' && *p < 0x7f; p++)
			;
		if (!*p) {
			pc_buf_printf(b, " %s", s);
			return;
		}
	}
	pc_buf_puts(b, " -");
}

static int severity(const char *decision)
{
	if (!strcmp(decision, "error"))
		return 3;	/* err */
	if (!strcmp(decision, "reject"))
		return 5;	/* notice */
	return 6;		/* info */
}

/* The first reason a rejected verdict gives, for the message. */
static const pc_verdict *first_rejected(const pc_oplog_event *ev)
{
	size_t i;

	for (i = 0; i < ev->nverdicts; i++)
		if (!ev->verdicts[i].accept)
			return &ev->verdicts[i];
	return NULL;
}

static void put_message(pc_buf *b, const pc_oplog_event *ev, size_t nrefs, size_t naccept)
{
	pc_buf m = PC_BUF_INIT;
	const pc_verdict *v;

	if (ev->failure) {
		pc_buf_printf(&m, "%s: rejected: %s", ev->repo ? ev->repo : "(unknown repository)", ev->failure);
	} else if (ev->nverdicts) {
		pc_buf_printf(&m, "%s: %s: %s %zu of %zu ref update(s)", ev->repo ? ev->repo : "-",
			ev->pusher ? ev->pusher : "(unidentified pusher)",
			naccept == nrefs ? "accepted" : "rejected", naccept == nrefs ? nrefs : nrefs - naccept,
			nrefs);
		if ((v = first_rejected(ev))) {
			pc_buf_printf(&m, "; %s", v->ref ? v->ref : "-");
			if (v->nreasons)
				pc_buf_printf(&m, ": %s: %s", v->reasons[0].rule ? v->reasons[0].rule : "-",
					v->reasons[0].message ? v->reasons[0].message : "");
		}
	} else {
		pc_buf_printf(&m, "%s: %s %zu ref update(s)", ev->repo ? ev->repo : "-", ev->decision, nrefs);
	}
	pc_buf_putc(b, ' ');
	put_clean(b, pc_buf_error(&m) ? "(out of memory)" : m.ptr, MSG_MAX, 0);
	pc_buf_release(&m);
}

int pc_oplog_format(pc_buf *b, const pc_oplog_event *ev, const char *time, const char *host, long pid)
{
	const char *decision = ev->decision ? ev->decision : (ev->failure ? "error" : "-");
	size_t i, nrefs = ev->nverdicts ? ev->nverdicts : ev->nupdates, naccept = 0;
	char num[64];

	for (i = 0; i < ev->nverdicts; i++)
		naccept += ev->verdicts[i].accept != 0;
	pc_buf_printf(b, "<%d>1", (ev->facility & 0x1f) * 8 + severity(decision));
	put_header(b, time, 32);
	put_header(b, host, 255);
	pc_buf_puts(b, " policy-check");
	pc_buf_printf(b, " %ld", pid);
	put_header(b, ev->hook, 32);
	pc_buf_puts(b, " [" PC_SYSLOG_SD_ID);
	put_param(b, "repo", ev->repo);
	put_param(b, "pusher", ev->pusher);
	put_param(b, "identity", ev->identity);
	put_param(b, "decision", decision);
	put_param(b, "error", ev->failure);
	snprintf(num, sizeof(num), "%zu", nrefs);
	put_param(b, "refs", num);
	if (ev->first_seq >= 0 && ev->nrecords) {
		/* record numbers as `audit show` numbers them: seq, from 0 */
		if (ev->nrecords == 1)
			snprintf(num, sizeof(num), "%lld", ev->first_seq);
		else
			snprintf(num, sizeof(num), "%lld-%lld", ev->first_seq,
				ev->first_seq + (long long)ev->nrecords - 1);
		put_param(b, "records", num);
	}
	snprintf(num, sizeof(num), "%lld", ev->usec / 1000);
	put_param(b, "ms", num);
	/* each ref under the name of what happened to it: accept="refs/heads/x" */
	for (i = 0; i < nrefs; i++) {
		if (b->len >= REFS_UNTIL) {
			snprintf(num, sizeof(num), "%zu", nrefs - i);
			put_param(b, "more", num);
			break;
		}
		if (ev->nverdicts)
			put_param(b, ev->verdicts[i].accept ? "accept" : "reject", ev->verdicts[i].ref);
		else
			put_param(b, ev->failure ? "ref" : decision, ev->updates[i].ref);
	}
	pc_buf_putc(b, ']');
	put_message(b, ev, nrefs, naccept);
	return pc_buf_error(b) ? PC_ENOMEM : 0;
}

int pc_oplog_send(const pc_oplog_event *ev, const char *socket_path)
{
	struct sockaddr_un sa;
	struct timespec ts;
	struct tm tm;
	pc_buf b = PC_BUF_INIT;
	char host[256], when[64];
	int fd = -1, r = -1;

	if (!socket_path)
		socket_path = PC_SYSLOG_DEFAULT_SOCKET;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	when[0] = '\0';
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gmtime_r(&ts.tv_sec, &tm)) {
		size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);

		snprintf(when + n, sizeof(when) - n, ".%06ldZ", ts.tv_nsec / 1000);
	}
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (pc_oplog_format(&b, ev, when, host, (long)getpid()) < 0)
		goto done;
	/* non-blocking twice over: a full or absent syslog loses the line, never the push */
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		goto done;
	if (sendto(fd, b.ptr, b.len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto done;
	r = 0;
done:
	if (fd >= 0)
		close(fd);
	pc_buf_release(&b);
	return r;
}

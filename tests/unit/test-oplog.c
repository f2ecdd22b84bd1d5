/*
 * test-oplog.c: the operator's syslog line (src/session/oplog.c): its
 * frame, and that no pusher-chosen bytes can break the structured data or
 * the UTF-8.
 */
#include "oplog.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static const char *format(pc_buf *b, const pc_oplog_event *ev, const char *host)
{
	pc_buf_clear(b);
	if (pc_oplog_format(b, ev, "2026-12-03T10:00:00.000001Z", host, 42) < 0)
		return "(error)";
	return b->ptr;
}

/* The value of the first SD-PARAM name="..." in line, as written (escapes kept). */
static char *param(const char *line, const char *name)
{
	char key[64];
	const char *p, *q;

	snprintf(key, sizeof(key), " %s=\"", name);
	if (!(p = strstr(line, key)))
		return NULL;
	p += strlen(key);
	for (q = p; *q && *q != '"'; q++)
		if (*q == '\\' && q[1])
			q++;
	return strndup(p, (size_t)(q - p));
}

static const struct {
	const char *in, *want;
} values[] = {
	{ "alice", "alice" },
	{ "a\"b", "a\\\"b" },
	{ "a\\b", "a\\\\b" },
	{ "a]b", "a\\]b" },
	{ "x\"] [fake@1 a=\"b", "x\\\"\\] [fake@1 a=\\\"b" },
	{ "new\nline", "new\\x0aline" },
	{ "tab\tdel\x7f", "tab\\x09del\\x7f" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },			/* valid UTF-8 stays */
	{ "bad\xff\xfe", "bad\\xff\\xfe" },			/* not UTF-8 */
	{ "over\xc0\xaf", "over\\xc0\\xaf" },			/* overlong '/' */
	{ "sur\xed\xa0\x80", "sur\\xed\\xa0\\x80" },		/* a surrogate */
	{ "c1\xc2\x85", "c1\\xc2\\x85" },			/* NEL, a C1 control */
	{ "cut\xe2\x82", "cut\\xe2\\x82" },			/* truncated sequence */
	{ "emoji\xf0\x9f\x99\x82", "emoji\xf0\x9f\x99\x82" },
};

int main(void)
{
	pc_buf b = PC_BUF_INIT;
	pc_oplog_event ev;
	pc_verdict v[2];
	char longref[2000], *got;
	size_t i;

	memset(&ev, 0, sizeof(ev));
	ev.hook = "pre-receive";
	ev.repo = "/srv/a.git";
	ev.decision = "accept";
	ev.first_seq = -1;
	ev.facility = 16;
	is_str(format(&b, &ev, "git1"),
		"<134>1 2026-12-03T10:00:00.000001Z git1 policy-check 42 pre-receive "
		"[policy-check@32473 repo=\"/srv/a.git\" decision=\"accept\" refs=\"0\" ms=\"0\"] "
		"/srv/a.git: accept 0 ref update(s)", "the frame, local0.info");

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		ev.pusher = values[i].in;
		got = param(format(&b, &ev, "git1"), "pusher");
		is_str(got ? got : "(none)", values[i].want, "pusher value %zu escaped", i);
		free(got);
		ok(!strchr(b.ptr, '\n'), "no newline in the line %zu", i);
	}

	ev.pusher = NULL;
	ev.failure = "the server's policy /etc/p.yml is invalid: x";
	ev.decision = "error";
	ev.facility = 1;
	format(&b, &ev, "host name with spaces");
	ok(!strncmp(b.ptr, "<11>1 2026-12-03T10:00:00.000001Z - policy-check 42 pre-receive [", 65),
		"user.err, and a host name that is not a token is -: %s", b.ptr);
	got = param(b.ptr, "error");
	is_str(got ? got : "(none)", "the server's policy /etc/p.yml is invalid: x", "the failure");
	free(got);

	/* verdicts: one parameter per ref, named after what happened to it */
	memset(v, 0, sizeof(v));
	v[0].ref = "refs/heads/dev";
	v[0].accept = 1;
	v[1].ref = "refs/heads/main";
	ev.failure = NULL;
	ev.decision = "reject";
	ev.verdicts = v;
	ev.nverdicts = 2;
	ev.first_seq = 7;
	ev.nrecords = 2;
	ev.usec = 12345;
	format(&b, &ev, "git1");
	ok(strstr(b.ptr, " refs=\"2\" records=\"7-8\" ms=\"12\" accept=\"refs/heads/dev\" "
		"reject=\"refs/heads/main\"]") != NULL, "refs, records, duration: %s", b.ptr);
	ok(!strncmp(b.ptr, "<13>1 ", 6), "user.notice for a rejection");

	/* a long ref is cut, and the line stays bounded */
	memset(longref, 'x', sizeof(longref) - 1);
	longref[sizeof(longref) - 1] = '\0';
	v[1].ref = longref;
	format(&b, &ev, "git1");
	got = param(b.ptr, "reject");
	ok(got && strlen(got) <= 256 + 3 && !strcmp(got + strlen(got) - 3, "..."), "a long value is cut");
	free(got);
	ok(b.len < 4096 + 1024 + 512, "the line is bounded (%zu bytes)", b.len);
	pc_buf_release(&b);
	return done_testing();
}

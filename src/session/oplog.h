/*
 * oplog.h: one RFC 5424 line per hook run for the server's admin
 * (doc/DESIGN.md section 11, "syslog").
 *
 * The audit log is the record; this line is for operators: repository,
 * pusher, refs, decision, record numbers, duration and, above all, the
 * failures that reject every push.  It goes to a local AF_UNIX datagram
 * socket (/dev/log by default, where journald and rsyslog listen) without
 * ever waiting: a syslog that cannot be reached loses the line and
 * nothing else.
 */
#ifndef PC_OPLOG_H
#define PC_OPLOG_H

#include "common.h"
#include "buf.h"
#include "evaluate.h"
#include "verdict.h"

#define PC_SYSLOG_DEFAULT_SOCKET "/dev/log"
/* Used instead of the default when no policy could be read. */
#define PC_SYSLOG_SOCKET_ENV "PC_SYSLOG_SOCKET"
/* The SD-ID: an enterprise-numbered id on the documentation PEN (RFC 5612). */
#define PC_SYSLOG_SD_ID "policy-check@32473"

typedef struct pc_oplog_event {
	const char *hook;		/* the MSGID */
	const char *repo, *pusher, *identity;	/* NULL when unknown */
	const char *decision;		/* accept, reject, committed, aborted, error */
	const char *failure;		/* why the push could not be judged or recorded, or NULL */
	const pc_verdict *verdicts;	/* pre-receive, update */
	size_t nverdicts;
	const pc_update *updates;	/* reference-transaction (when no verdicts) */
	size_t nupdates;
	long long first_seq;		/* first audit record, -1 when none */
	size_t nrecords;
	long long usec;			/* how long the hook ran */
	int facility;			/* RFC 5424 facility code */
} pc_oplog_event;

/*
 * The datagram of ev: "<PRI>1 TIME HOST policy-check PID MSGID [SD] MSG".
 * time and host as written (NULL: "-"); every value from a pusher is
 * escaped as RFC 5424 asks (", \ and ] behind a backslash) and made
 * printable valid UTF-8 (other bytes as \xNN).  Bounded to about 4 KiB.
 */
int pc_oplog_format(pc_buf *out, const pc_oplog_event *ev, const char *time, const char *host, long pid);

/*
 * Format ev with the current time, host name and process id and send it
 * to socket_path (NULL: the default) without blocking.  Errors are
 * ignored: returns 0 when the datagram was sent, -1 otherwise.
 */
int pc_oplog_send(const pc_oplog_event *ev, const char *socket_path);

#endif

/*
 * audit.h: the append-only audit log (DESIGN.md section 7).
 *
 * One JSON object per line; each line is a leaf of an RFC 6962 Merkle
 * tree; after every append a C2SP checkpoint signed with Ed25519 replaces
 * LOG.checkpoint.  Appends hold an exclusive flock on LOG.lock.
 */
#ifndef PC_AUDIT_H
#define PC_AUDIT_H

#include "common.h"
#include "verdict.h"

#include <stdint.h>
#include <stdio.h>

typedef struct pc_audit_config {
	const char *log_path;
	const char *key_path;	/* PKCS#8 PEM Ed25519 private key */
	const char *origin;	/* checkpoint origin line */
} pc_audit_config;

/* One record to append; strings may be NULL (written as null). */
typedef struct pc_audit_record {
	const char *hook;	/* pre-receive, update, reference-transaction */
	const char *repo;
	const char *push;	/* hex id shared by the records of one push */
	const char *pusher;
	const char *identity;	/* variable that named the pusher */
	const char *decision;	/* accept, reject, committed, aborted */
	const char *policy;	/* "sha256:<hex>" */
	const pc_verdict *verdict;	/* ref, old, new, op, dry_run, break_glass, reasons, approvals, codeowners */
	/* for reference-transaction records without a verdict: */
	const char *ref, *old_hex, *new_hex, *op;
} pc_audit_record;

/*
 * Append n records atomically (one write, fdatasync, checkpoint rename,
 * directory fsync), under the lock.  *first_seq receives the seq of the
 * first record.  Any failure returns < 0 with a message and leaves the log
 * verifying.
 */
int pc_audit_append(const pc_audit_config *cfg, const pc_audit_record *recs, size_t n,
	uint64_t *first_seq, pc_error *err);

/* A fresh random push id (32 hex digits). */
void pc_audit_push_id(char out[33]);

#endif

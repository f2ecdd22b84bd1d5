/*
 * audit.h: the append-only audit log (doc/DESIGN.md section 7).
 *
 * One JSON object per line; each line is a leaf of an RFC 6962 Merkle
 * tree; after every append a C2SP checkpoint signed with Ed25519 replaces
 * LOG.checkpoint.  Appends hold an exclusive flock on LOG.lock.  LOG.state
 * caches the right edge of the tree so that an append costs O(log n); it
 * is checked against the log and rebuilt from it when it does not match.
 * The file formats are described in doc/audit-format.md.
 */
#ifndef PC_AUDIT_H
#define PC_AUDIT_H

#include "common.h"
#include "verdict.h"
#include "json.h"
#include "merkle.h"
#include "note.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>

typedef struct pc_audit_config {
	const char *log_path;
	const char *key_path;	/* PKCS#8 PEM Ed25519 private key */
	const char *origin;	/* checkpoint origin line */
	/*
	 * The records are decisions that only stand if the append succeeds
	 * (pre-receive, update): when a step fails after the checkpoint is
	 * renamed into place, follow each accept record with a "void" record.
	 */
	int void_on_failure;
} pc_audit_config;

/* The longest record line written or read (bytes, without the newline). */
#define PC_AUDIT_LINE_MAX (16u << 20)

/* One record to append; strings may be NULL (written as null). */
typedef struct pc_audit_record {
	const char *hook;	/* pre-receive, update, reference-transaction */
	const char *repo;
	const char *push;	/* hex id shared by the records of one push */
	const char *pusher;
	const char *identity;	/* variable that named the pusher */
	const char *decision;	/* accept, reject, committed, aborted (void: written by the append) */
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

/*
 * pc_audit_append with flags, for tests and benchmarks; the hooks use
 * pc_audit_append, which always syncs.
 */
#define PC_AUDIT_NO_SYNC 0x1u	/* skip fdatasync/fsync: a crash may lose records */
int pc_audit_append_flags(const pc_audit_config *cfg, unsigned flags, const pc_audit_record *recs,
	size_t n, uint64_t *first_seq, pc_error *err);

/*
 * policy-check audit resign: sign every complete line of a log that has no
 * valid signed state to extend (LOG.checkpoint and LOG.anchor missing or
 * not valid, or not matching the log), after a record (op "resign") that
 * says so and quotes `by` (who decided, and why).  Refused when a valid
 * checkpoint or anchor matches the log.  *size receives the number of
 * records re-signed.
 */
int pc_audit_resign(const pc_audit_config *cfg, unsigned flags, const char *by, uint64_t *size,
	pc_error *err);

/* A fresh random push id (32 hex digits). */
void pc_audit_push_id(char out[33]);

/* Append the JSON line (without newline) of one record to out. */
int pc_audit_format_record(pc_buf *out, uint64_t seq, const char *time, const pc_audit_record *rec);

/*
 * Reading the log line by line without holding it in memory.
 * pc_audit_reader_next returns 1 with a line (without its newline) in
 * *line and *len, valid until the next call; *complete is 0 for a final line
 * that has no newline (a torn append).  It returns 0 at the end of the
 * file and < 0 on error (a line over PC_AUDIT_LINE_MAX is an error).
 */
typedef struct pc_audit_reader pc_audit_reader;
int pc_audit_reader_open(pc_audit_reader **out, const char *path, pc_error *err);
int pc_audit_reader_next(pc_audit_reader *r, const char **line, size_t *len, int *complete, pc_error *err);
/* Byte offset in the file of the line last returned. */
uint64_t pc_audit_reader_offset(const pc_audit_reader *r);
void pc_audit_reader_free(pc_audit_reader *r);

/* A record read back, strings decoded (NULL for JSON null). */
typedef struct pc_audit_entry {
	uint64_t seq;
	char *time, *hook, *repo, *push, *pusher, *identity;
	char *ref, *old_hex, *new_hex, *op, *decision;
	int dry_run;
	char *break_glass;
	pc_reason *reasons;	/* hint is always NULL: records keep rule and message */
	size_t nreasons;
	pc_approval *approvals;
	size_t napprovals;
	char *policy, *codeowners;
	/* the optional "hotfix" object; empty lists when the record has none */
	pc_strlist hotfix_branches, hotfix_commits, hotfix_follow_up;
} pc_audit_entry;

/*
 * Check that line is a valid record: the keys of doc/DESIGN.md section 7 in
 * that order, each with its type, "v":1, a well-formed time, no NUL in a
 * string.  *seq receives its seq.  doc is scratch space reused between
 * calls.  Errors are PC_EINVAL with a message.
 */
int pc_audit_line_check(uint64_t *seq, pc_json_doc *doc, const char *line, size_t len, pc_error *err);
/* The same, and decode every field into e (release with pc_audit_entry_release). */
int pc_audit_entry_parse(pc_audit_entry *e, pc_json_doc *doc, const char *line, size_t len, pc_error *err);
void pc_audit_entry_release(pc_audit_entry *e);

/*
 * The size that LOG.checkpoint claims, read without checking its
 * signature, for the commands that take no verifier key (show, reconcile):
 * lines after it are not records yet.  Returns 1 with *size, 0 when there
 * is no checkpoint, < 0 when it cannot be read or parsed.
 */
int pc_audit_signed_size(uint64_t *size, const char *log_path, pc_error *err);

/* Verification, for `audit verify`. */
typedef struct pc_audit_verify_opts {
	const char *log_path;
	const char *checkpoint_path;	/* NULL: LOG.checkpoint */
	const char *old_checkpoint_path;	/* a checkpoint saved earlier, or NULL */
	const pc_note_verifier *vkey;
	int strict;		/* lines beyond the signed size are errors */
	/*
	 * Only prove that the checkpoint extends old_checkpoint_path, from the
	 * tiles (LOG.tiles) without reading the records; the full verification
	 * when the tiles do not prove it.
	 */
	int consistency_only;
} pc_audit_verify_opts;

typedef struct pc_audit_verify_result {
	uint64_t lines;		/* complete lines in the log */
	uint64_t signed_size;	/* the checkpoint's tree size */
	unsigned char root[PC_HASH_LEN];	/* the checkpoint's root */
	pc_strlist problems;	/* each a reason the log does not verify */
	pc_strlist warnings;
} pc_audit_verify_result;

/*
 * Returns 0 when the log verifies, PC_EVERIFY when it does not (reasons in
 * res->problems, first bad line first), other < 0 when it cannot be read.
 */
int pc_audit_verify(pc_audit_verify_result *res, const pc_audit_verify_opts *o, pc_error *err);
void pc_audit_verify_result_release(pc_audit_verify_result *res);

/*
 * Append a C2SP tlog-proof (c2sp.org/tlog-proof@v1) of record `index`
 * under the log's current checkpoint to out.  Its `extra` line carries the
 * record line itself (base64), so the proof file stands alone; the
 * inclusion proof is what authenticates it.  The proof's hashes come
 * from the tiles (LOG.tiles) when they prove the record under the
 * checkpoint's root, else from the log; notes (may be NULL) receives a
 * line when tiles were there but did not match.
 */
int pc_audit_proof(pc_buf *out, const char *log_path, uint64_t index, pc_strlist *notes, pc_error *err);

/*
 * Check a tlog-proof: its checkpoint is signed by v (and, when
 * trusted_cp is given, has the same size and root as that checkpoint), and
 * record (NULL: the proof's extra data) is the leaf at its index.  *index,
 * *cp and *record_out (may be NULL) receive what was proved.
 */
int pc_audit_check_proof(uint64_t *index, pc_checkpoint *cp, pc_buf *record_out,
	const pc_note_verifier *v, const char *proof, size_t len,
	const char *record, size_t record_len, const char *trusted_cp, size_t trusted_len,
	pc_error *err);

/*
 * Reconcile the refs of the repository at repo_dir with the log: each
 * finding (a ref not at the `new` of its last accepted record, or a
 * committed record with no accepted decision before it) is added to
 * findings as a line of text.
 */
int pc_audit_reconcile(pc_strlist *findings, const char *repo_dir, const char *log_path, pc_error *err);

/*
 * The same, and adds to notes (when not NULL) each ref whose last
 * accepted update git did not apply while the reference-transaction hook
 * was recording (the ref still where the records before it leave it):
 * explained, so no finding.
 */
int pc_audit_reconcile_notes(pc_strlist *findings, pc_strlist *notes, const char *repo_dir, const char *log_path,
	pc_error *err);

#endif

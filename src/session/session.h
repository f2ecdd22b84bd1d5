/*
 * session.h: one push as the hooks and `policy-check check` see it
 * (doc/DESIGN.md section 3).  A session reads what git hands a hook (the
 * "OLD NEW REF" updates, who pushes, the push options), opens the
 * repository and loads the server's policy, turns them into the engine's
 * pc_push, judges it into verdicts, records the verdicts in the audit log
 * and reports them.  The three hooks and `check` are thin callers of this.
 *
 * The session prints only where a function says so (the report, the
 * reason a push cannot be judged, a policy's diagnostics); everything else
 * returns errors.  `check` fills repo and policy itself, from the command
 * line.
 */
#ifndef PC_SESSION_H
#define PC_SESSION_H

#include "common.h"
#include "evaluate.h"
#include "policy.h"

#include <stdio.h>
#include <git2.h>

/* What the pusher reads when the push cannot even be judged. */
#define PC_SESSION_ERR_PREFIX "policy-check: rejected: "

typedef struct pc_session {
	const char *hook;		/* pre-receive, update, reference-transaction; NULL for check */
	git_repository *repo;
	pc_policy *policy;
	char *repo_path;		/* absolute, without a trailing slash: for records */
	pc_update *updates;
	size_t nupdates;
	pc_strlist options;		/* push options "key=value" */
	const char *pusher;		/* NULL when unidentified */
	const char *identity;		/* the variable that named the pusher, or "--as" */
	pc_verdict *verdicts;		/* nupdates entries once judged */
	size_t nverdicts;
	pc_oidlist *new_commits;	/* per update: commits new to the repository */
	long long first_seq;		/* the first audit record written, -1 when none */
	size_t nrecords;		/* how many from first_seq */
	char *failure;			/* why the push could not be judged or recorded, or NULL */
	char *ref_view;			/* check in a clone: where the server's refs are (pc_push.ref_view) */
} pc_session;

/* Start a session for `hook` (NULL for check); release it with pc_session_release. */
void pc_session_init(pc_session *s, const char *hook);
void pc_session_release(pc_session *s);
/*
 * pc_session_release of a session without a repository (the
 * reference-transaction hook's), without a call into libgit2.
 */
void pc_session_clear(pc_session *s);

/*
 * Load the policy at path.  When it does not validate, its diagnostics
 * (FILE:LINE:COLUMN) go to fp after the line `intro` (when not NULL).
 * The one place a policy is loaded for a command or a hook.
 */
int pc_session_load_policy(pc_policy **out, const char *path, FILE *fp, const char *intro);

/*
 * Open the hook's repository ($GIT_DIR with its quarantine) and load the
 * server's policy, refusing one that others could change.  On failure
 * (-1) the reason is on fp, and nothing can be accepted.
 */
int pc_session_open_hook(pc_session *s, FILE *fp);
/*
 * The same for the reference-transaction hook, without libgit2: only the
 * repository's path and its policy, as pc_session_open_hook gives them.
 * Such a session has no repo; it reads updates with git's ref-name rules
 * and can only record what git did.
 */
int pc_session_open_transaction(pc_session *s, FILE *fp);

/* Updates as git writes them to pre-receive (ref names checked by libgit2's rules). */
int pc_session_read_updates(pc_session *s, FILE *fp, pc_error *err);
/* The same for reference-transaction, by git's rules written out here (no libgit2). */
int pc_session_read_transaction(pc_session *s, FILE *fp, pc_error *err);
/* One update from its three parts (the update hook's arguments). */
int pc_session_add_update(pc_session *s, const char *ref, const char *old_hex,
	const char *new_hex, pc_error *err);
/* Push options from the environment (pre-receive only). */
int pc_session_read_options(pc_session *s, pc_error *err);
/* The pusher: `as` when given (check --as), else the policy's identity variable. */
void pc_session_identify(pc_session *s, const char *as);

/* Judge every update; all_or_nothing as pre-receive (one rejection rejects all). */
int pc_session_judge(pc_session *s, int all_or_nothing, pc_error *err);

/*
 * Record the verdicts: the first pushers of the commits accepted updates
 * bring, then one audit record per verdict.  Whatever cannot be written
 * becomes an internal reason on every verdict that it would have let
 * through, so that nothing is accepted without its record.
 */
void pc_session_record(pc_session *s);

/*
 * Record what git did (reference-transaction "committed" or "aborted"):
 * one record per update, no verdict.
 */
int pc_session_record_transaction(pc_session *s, const char *state, pc_error *err);

/* The verdicts on fp as the pusher reads them, with the audit record numbers. */
void pc_session_report(const pc_session *s, FILE *fp);
/*
 * Keep refs/meta/policy-check at the policy this hook loaded.  Never
 * rejects: a failure is one warning line on fp, for the pusher to pass on.
 */
void pc_session_publish(pc_session *s, FILE *fp);

/* 1 when any verdict rejects. */
int pc_session_rejected(const pc_session *s);

/* Keep the first reason the push could not be judged or recorded, for pc_session_log. */
void pc_session_set_failure(pc_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The operator's syslog line for this hook run (oplog.h), to the policy's
 * audit.syslog socket, or the default one when no policy could be read.
 * decision NULL: from the verdicts (or "error" after a failure).
 */
void pc_session_log(const pc_session *s, const char *decision, long long usec);

/* A push that cannot be judged: one "policy-check: rejected: MESSAGE" line. */
void pc_session_fail(FILE *fp, const pc_error *err);

/*
 * Parse one pre-receive line "OLD NEW REF" (no newline).  Ids must be full
 * hex of the repository's hash length; the ref name must be valid.
 */
int pc_update_parse(pc_update *out, const char *line, size_t len, pc_error *err);
void pc_update_release(pc_update *u);

/*
 * Read pre-receive updates from a stream (one per line), bounded by
 * max_refs lines of PC_UPDATE_LINE_MAX bytes each.
 */
int pc_updates_read(pc_update **out, size_t *n, FILE *fp, size_t max_refs, pc_error *err);
void pc_updates_free(pc_update *u, size_t n);

#endif

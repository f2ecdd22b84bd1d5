/*
 * evaluate.h: one push -> one verdict per ref update (doc/DESIGN.md sections
 * 3 and 5).  The evaluator reads the repository and the policy and returns
 * verdicts; it prints nothing and writes nothing.
 */
#ifndef PC_EVALUATE_H
#define PC_EVALUATE_H

#include "common.h"
#include "policy.h"
#include "verdict.h"

#include <git2.h>

#define PC_UPDATE_LINE_MAX 4096

typedef struct pc_update {
	char *ref;
	git_oid old_id, new_id;
} pc_update;

/* Commit ids, for what the evaluator hands back. */
typedef struct pc_oidlist {
	git_oid *ids;
	size_t n;
} pc_oidlist;

typedef struct pc_push {
	git_repository *repo;
	const pc_policy *policy;
	const char *pusher;		/* NULL when no identity variable was set */
	const char *identity;		/* the variable that named the pusher */
	const pc_strlist *options;	/* push options "key=value" */
	const pc_update *updates;
	size_t nupdates;
	int all_or_nothing;		/* pre-receive: one rejected ref rejects the push */
	/*
	 * When set (nupdates entries, zeroed by the caller), pc_evaluate fills
	 * new_commits[i] with the commits update i brings that no ref reached
	 * before the push: what the hook records in the first-pusher index.
	 * The caller frees each ids array.
	 */
	pc_oidlist *new_commits;
	/*
	 * The server's refs as another repository holds them: when set (e.g.
	 * "refs/policy-check/origin/", ending with '/'), the server's ref
	 * refs/X is this repository's ref <ref_view>X and no other ref counts
	 * (policy-check check in a clone).  NULL: the repository's own refs.
	 */
	const char *ref_view;
} pc_push;

/*
 * Evaluate every update of the push.  verdicts[] must hold nupdates
 * entries; each is initialised here and released by the caller with
 * pc_verdict_release().  Errors while judging one ref become an "internal"
 * reason on that ref's verdict (fail closed); a negative return means the
 * push could not be judged at all.
 */
int pc_evaluate(pc_verdict *verdicts, const pc_push *push, pc_error *err);

#endif

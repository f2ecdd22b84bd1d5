/*
 * verdict.h: the value the evaluator returns for one ref update, and the
 * pieces of it that the audit record and the report share.
 *
 * The evaluator fills a verdict; it never prints.  The reporter formats a
 * verdict; it never decides.  The audit module records it.
 */
#ifndef PC_VERDICT_H
#define PC_VERDICT_H

#include "common.h"
#include "util.h"

typedef enum {
	PC_OP_CREATE,
	PC_OP_UPDATE,
	PC_OP_FORCE,		/* non-fast-forward update */
	PC_OP_DELETE
} pc_op;

typedef enum {
	PC_REF_PROTECTED,	/* a branch in `branches`, or the trunk */
	PC_REF_WORK,
	PC_REF_TAG,
	PC_REF_APPROVAL,	/* refs/approvals/... */
	PC_REF_OTHER
} pc_ref_class;

typedef struct pc_reason {
	char *rule;		/* promotion, protect, approval, environment, rules, break-glass, internal */
	char *message;
	char *hint;		/* NULL when there is nothing to suggest */
} pc_reason;

typedef struct pc_approval {
	char *user;
	char *via;		/* "pusher" or "signature" */
	char *key;		/* "SHA256:..." fingerprint, NULL for the pusher */
	char *object;		/* tag object id, NULL for the pusher */
	char *made_for;		/* the commit the approval object approves (hex), or NULL */
} pc_approval;

typedef struct pc_verdict {
	char *ref;
	char old_hex[PC_HEX_MAX], new_hex[PC_HEX_MAX];
	pc_op op;
	pc_ref_class ref_class;
	int accept;		/* the decision after dry-run and break-glass */
	size_t violations;	/* reasons that would reject by themselves */
	size_t internal;	/* of those, errors: neither dry-run nor break-glass accepts them */
	int dry_run;
	char *break_glass;	/* the reason given, when break-glass was used */
	pc_reason *reasons;
	size_t nreasons, areasons;
	pc_approval *approvals;
	size_t napprovals, aapprovals;
	char *codeowners;	/* blob id of the CODEOWNERS that decided, or NULL */
	/*
	 * Commits that skipped `require` as hotfix commits (hex, the
	 * `hotfix_from` of the branch), the hotfix branches that hold them,
	 * and the branches they must still be merged into, nearest first.
	 * All empty for every other update.
	 */
	pc_strlist hotfix_commits, hotfix_branches, hotfix_follow_up;
} pc_verdict;

const char *pc_op_name(pc_op op);

int pc_verdict_init(pc_verdict *v, const char *ref, const char *old_hex, const char *new_hex);
/* Add a violation (counts towards rejection). */
int pc_verdict_reject(pc_verdict *v, const char *rule, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The hint of an internal reason: the pusher cannot fix it, the administrators can. */
#define PC_INTERNAL_HINT "this is a server-side problem; show this message to the administrators of the repository"

/* Add an error that rejects whatever the enforcement mode (fail closed). */
int pc_verdict_internal(pc_verdict *v, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int pc_verdict_add_approval(pc_verdict *v, const char *user, const char *via,
	const char *key, const char *object);
/* The same, with the commit the approval was made for (recorded as "for"). */
int pc_verdict_add_approval_for(pc_verdict *v, const char *user, const char *via,
	const char *key, const char *object, const char *made_for);
int pc_verdict_has_approver(const pc_verdict *v, const char *user);
void pc_verdict_release(pc_verdict *v);
/* Free n reasons (approvals) and their array: a verdict's, or an audit record's. */
void pc_reasons_free(pc_reason *reasons, size_t n);
void pc_approvals_free(pc_approval *approvals, size_t n);

#endif

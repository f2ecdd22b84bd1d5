/*
 * engine.h: the state shared by the evaluator's rule modules (promote,
 * approve, rules).  Internal to the library.
 */
#ifndef PC_ENGINE_H
#define PC_ENGINE_H

#include "evaluate.h"
#include "repo.h"

typedef struct pc_rules_compiled pc_rules_compiled;

typedef struct pc_ctx {
	const pc_push *push;
	git_repository *repo;
	const pc_policy *policy;
	pc_refs refs;			/* the refs before the push */
	git_oid *hide;			/* what makes a commit not new: every ref but approvals */
	size_t nhide;
	unsigned char *applies;		/* per update: git will apply it (see check_claims) */
	pc_rules_compiled *rules;	/* compiled push rules, lazily */
	struct pc_keyring *keyring;	/* policy keys and allowed_signers, lazily */
	int64_t now;			/* the push time, seconds since the epoch */
	struct pc_approval_cache *approvals;	/* approval objects read, by id, lazily */
	struct pc_pushers *pushers;	/* the first-pusher index, lazily */
} pc_ctx;

/* What the evaluator knows about one update while judging it. */
typedef struct pc_change {
	const pc_update *u;
	pc_verdict *v;
	const char *short_name;		/* branch or tag name without its prefix */
	const pc_branch *branch;	/* for protected branches */
	git_oid *branch_new;		/* NEW --not OLD (for creates: --not all refs) */
	size_t nbranch_new;
	git_oid *repo_new;		/* NEW --not <all refs before the push> */
	size_t nrepo_new;
	git_oid base;			/* OLD, or the trunk tip for a new ref */
	int have_paths;
	pc_strlist paths;		/* changed paths base..NEW */
	git_oid *resolutions;		/* merges accepted as conflict resolutions (promote.c) */
	size_t nresolutions, aresolutions;
} pc_change;

/*
 * The value a branch will have after this push (NULL when absent or
 * deleted): the NEW of the update git will apply to it, else its value now.
 */
const git_oid *pc_ctx_tip_after(const pc_ctx *ctx, const char *refname);
/*
 * 1 when git will apply update i of the push: its OLD is the ref's value
 * now and no other update names the same ref.  Whatever else the push
 * carries (an approval, a new branch) counts only through such updates.
 */
int pc_ctx_applies(const pc_ctx *ctx, size_t i);
/* Changed paths base..NEW, computed once. */
int pc_change_paths(pc_ctx *ctx, pc_change *c, pc_error *err);
/* "abc1234 \"subject\"" for messages. */
void pc_commit_label(char *out, size_t size, git_repository *repo, const git_oid *id);

/* promote.c */
int pc_promote_check(pc_ctx *ctx, pc_change *c, pc_error *err);
/*
 * Into `set`, the commits of the update that a branch matching `patterns`
 * (and, with `except`, neither matching `except` nor being the updated
 * branch) reaches after this push.
 */
int pc_promote_reachable(pc_oidset *set, pc_ctx *ctx, pc_change *c, const pc_strlist *patterns,
	const pc_strlist *except, pc_error *err);

/* hotfix.c: the commits `hotfix_from` lets skip `require`, and their follow-ups. */
typedef struct pc_hotfix_state {
	int ready;		/* hot and other computed */
	pc_oidset hot;		/* commits of the update a hotfix branch reaches */
	pc_oidset other;	/* those any other branch reaches */
	pc_oidset recorded;	/* skipped, as a set */
	git_oid *skipped;	/* the commits that skipped `require` */
	size_t nskipped, askipped;
} pc_hotfix_state;
#define PC_HOTFIX_STATE_INIT { 0, PC_OIDSET_INIT, PC_OIDSET_INIT, PC_OIDSET_INIT, NULL, 0, 0 }
/*
 * Take the hotfix commits out of miss[0..*nmiss), the commits of the update
 * not on `required`: those a hotfix branch reaches and no other branch
 * does are recorded in the verdict as skipped; those another branch
 * reaches too are rejected here.  What is left is for the caller to report.
 */
int pc_hotfix_skip(pc_hotfix_state *s, pc_ctx *ctx, pc_change *c, const char *required,
	git_oid *miss, size_t *nmiss, pc_error *err);
/* After the require checks: the hotfix branches and the follow-up branches of the skipped commits. */
int pc_hotfix_follow_ups(pc_hotfix_state *s, pc_ctx *ctx, pc_change *c, pc_error *err);
void pc_hotfix_state_release(pc_hotfix_state *s);
/*
 * 1 when merging p1 and p2 gives `merged` for sure, decided from tree
 * walks over what the two sides changed; 0 when that does not settle it
 * (then only libgit2's full merge can tell).  See promote.c.
 */
int pc_merge_trivially_clean(git_repository *repo, git_commit *p1, git_commit *p2, const git_tree *merged);
int pc_environment_check(pc_ctx *ctx, pc_change *c, pc_error *err);

/* approve.c */
int pc_approve_check(pc_ctx *ctx, pc_change *c, pc_error *err);
int pc_approval_ref_check(pc_ctx *ctx, pc_change *c, pc_error *err);
void pc_approval_cache_free(struct pc_approval_cache *cache);

/* rules.c */
int pc_rules_check(pc_ctx *ctx, pc_change *c, pc_error *err);
int pc_rules_branch_name(pc_ctx *ctx, pc_change *c, pc_error *err);
void pc_rules_free(pc_rules_compiled *r);
/*
 * The policy user whose key made a valid SSH signature of commit (the
 * check of rules.signed_commits), or *user = NULL when it is unsigned or
 * the signature does not verify against a policy user's key.
 */
int pc_commit_signer(pc_ctx *ctx, git_commit *commit, const char **user, pc_error *err);

#endif

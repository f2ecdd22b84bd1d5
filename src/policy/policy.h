/*
 * policy.h: the server-side policy file (doc/DESIGN.md section 4), loaded with
 * libyaml and validated.  Presets (`strategy:`) are expanded at load time,
 * so the rest of the engine only ever sees the effective policy.
 *
 * The structure is read-only after pc_policy_load(); free it with
 * pc_policy_free().
 */
#ifndef PC_POLICY_H
#define PC_POLICY_H

#include "common.h"
#include "diag.h"
#include "util.h"

#include <stdio.h>

#define PC_POLICY_MAX_SIZE (1024 * 1024)

/*
 * The PCRE2 compile options the loader validates rules.* regexes with; a
 * module that compiles them must use the same (include <pcre2.h> first).
 * Commit messages are UTF-8 but may hold invalid bytes, which then simply
 * do not match.
 */
#define PC_POLICY_PCRE2_OPTIONS (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)

typedef enum {
	PC_STRATEGY_NONE = 0,
	PC_STRATEGY_PATTERN1 = 1,
	PC_STRATEGY_PATTERN2 = 2,
	PC_STRATEGY_PATTERN3 = 3
} pc_strategy;

typedef struct pc_user {
	char *name;
	char *email;		/* NULL when not given */
	pc_strlist keys;	/* authorized key lines "type base64 [comment]" */
	unsigned line;		/* where it was defined, for messages */
} pc_user;

typedef struct pc_group {
	char *name;		/* may contain '/', as "org/team" */
	pc_strlist members;	/* user names */
	unsigned line;
} pc_group;

typedef struct pc_branch {
	char *name;		/* name or glob, without refs/heads/ */
	char *environment;	/* NULL when not given */
	pc_strlist from;	/* branch names/globs changes may come from; empty only
				 * when the file says `from: any` (no limit) */
	pc_strlist require;	/* branches new commits must already be on (Pattern1) */
	pc_strlist hotfix_from;	/* work branches whose own commits may skip `require` */
	int approvals;		/* -1 = not set (use approvals.required) */
	pc_strlist approvers;	/* users/groups whose approval is required on every change */
	unsigned line;
} pc_branch;

typedef struct pc_environment {
	char *name;		/* dev, stg, prd */
	char *path;		/* "overlays/dev/", always ends with '/' */
	char *after;		/* environment name or NULL */
	int approvals;		/* -1 = not set */
	pc_strlist approvers;
	unsigned line;
} pc_environment;

typedef struct pc_rules {
	char *commit_message;		/* PCRE2 source or NULL */
	char *work_branch_name;		/* PCRE2 source or NULL */
	pc_strlist deny_paths;		/* PCRE2 sources */
	uint64_t max_blob_size;		/* bytes; 0 = no limit */
	int signed_commits;
} pc_rules;

typedef struct pc_limits {
	uint64_t max_commits;		/* default 100000 */
	uint64_t max_paths;		/* default 1000000 */
	uint64_t max_codeowners_size;	/* default 3 MiB */
	uint64_t max_refs;		/* ref updates per push, default 10000 */
	uint64_t max_approvals_per_commit;	/* approval refs of one commit, default 32 */
	uint64_t max_rollback_commits;	/* trunk commits searched for a rollback, default 10000 */
	uint64_t max_approval_candidates;	/* approvals of other commits one update compares, default 16 */
	uint64_t max_rebase_commits;	/* target commits searched since an approved commit forked, default 1000 */
} pc_limits;

typedef struct pc_policy {
	char *path;			/* file it was loaded from */
	char sha256[72];		/* "sha256:<hex of the file's bytes>" */
	int version;
	pc_strategy strategy;

	pc_strlist identity_env;	/* the one variable naming the pusher; required */
	pc_user *users;
	size_t nusers;
	char *allowed_signers;		/* path or NULL, resolved against the policy's directory */
	pc_group *groups;
	size_t ngroups;
	pc_strlist admins;		/* user or group names */

	pc_branch *branches;		/* protected branches (for pattern3: the trunk) */
	size_t nbranches;
	pc_strlist work_branches;	/* globs */
	char *tag_pattern;		/* NULL when `tags` is not given */
	pc_strlist tag_create;		/* users/groups */
	int other_refs_allow;

	pc_strlist codeowners;		/* CODEOWNERS paths in lookup order */
	int approvals_required;		/* default 1 */
	int self_approval;		/* default false */
	int pusher_is_approval;		/* default true */
	int keep_on_rebase;		/* approvals carry over to an identical change; default false */
	int unowned_deny;		/* default false (allow) */

	pc_rules rules;
	pc_strlist break_glass_groups;
	int dry_run;			/* enforcement: dry-run */

	char *audit_log;		/* resolved against the policy's directory */
	char *audit_key;
	char *audit_origin;
	/* audit.syslog: one line per hook run for the server's admin */
	int syslog_enabled;		/* default 1 */
	char *syslog_socket;		/* NULL: PC_SYSLOG_DEFAULT_SOCKET */
	int syslog_facility;		/* RFC 5424 facility code; default 1 (user) */

	/* Pattern3 */
	char *trunk;			/* default "main" */
	pc_environment *environments;
	size_t nenvironments;
	pc_strlist shared_paths;	/* each ends with '/' for directories */
	int one_environment_per_push;

	pc_limits limits;

	/*
	 * Sorted lookup tables the loader builds for the pc_policy_user/_group
	 * queries.  A policy assembled by hand (in a test) leaves it NULL and
	 * the queries search linearly.
	 */
	struct pc_policy_index *index;
} pc_policy;

/*
 * Load and validate.  Every problem found is added to `diags` as
 * FILE:LINE:COLUMN; returns PC_EINVAL when there was any (and *out = NULL).
 */
int pc_policy_load(pc_policy **out, const char *path, pc_diag *diags);
int pc_policy_parse(pc_policy **out, const char *name, const char *text, size_t len,
	pc_diag *diags);
void pc_policy_free(pc_policy *p);

/* Write the effective policy (presets filled in) as YAML. */
int pc_policy_write_expanded(const pc_policy *p, FILE *fp);

const pc_user *pc_policy_user(const pc_policy *p, const char *name);
const pc_user *pc_policy_user_by_email(const pc_policy *p, const char *email);
const pc_group *pc_policy_group(const pc_policy *p, const char *name);
/* 1 when `user` is `principal` or a member of group `principal` ("@" prefix allowed). */
int pc_policy_user_is(const pc_policy *p, const char *user, const char *principal);
/* 1 when user matches any principal of the list. */
int pc_policy_user_in(const pc_policy *p, const char *user, const pc_strlist *principals);
int pc_policy_is_admin(const pc_policy *p, const char *user);

/*
 * Resolve a CODEOWNERS owner token (@user, @org/team, email) to user names,
 * appended to `users` without duplicates.  Returns PC_ENOTFOUND when the
 * token names nobody the policy knows.
 */
int pc_policy_resolve_owner(const pc_policy *p, const char *token, pc_strlist *users);

/* The protected branch matching a short branch name (exact wins, then longest glob). */
const pc_branch *pc_policy_branch(const pc_policy *p, const char *short_name);
int pc_policy_is_work_branch(const pc_policy *p, const char *short_name);
const pc_environment *pc_policy_environment(const pc_policy *p, const char *name);

/* Read the policy path for a bare repository: git config policycheck.policy, else $GIT_DIR/policy-check.yml. */
int pc_policy_path_for_repo(char **out, const char *git_dir, pc_error *err);

#endif

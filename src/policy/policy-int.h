/*
 * policy-int.h: what the files of the policy loader share: the parse
 * context, the YAML node tree and the helpers that read it.  Nothing here
 * leaves src/policy/; the public API is policy.h.
 */
#ifndef PC_POLICY_INT_H
#define PC_POLICY_INT_H

#include "policy.h"
#include "buf.h"

#include <stdint.h>

/* Bounds on the YAML itself (billion-laughs and stack-depth guards). */
#define Y_MAX_DEPTH 64
#define Y_MAX_ALIASES 1000
#define Y_MAX_ANCHORS 1000
#define Y_MAX_WEIGHT 1000000u

#define APPROVALS_MAX 1000

/* Lookup tables of a loaded policy */
struct pc_name_ref {
	const char *name;	/* owned by the policy's users or groups */
	size_t i;
};

struct pc_policy_index {
	struct pc_name_ref *users, *groups, *emails;
	size_t nusers, ngroups, nemails;
	int have_users, have_groups;
};

int pc_policy_refcmp(const void *a, const void *b);
int pc_policy_refcasecmp(const void *a, const void *b);

/* The YAML node tree and its readers (policy-yaml.c) */

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

typedef struct ynode {
	enum ykind kind;
	int plain;		/* untagged plain scalar: may read as null, boolean or integer */
	int dup;		/* a mapping key repeated (already reported); readers skip it */
	char *str;		/* scalar value, NUL-terminated */
	size_t len;
	struct ynode **kids;	/* sequence items; mapping keys and values alternating */
	size_t n, alloc;
	unsigned line, col;
	uint64_t weight;	/* nodes in this subtree with every alias expanded */
} ynode;

typedef struct yanchor {
	char *name;
	ynode *node;
} yanchor;

typedef struct yopen {
	ynode *node;
	char *anchor;
} yopen;

/* A user's email or key, with where it was written. */
struct pending {
	const char *s;
	size_t len;
	size_t user;
	const ynode *at;
};

typedef struct cx {
	const char *file;
	pc_diag *diags;
	size_t first_diag;
	unsigned nerr;
	int oom;
	const char *text;
	size_t textlen;

	ynode **nodes;
	size_t nnodes, anodes;
	yanchor *anchors;
	size_t nanchors, aanchors;
	unsigned naliases;
	ynode *root;

	pc_policy *p;
	char *basedir;			/* relative paths are resolved against it; NULL = keep */
	const ynode **bsrc;		/* the file's node of each branch, NULL = preset */
	size_t absrc;
	const ynode **esrc;		/* same for environments */
	size_t aesrc;
	size_t ausers, agroups, abranches, aenvs;	/* allocated entries of the policy's arrays */
	struct pending *emails, *keys;	/* checked for duplicates once all users are read */
	size_t nemails, aemails, nkeys, akeys;
	const ynode *strategy_node;
	int have_work_branches, have_shared_paths, have_one_env;
} cx;

__attribute__((format(printf, 3, 4)))
void pc_policy_cx_error(cx *c, const ynode *at, const char *fmt, ...);
__attribute__((format(printf, 4, 5)))
void pc_policy_cx_error_at(cx *c, unsigned line, unsigned col, const char *fmt, ...);
char *pc_policy_cx_strdup(cx *c, const char *s);
void pc_policy_cx_add(cx *c, pc_strlist *l, const char *s);
void pc_policy_cx_dedupe(cx *c, pc_strlist *l);
void pc_policy_cx_set(cx *c, char **dst, const char *s);
void pc_policy_y_free_all(cx *c);
int pc_policy_y_build(cx *c);
int pc_policy_y_is_null(const ynode *n);
const char *pc_policy_y_what(const ynode *n);
const ynode *pc_policy_y_get(const ynode *m, const char *key);
int pc_policy_want_map(cx *c, const ynode *n, const char *path);
int pc_policy_want_seq(cx *c, const ynode *n, const char *path);
const char *pc_policy_get_str(cx *c, const ynode *n, const char *path);
int pc_policy_get_bool(cx *c, const ynode *n, const char *path, int *out);
int pc_policy_get_uint(cx *c, const ynode *n, const char *path, uint64_t min, uint64_t max, uint64_t *out);
int pc_policy_get_approvals(cx *c, const ynode *n, const char *path, int *out);
int pc_policy_get_size(cx *c, const ynode *n, const char *path, uint64_t min, uint64_t *out);
int pc_policy_get_enum(cx *c, const ynode *n, const char *path, const char *const *names, size_t count);

/* The schema (policy-schema.c) */

enum {
	S_TOP, S_IDENTITY, S_USER, S_BRANCH, S_TAGS, S_APPROVALS, S_RULES, S_BREAK_GLASS,
	S_AUDIT, S_ENVIRONMENT, S_LIMITS, S_AUDIT_SYSLOG
};

/* The name of an audit.syslog.facility code. */
const char *pc_policy_facility_name(int code);

void pc_policy_check_keys(cx *c, const ynode *m, int sec, const char *path);
const char *pc_policy_bad_name(const char *s, int is_group);
int pc_policy_email_valid(const char *s);
const char *pc_policy_bad_branch_pattern(const char *s);
const char *pc_policy_bad_repo_path(const char *s);
int pc_policy_check_key_line(const char *line, char *why, size_t whysz, const char **b64, size_t *b64len);
void pc_policy_check_regex(cx *c, const ynode *n, const char *path, const char *re);

/* The sections (policy-read.c) and the presets over them (policy-preset.c) */

/*
 * The policy's branches or environments seen as one kind of array, so that
 * one reader and one preset merge serve both: the entries, their count and
 * allocation, and the file's node of each (NULL for an entry only a preset
 * defines).
 */
struct pc_policy_entries {
	void **items;
	size_t *n, *alloc;
	const ynode ***src;
	size_t *asrc;
	size_t size;			/* of one entry */
	size_t name_off, line_off, approvals_off;
};

#define PC_POLICY_ENTRY_FIELD(type, entry, off) (*(type *)((char *)(entry) + (off)))

void pc_policy_branch_entries(cx *c, struct pc_policy_entries *e);
void pc_policy_environment_entries(cx *c, struct pc_policy_entries *e);
void *pc_policy_grow_entries(cx *c, const struct pc_policy_entries *e);

int pc_policy_names_protected_branch(const pc_policy *p, const char *s);
int pc_policy_read_sections(cx *c);
void pc_policy_apply_presets(cx *c);

#endif

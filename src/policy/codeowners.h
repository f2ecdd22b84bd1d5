/*
 * codeowners.h: CODEOWNERS parsing and matching (doc/DESIGN.md section 5).
 *
 * GitHub syntax (gitignore-style patterns, last matching line wins, a line
 * without owners un-owns) plus GitLab sections: `[Name]`, `[Name][N]`
 * (N from 1 to 100), `^[Name]` (optional) and section default owners
 * `[Name] @owner`, which a line without owners under that header takes, as
 * in GitLab.  Rules before the first section header belong to the unnamed
 * section 0.  Each section is matched independently.
 *
 * Patterns: a leading or inner '/' anchors the pattern at the top, otherwise
 * it matches at any depth; a trailing '/' matches directories only; `*` and
 * `?` stay within one component, `**` spans any number (glob.h,
 * PC_GLOB_CODEOWNERS); `[` and `]` are ordinary characters, as on GitHub
 * (`apps/[param]/page.ts` names that directory); `\` escapes the next
 * character (`\ `, `\#`, `\!`).  A pattern matching a directory
 * owns every file below it, except that a pattern whose last component is
 * a lone `*` does not reach into subdirectories (GitHub documents this for
 * `docs/` + `*`).  Paths are case-sensitive.
 *
 * A line starting with `[` or `^[` is a section header (GitLab's rule), so
 * a pattern cannot start with `[`: anchor it (`/[id]/`) or put a `**`
 * component before it.
 * `!pattern` is a GitLab exclusion (GitLab 17.10): a path it matches needs
 * no approval from that section, whatever other rules of the section say
 * and wherever the exclusion stands in it; its match has no owners.  An
 * exclusion line with owners is an error.
 * `#` starts a comment at the start of a line, and among the owners.
 *
 * Owners are kept as written (`@alice`, `@org/team`, `bob@example.com`);
 * resolving them to users is the policy's business (pc_policy_resolve_owner).
 */
#ifndef PC_CODEOWNERS_H
#define PC_CODEOWNERS_H

#include "common.h"
#include "diag.h"
#include "util.h"

#include <git2.h>

/* Larger CODEOWNERS files are refused (doc/DESIGN.md section 9); GitHub has the same cap. */
#define PC_CODEOWNERS_MAX_SIZE ((size_t)3 * 1024 * 1024)

typedef struct pc_co_section {
	char *name;		/* "" for the unnamed leading section */
	int optional;		/* ^[Name] */
	int approvals;		/* N of [Name][N]; 0 = not given */
	pc_strlist default_owners;
	unsigned line;
} pc_co_section;

typedef struct pc_co_rule {
	char *pattern;		/* as written (escapes kept) */
	size_t section;
	pc_strlist owners;	/* empty = un-owned (or section defaults, see match) */
	unsigned line;
	/* Default owners of the section header this rule sits under (a section
	   whose header is repeated can have different defaults per header, as in
	   GitLab); NULL when that header gave none. */
	const pc_strlist *defaults;
	int exclude;		/* `!pattern` (pattern keeps the '!') */
} pc_co_rule;

typedef struct pc_codeowners pc_codeowners;

/*
 * The outcome for one section: the last rule of the section that matched,
 * or an exclusion of the section that matched (then owners is NULL).
 */
typedef struct pc_co_match {
	size_t section;
	const pc_co_rule *rule;		/* NULL when nothing in the section matched */
	const pc_strlist *owners;	/* the rule's owners, or its section defaults (rule->defaults)
					   when the rule lists none; NULL = unowned */
} pc_co_match;

/*
 * Parse CODEOWNERS text.  `name` is the file name used in diagnostics
 * ("CODEOWNERS:12:5: message").  Every syntax error is added to `diags` and
 * the result is PC_EINVAL with *out = NULL; over PC_CODEOWNERS_MAX_SIZE the
 * result is PC_ELIMIT.
 *
 * Sections whose names differ only in case are merged (GitLab does the same):
 * the first header's spelling is kept, the approval count is the largest one
 * given, and the section is optional only when every one of its headers is.
 */
int pc_codeowners_parse(pc_codeowners **out, const char *name, const char *text, size_t len,
	pc_diag *diags);
void pc_codeowners_free(pc_codeowners *co);

size_t pc_codeowners_nsections(const pc_codeowners *co);
const pc_co_section *pc_codeowners_section(const pc_codeowners *co, size_t i);
size_t pc_codeowners_nrules(const pc_codeowners *co);
const pc_co_rule *pc_codeowners_rule(const pc_codeowners *co, size_t i);

/*
 * Match one path (repository-relative, no leading '/').  `out` must have
 * room for pc_codeowners_nsections() entries; one entry per section is
 * written, in section order.  Must be fast: rules are compiled and indexed at
 * parse time (doc/DESIGN.md section 10: 100,000 paths x 2,000 rules < 100 ms).
 */
void pc_codeowners_match(const pc_codeowners *co, const char *path, pc_co_match *out);

/*
 * Single pattern match, exposed for tests: 1 when `pattern` (CODEOWNERS
 * syntax; with a leading '!', the paths the exclusion frees) matches
 * `path`, 0 when it does not or the pattern is invalid.
 */
int pc_codeowners_pattern_match(const char *pattern, const char *path);

/* The file name given to pc_codeowners_parse. */
const char *pc_codeowners_name(const pc_codeowners *co);

/*
 * Where CODEOWNERS is looked for when the policy does not say (doc/DESIGN.md
 * section 4), first found wins: .github/CODEOWNERS, CODEOWNERS,
 * docs/CODEOWNERS (GitHub's order), then .gitlab/CODEOWNERS.
 */
extern const char *const pc_codeowners_default_paths[4];

/*
 * Read and parse the first of `paths` (the default list when NULL or empty)
 * that is a file in `commit`.  *found (caller frees) names it; `blob_id`
 * (optional, PC_HEX_MAX bytes) receives its blob id.  Returns PC_ENOTFOUND
 * when none exists, PC_EINVAL with `diags` filled (and the first one in
 * `err`) on syntax errors, PC_ELIMIT over `limit` bytes (0 = the built-in
 * PC_CODEOWNERS_MAX_SIZE, which also caps a larger limit).
 */
int pc_codeowners_load(pc_codeowners **out, char **found, char *blob_id,
	git_repository *repo, const git_oid *commit, const pc_strlist *paths, size_t limit,
	pc_diag *diags, pc_error *err);

#endif

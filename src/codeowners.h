/*
 * codeowners.h: CODEOWNERS parsing and matching (DESIGN.md section 5).
 *
 * GitHub syntax (gitignore-style patterns, last matching line wins, a line
 * without owners un-owns) plus GitLab sections: `[Name]`, `[Name][N]`,
 * `^[Name]` (optional) and section default owners `[Name] @owner`.
 * Rules before the first section header belong to the unnamed section 0.
 * Each section is matched independently.
 *
 * Owners are kept as written (`@alice`, `@org/team`, `bob@example.com`);
 * resolving them to users is the policy's business (pc_policy_resolve_owner).
 */
#ifndef PC_CODEOWNERS_H
#define PC_CODEOWNERS_H

#include "common.h"
#include "diag.h"
#include "util.h"

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
} pc_co_rule;

typedef struct pc_codeowners pc_codeowners;

/* The outcome for one section: the last rule of the section that matched. */
typedef struct pc_co_match {
	size_t section;
	const pc_co_rule *rule;		/* NULL when nothing in the section matched */
	const pc_strlist *owners;	/* the rule's owners, or the section's defaults when the
					   rule lists none and the section has defaults; NULL = unowned */
} pc_co_match;

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
 * parse time (DESIGN.md section 10: 100,000 paths x 2,000 rules < 100 ms).
 */
void pc_codeowners_match(const pc_codeowners *co, const char *path, pc_co_match *out);

/* Single pattern match, exposed for tests: 1 when `pattern` (CODEOWNERS syntax) matches `path`. */
int pc_codeowners_pattern_match(const char *pattern, const char *path);

#endif

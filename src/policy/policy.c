/*
 * policy.c: load, validate and query the policy file (doc/DESIGN.md sections 4,
 * 5 and 9).
 *
 * The YAML is first turned into a small node tree in which aliases share the
 * node they name instead of copying it, with hard bounds on depth, aliases
 * and expanded size, so a hostile file cannot make us allocate or walk more
 * than a bounded amount.  The tree is then read against the version-1
 * schema.  Every problem becomes one FILE:LINE:COLUMN diagnostic, and the
 * caller gets a policy only when there were none: a hook never runs on half
 * a policy.
 *
 * This file runs the load and answers the queries; the tree is built in
 * policy-yaml.c, the schema and validators are in policy-schema.c, the
 * sections are read in policy-read.c, presets applied in policy-preset.c,
 * and policy-expand.c writes the effective policy back out.
 */
#include "config.h"
#include "policy-int.h"
#include "codeowners.h"
#include "merkle.h"

#include <openssl/evp.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------ */
/* Lookup tables of a loaded policy */

int pc_policy_refcmp(const void *a, const void *b)
{
	return strcmp(((const struct pc_name_ref *)a)->name, ((const struct pc_name_ref *)b)->name);
}

int pc_policy_refcasecmp(const void *a, const void *b)
{
	return strcasecmp(((const struct pc_name_ref *)a)->name, ((const struct pc_name_ref *)b)->name);
}

static void index_free(struct pc_policy_index *ix)
{
	if (!ix)
		return;
	free(ix->users);
	free(ix->groups);
	free(ix->emails);
	free(ix);
}

static struct pc_name_ref *find_ref(struct pc_name_ref *refs, size_t n, const char *name,
	int (*cmp)(const void *, const void *))
{
	struct pc_name_ref key = { name, 0 };

	return bsearch(&key, refs, n, sizeof(*refs), cmp);
}


/* ------------------------------------------------------------------------ */
/* Checks across sections */

/* A `from`/`require` entry must name a protected branch or work branches. */
static int known_source(const pc_policy *p, const char *s)
{
	size_t i;

	if (pc_policy_names_protected_branch(p, s) || pc_strlist_has(&p->work_branches, s))
		return 1;
	for (i = 0; i < p->work_branches.n; i++)
		if (pc_glob_match(p->work_branches.items[i], s))
			return 1;
	for (i = 0; i < p->nbranches; i++)
		if (pc_is_glob(p->branches[i].name) && pc_glob_match(p->branches[i].name, s))
			return 1;
	return 0;
}

static void check_sources(cx *c, const pc_branch *b, const ynode *src, const char *field,
	const pc_strlist *list)
{
	const ynode *seq = src ? pc_policy_y_get(src, field) : NULL;
	size_t i;

	for (i = 0; i < list->n; i++) {
		const char *s = list->items[i];
		const ynode *at = c->strategy_node;

		if (seq && seq->kind == Y_SEQ) {
			size_t k;

			for (k = 0; k < seq->n; k++)
				if (seq->kids[k]->kind == Y_SCALAR && !strcmp(seq->kids[k]->str, s))
					break;
			if (k < seq->n)
				at = seq->kids[k];
		}
		if (!strcmp(s, b->name))
			pc_policy_cx_error(c, at, "branches.%s.%s: a branch cannot take changes from itself", b->name, field);
		else if (!known_source(c->p, s))
			pc_policy_cx_error(c, at, "branches.%s.%s: '%s' is neither a protected branch nor matches "
				"work_branches; add it to one of them%s", b->name, field, s,
				seq ? (!strcmp(field, "from") && !strcmp(s, "any") ? "; to take changes from anywhere write "
				"'from: any' without brackets" : "") :
				" or override this branch of the strategy preset");
	}
}

/*
 * hotfix_from names work branches, never a protected one (whose commits
 * would then skip `require` wholesale), on a branch that has a `require`.
 */
static void check_hotfix_from(cx *c, size_t bi)
{
	const pc_policy *p = c->p;
	const pc_branch *b = &p->branches[bi];
	const ynode *at = c->bsrc[bi] ? pc_policy_y_get(c->bsrc[bi], "hotfix_from") : NULL;
	size_t i, j;

	if (!b->hotfix_from.n)
		return;
	if (!at)
		at = c->bsrc[bi] ? c->bsrc[bi] : c->strategy_node;
	if (!b->require.n) {
		pc_policy_cx_error(c, at, "branches.%s.hotfix_from: %s has no require, and hotfix_from only lets "
			"hotfix commits skip require; remove it (a hotfix still comes through from)", b->name, b->name);
		return;
	}
	check_sources(c, b, c->bsrc[bi], "hotfix_from", &b->hotfix_from);
	for (i = 0; i < b->hotfix_from.n; i++)
		for (j = 0; j < p->nbranches; j++)
			if (pc_glob_match(b->hotfix_from.items[i], p->branches[j].name)) {
				pc_policy_cx_error(c, at, "branches.%s.hotfix_from: '%s' matches the protected branch '%s'; "
					"name work branches only (hotfix/*)", b->name, b->hotfix_from.items[i],
					p->branches[j].name);
				break;
			}
}

/* The key node of `val` in mapping `m`, for messages about the entry as a whole. */
static const ynode *y_key_of(const ynode *m, const ynode *val)
{
	size_t i;

	for (i = 0; m && m->kind == Y_MAP && i + 1 < m->n; i += 2)
		if (m->kids[i + 1] == val)
			return m->kids[i];
	return NULL;
}

/*
 * Every protected branch says where its changes come from, itself or
 * through its preset: a branch that took them from anywhere only because
 * its entry left `from` out would be open to direct pushes.
 */
static void check_from_given(cx *c, size_t i)
{
	static const char *const strategies[] = { NULL, "pattern1", "pattern2", "pattern3" };
	const pc_branch *b = &c->p->branches[i];
	const ynode *src = c->bsrc[i], *at;

	if (b->from.n || (src && pc_policy_y_get(src, "from")))
		return;		/* a list, `any`, or a value already reported */
	if (!src) {
		/* The trunk, protected because there are environments. */
		at = y_key_of(c->root, pc_policy_y_get(c->root, "environments"));
		pc_policy_cx_error(c, at ? at : c->root, "environments: they make the trunk '%s' a protected "
			"branch, which needs 'from'; list it under branches with the branches it takes "
			"changes from (or 'from: any'), or use 'strategy: pattern3'", b->name);
		return;
	}
	at = y_key_of(pc_policy_y_get(c->root, "branches"), src);
	if (c->p->strategy != PC_STRATEGY_NONE)
		pc_policy_cx_error(c, at ? at : src, "branches.%s: missing 'from'; strategy %s does not define "
			"this branch, so list the branches it takes changes from, or write 'from: any' "
			"to take them from anywhere", b->name, strategies[c->p->strategy]);
	else
		pc_policy_cx_error(c, at ? at : src, "branches.%s: missing 'from'; list the branches it takes "
			"changes from, or write 'from: any' to take them from anywhere", b->name);
}

static const pc_environment *env_at(const pc_policy *p, const char *name)
{
	return name ? pc_policy_environment(p, name) : NULL;
}

static void check_environments(cx *c)
{
	pc_policy *p = c->p;
	size_t i, j, steps;

	for (i = 0; i < p->nenvironments; i++) {
		const pc_environment *e = &p->environments[i], *cur;
		const ynode *at = c->esrc[i] ? pc_policy_y_get(c->esrc[i], "after") : c->strategy_node;
		size_t lowest = i;
		pc_buf chain = PC_BUF_INIT;

		if (!e->after)
			continue;
		if (!env_at(p, e->after)) {
			pc_policy_cx_error(c, at, "environments.%s.after: '%s' is not an environment defined under environments",
				e->name, e->after);
			continue;
		}
		/* Report each cycle once, at its member defined first. */
		for (cur = env_at(p, e->after), steps = 0; cur && cur != e && steps < p->nenvironments; steps++) {
			if ((size_t)(cur - p->environments) < lowest)
				lowest = (size_t)(cur - p->environments);
			cur = env_at(p, cur->after);
		}
		if (cur != e || lowest != i)
			continue;
		pc_buf_puts(&chain, e->name);
		for (cur = env_at(p, e->after); cur && cur != e; cur = env_at(p, cur->after))
			pc_buf_printf(&chain, " -> %s", cur->name);
		pc_buf_printf(&chain, " -> %s", e->name);
		pc_policy_cx_error(c, at, "environments.%s.after: the promotion order is a cycle (%s); "
			"the first environment must have no 'after'", e->name, chain.ptr);
		pc_buf_release(&chain);
	}
	for (i = 0; i < p->nenvironments; i++) {
		for (j = 0; j < i; j++) {
			const char *a = p->environments[i].path, *b = p->environments[j].path;
			const ynode *at = c->esrc[i] ? pc_policy_y_get(c->esrc[i], "path") : NULL;

			if (!a || !b || (strncmp(a, b, strlen(b)) && strncmp(b, a, strlen(a))))
				continue;
			pc_policy_cx_error(c, at ? at : c->esrc[i] ? c->esrc[i] : c->strategy_node,
				"environments.%s.path: '%s' overlaps environments.%s.path '%s'; "
				"each environment needs a directory of its own",
				p->environments[i].name, a, p->environments[j].name, b);
		}
	}
}

/* The sections, then the presets over them, then what must hold across them. */
static void read_top(cx *c)
{
	pc_policy *p = c->p;
	size_t i;

	if (pc_policy_read_sections(c) < 0 || c->oom)
		return;
	pc_policy_apply_presets(c);
	for (i = 0; i < p->nbranches && !c->oom; i++) {
		check_from_given(c, i);
		check_sources(c, &p->branches[i], c->bsrc[i], "from", &p->branches[i].from);
		check_sources(c, &p->branches[i], c->bsrc[i], "require", &p->branches[i].require);
		check_hotfix_from(c, i);
	}
	if (!c->oom)
		check_environments(c);
}

static void resolve_path(cx *c, char **path)
{
	char *r;

	if (!*path || **path == '/' || !c->basedir)
		return;
	if (!(r = pc_asprintf("%s/%s", c->basedir, *path))) {
		c->oom = 1;
		return;
	}
	free(*path);
	*path = r;
}

static int diag_before(const pc_diag_item *a, const pc_diag_item *b)
{
	return a->line < b->line || (a->line == b->line && a->column < b->column);
}

/* Report in file order; stable, so related messages keep their order. */
static void sort_diags(pc_diag *d, size_t from)
{
	size_t i, j;

	for (i = from + 1; i < d->n; i++) {
		pc_diag_item it = d->items[i];

		for (j = i; j > from && diag_before(&it, &d->items[j - 1]); j--)
			d->items[j] = d->items[j - 1];
		d->items[j] = it;
	}
}

static int policy_defaults(pc_policy *p)
{
	size_t i;

	p->approvals_required = 1;
	p->syslog_enabled = 1;
	p->syslog_facility = 1;	/* user */
	p->pusher_is_approval = 1;
	p->limits.max_commits = 100000;
	p->limits.max_paths = 1000000;
	p->limits.max_codeowners_size = 3 * 1024 * 1024;
	p->limits.max_refs = 10000;
	p->limits.max_approvals_per_commit = 32;
	p->limits.max_rollback_commits = 10000;
	p->limits.max_approval_candidates = 16;
	p->limits.max_rebase_commits = 1000;
	for (i = 0; i < PC_ARRAY_SIZE(pc_codeowners_default_paths); i++)
		if (pc_strlist_add(&p->codeowners, pc_codeowners_default_paths[i]) < 0)
			return PC_ENOMEM;
	if (!(p->trunk = pc_strdup("main")))
		return PC_ENOMEM;
	return 0;
}

static int sha256_text(char out[72], const char *text, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!pc_sha256_md() || !EVP_Digest(text, len, md, &mdlen, pc_sha256_md(), NULL) || mdlen != 32)
		return PC_ERROR;
	memcpy(out, "sha256:", 7);
	pc_hex(out + 7, md, 32);
	return 0;
}

static int parse_text(pc_policy **out, const char *name, const char *basedir,
	const char *text, size_t len, pc_diag *diags)
{
	cx c;
	pc_policy *p;
	int r;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.file = name;
	c.diags = diags;
	c.first_diag = diags->n;
	c.text = text;
	c.textlen = len;
	if (len > PC_POLICY_MAX_SIZE) {
		pc_diag_add(diags, name, 0, 0, "the policy is %zu bytes, over the limit of 1 MiB (%u bytes); "
			"a policy this large is refused", len, (unsigned)PC_POLICY_MAX_SIZE);
		return PC_ELIMIT;
	}
	if (!(p = pc_calloc(1, sizeof(*p))) || policy_defaults(p) < 0 ||
	    !(p->path = pc_strdup(name)) || (basedir && !(c.basedir = pc_strdup(basedir)))) {
		c.oom = 1;
		goto done;
	}
	c.p = p;
	if (sha256_text(p->sha256, text, len) < 0) {
		pc_policy_cx_error_at(&c, 0, 0, "cannot compute the policy's SHA-256 with OpenSSL");
		goto done;
	}
	/* After a syntax error the tree is partial; reading it would only add noise. */
	if (pc_policy_y_build(&c) == 0)
		read_top(&c);
	resolve_path(&c, &p->audit_log);
	resolve_path(&c, &p->audit_key);
	resolve_path(&c, &p->allowed_signers);
done:
	if (c.oom)
		pc_diag_add(diags, name, 0, 0, "out of memory while loading the policy");
	sort_diags(diags, c.first_diag);
	if (c.oom || c.nerr) {
		pc_policy_free(p);
		r = c.oom ? PC_ENOMEM : PC_EINVAL;
	} else {
		*out = p;
		r = 0;
	}
	pc_policy_y_free_all(&c);
	free(c.emails);
	free(c.keys);
	free(c.bsrc);
	free(c.esrc);
	free(c.basedir);
	return r;
}

int pc_policy_parse(pc_policy **out, const char *name, const char *text, size_t len, pc_diag *diags)
{
	char *dir = NULL;
	const char *slash = strrchr(name, '/');
	int r;

	*out = NULL;
	if (slash && !(dir = pc_strndup(name, slash == name ? 1 : (size_t)(slash - name)))) {
		pc_diag_add(diags, name, 0, 0, "out of memory while loading the policy");
		return PC_ENOMEM;
	}
	r = parse_text(out, name, dir, text, len, diags);
	free(dir);
	return r;
}

int pc_policy_load(pc_policy **out, const char *path, pc_diag *diags)
{
	pc_error err = PC_ERROR_INIT;
	char *text = NULL, *dir = NULL, *real = NULL;
	const char *slash;
	size_t len = 0;
	int r;

	*out = NULL;
	r = pc_read_file(&text, &len, path, PC_POLICY_MAX_SIZE, &err);
	if (r == PC_ELIMIT) {
		pc_diag_add(diags, NULL, 0, 0, "%s (a policy file may be at most 1 MiB)", err.msg);
		return r;
	}
	if (r < 0) {
		pc_diag_add(diags, NULL, 0, 0, "%s", err.msg);
		return r;
	}
	/* An absolute directory, so resolved paths survive a change of directory. */
	slash = strrchr(path, '/');
	dir = slash ? pc_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : pc_strdup(".");
	if (dir && (real = realpath(dir, NULL))) {
		free(dir);
		dir = real;
	}
	if (!dir) {
		pc_diag_add(diags, path, 0, 0, "out of memory while loading the policy");
		free(text);
		return PC_ENOMEM;
	}
	r = parse_text(out, path, dir, text, len, diags);
	free(dir);
	free(text);
	return r;
}

void pc_policy_free(pc_policy *p)
{
	size_t i;

	if (!p)
		return;
	free(p->path);
	pc_strlist_clear(&p->identity_env);
	for (i = 0; i < p->nusers; i++) {
		free(p->users[i].name);
		free(p->users[i].email);
		pc_strlist_clear(&p->users[i].keys);
	}
	free(p->users);
	free(p->allowed_signers);
	for (i = 0; i < p->ngroups; i++) {
		free(p->groups[i].name);
		pc_strlist_clear(&p->groups[i].members);
	}
	free(p->groups);
	pc_strlist_clear(&p->admins);
	for (i = 0; i < p->nbranches; i++) {
		free(p->branches[i].name);
		free(p->branches[i].environment);
		pc_strlist_clear(&p->branches[i].from);
		pc_strlist_clear(&p->branches[i].require);
		pc_strlist_clear(&p->branches[i].hotfix_from);
		pc_strlist_clear(&p->branches[i].approvers);
	}
	free(p->branches);
	pc_strlist_clear(&p->work_branches);
	free(p->tag_pattern);
	pc_strlist_clear(&p->tag_create);
	pc_strlist_clear(&p->codeowners);
	free(p->rules.commit_message);
	free(p->rules.work_branch_name);
	pc_strlist_clear(&p->rules.deny_paths);
	pc_strlist_clear(&p->break_glass_groups);
	free(p->audit_log);
	free(p->audit_key);
	free(p->audit_origin);
	free(p->syslog_socket);
	free(p->trunk);
	for (i = 0; i < p->nenvironments; i++) {
		free(p->environments[i].name);
		free(p->environments[i].path);
		free(p->environments[i].after);
		pc_strlist_clear(&p->environments[i].approvers);
	}
	free(p->environments);
	pc_strlist_clear(&p->shared_paths);
	index_free(p->index);
	free(p);
}

/* ------------------------------------------------------------------------ */
/* Queries */

const pc_user *pc_policy_user(const pc_policy *p, const char *name)
{
	struct pc_name_ref *hit;
	size_t i;

	if (p->index && p->index->have_users) {
		hit = find_ref(p->index->users, p->index->nusers, name, pc_policy_refcmp);
		return hit ? &p->users[hit->i] : NULL;
	}
	for (i = 0; i < p->nusers; i++)
		if (!strcmp(p->users[i].name, name))
			return &p->users[i];
	return NULL;
}

const pc_user *pc_policy_user_by_email(const pc_policy *p, const char *email)
{
	struct pc_name_ref *hit;
	size_t i;

	/* Git and the forges compare addresses without regard to case. */
	if (p->index && p->index->have_users) {
		hit = find_ref(p->index->emails, p->index->nemails, email, pc_policy_refcasecmp);
		return hit ? &p->users[hit->i] : NULL;
	}
	for (i = 0; i < p->nusers; i++)
		if (p->users[i].email && !strcasecmp(p->users[i].email, email))
			return &p->users[i];
	return NULL;
}

const pc_group *pc_policy_group(const pc_policy *p, const char *name)
{
	struct pc_name_ref *hit;
	size_t i;

	if (p->index && p->index->have_groups) {
		hit = find_ref(p->index->groups, p->index->ngroups, name, pc_policy_refcmp);
		return hit ? &p->groups[hit->i] : NULL;
	}
	for (i = 0; i < p->ngroups; i++)
		if (!strcmp(p->groups[i].name, name))
			return &p->groups[i];
	return NULL;
}

int pc_policy_user_is(const pc_policy *p, const char *user, const char *principal)
{
	const pc_group *g;

	if (!user || !principal)
		return 0;
	if (*principal == '@')
		principal++;
	if (!strcmp(user, principal))
		return pc_policy_user(p, user) != NULL;
	g = pc_policy_group(p, principal);
	return g && pc_strlist_has(&g->members, user);
}

int pc_policy_user_in(const pc_policy *p, const char *user, const pc_strlist *principals)
{
	size_t i;

	for (i = 0; i < principals->n; i++)
		if (pc_policy_user_is(p, user, principals->items[i]))
			return 1;
	return 0;
}

int pc_policy_is_admin(const pc_policy *p, const char *user)
{
	return pc_policy_user_in(p, user, &p->admins);
}

static int add_unique(pc_strlist *l, const char *s)
{
	return pc_strlist_has(l, s) ? 0 : pc_strlist_add(l, s);
}

int pc_policy_resolve_owner(const pc_policy *p, const char *token, pc_strlist *users)
{
	const pc_user *u;
	const pc_group *g;
	size_t i;

	if (*token == '@') {
		if ((u = pc_policy_user(p, token + 1)))
			return add_unique(users, u->name);
		if ((g = pc_policy_group(p, token + 1))) {
			for (i = 0; i < g->members.n; i++)
				if (add_unique(users, g->members.items[i]) < 0)
					return PC_ENOMEM;
			return 0;
		}
		return PC_ENOTFOUND;
	}
	if (strchr(token, '@') && (u = pc_policy_user_by_email(p, token)))
		return add_unique(users, u->name);
	return PC_ENOTFOUND;
}

const pc_branch *pc_policy_branch(const pc_policy *p, const char *short_name)
{
	const pc_branch *best = NULL;
	size_t i, best_len = 0, len;

	for (i = 0; i < p->nbranches; i++)
		if (!pc_is_glob(p->branches[i].name) && !strcmp(p->branches[i].name, short_name))
			return &p->branches[i];
	for (i = 0; i < p->nbranches; i++) {
		if (!pc_is_glob(p->branches[i].name) || !pc_glob_match(p->branches[i].name, short_name))
			continue;
		len = strlen(p->branches[i].name);
		if (!best || len > best_len) {
			best = &p->branches[i];
			best_len = len;
		}
	}
	return best;
}

int pc_policy_is_work_branch(const pc_policy *p, const char *short_name)
{
	size_t i;

	for (i = 0; i < p->work_branches.n; i++)
		if (pc_glob_match(p->work_branches.items[i], short_name))
			return 1;
	return 0;
}

const pc_environment *pc_policy_environment(const pc_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nenvironments; i++)
		if (p->environments[i].name && !strcmp(p->environments[i].name, name))
			return &p->environments[i];
	return NULL;
}

static char *join_dir(const char *dir, const char *name)
{
	size_t len = strlen(dir);

	return pc_asprintf("%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", name);
}

/*
 * policycheck.policy from GIT_DIR/config alone, without starting libgit2
 * (its start-up is most of what the reference-transaction hook would
 * cost).  The repository's own file overrides the global and system ones,
 * and within it the last value wins, so a plain value found there is what
 * git would return.  Anything this reader does not take literally
 * (includes, quotes, escapes, comments after a value, continuation lines,
 * ~ paths, an empty or missing value, a file it cannot read) returns 0 and
 * leaves the answer to git itself.  1 when *out is set.
 */
static int path_from_local_config(char **out, const char *git_dir)
{
	char *cfg_path = join_dir(git_dir, "config"), *line = NULL, *val = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *fp = NULL;
	int in_section = 0, r = 0;

	*out = NULL;
	if (!cfg_path || !(fp = fopen(cfg_path, "r")))
		goto done;
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char *p = line, *e = line + len, *k, *v;

		if (memchr(line, '\0', (size_t)len))
			goto fallback;
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#' || *p == ';')
			continue;
		if (e[-1] == '\\')
			goto fallback;
		if (*p == '[') {
			char *q = strchr(p, ']');

			/* only a header alone on its line: [name] or [name "sub"] */
			if (!q || q[1])
				goto fallback;
			p++;
			*q = '\0';
			if (!strncasecmp(p, "include", 7) || !strncasecmp(p, "policycheck", 11)) {
				if (strcasecmp(p, "policycheck"))
					goto fallback;
				in_section = 1;
			} else {
				in_section = 0;
			}
			continue;
		}
		if (!in_section)
			continue;
		k = p;
		while (*p && *p != '=' && *p != ' ' && *p != '\t')
			p++;
		v = p;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v != '=') {
			if (p - k == 6 && !strncasecmp(k, "policy", 6))
				goto fallback;	/* "policy" alone: a boolean, git says why */
			continue;
		}
		if (p - k != 6 || strncasecmp(k, "policy", 6))
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		if (!*v || *v == '~' || strpbrk(v, "\"\\;#"))
			goto fallback;
		free(val);
		if (!(val = pc_strdup(v)))
			goto fallback;
	}
	if (ferror(fp) || !val)
		goto fallback;
	/* As git does for its own path settings, relative means relative to GIT_DIR. */
	*out = val[0] == '/' ? pc_strdup(val) : join_dir(git_dir, val);
	r = *out ? 1 : 0;
fallback:
done:
	if (fp)
		fclose(fp);
	free(line);
	free(val);
	free(cfg_path);
	return r;
}

int pc_policy_path_for_repo(char **out, const char *git_dir, pc_error *err)
{
	char *opt = NULL, *val = NULL;
	char *argv[] = { "git", NULL, "config", "-z", "--path", "--get", "policycheck.policy", NULL };
	struct stat st;
	size_t len = 0;
	int r, code;

	if (path_from_local_config(out, git_dir))
		return 0;
	if (stat(git_dir, &st) < 0)
		return pc_error_set(err, PC_ENOTFOUND, "%s: cannot open the repository: %s", git_dir,
			strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return pc_error_set(err, PC_ENOTFOUND, "%s: cannot open the repository: not a directory",
			git_dir);
	/*
	 * Anything else is git's own answer: the system and global files,
	 * includes, `git -c` on the server, exactly as git reads them, and
	 * without starting libgit2 (the reference-transaction hook does not
	 * link it).  -z: a value may hold a newline.
	 */
	if (!(opt = pc_asprintf("--git-dir=%s", git_dir))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	argv[1] = opt;
	if ((code = pc_run_capture(&val, &len, argv, PATH_MAX, err)) < 0) {
		r = pc_error_prefix(err, "%s: cannot read git config policycheck.policy", git_dir);
		goto done;
	}
	if (code == 1 && !len) {
		*out = join_dir(git_dir, "policy-check.yml");
	} else if (code != 0 || !len || val[len - 1] != '\0' || strlen(val) != len - 1) {
		r = pc_error_set(err, PC_EINVAL, "%s: git config policycheck.policy: git says it cannot be read "
			"(exit %d; its message is above); fix the value", git_dir, code);
		goto done;
	} else if (!val[0]) {
		r = pc_error_set(err, PC_EINVAL, "%s: git config policycheck.policy is empty; "
			"set it to the policy file or unset it", git_dir);
		goto done;
	} else {
		/* As git does for its own path settings, relative means relative to GIT_DIR. */
		*out = val[0] == '/' ? pc_strdup(val) : join_dir(git_dir, val);
	}
	r = *out ? 0 : pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	free(val);
	free(opt);
	return r;
}

/*
 * policy-read.c: each section of the policy file read into the pc_policy.
 */
#include "config.h"
#include "policy-int.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

/* ------------------------------------------------------------------------ */
/* Sections */

static void read_strategy(cx *c, const ynode *n)
{
	static const char *const names[] = { "pattern1", "pattern2", "pattern3" };
	int v = pc_policy_get_enum(c, n, "strategy", names, PC_ARRAY_SIZE(names));

	if (v >= 0) {
		c->p->strategy = (pc_strategy)(v + 1);
		c->strategy_node = n;
	}
}

/* The variables the supported servers set to the pusher's name, for the messages. */
#define IDENTITY_KNOWN "GL_USERNAME (GitLab), GL_USER (gitolite), GITEA_PUSHER_NAME (Gitea, Forgejo) " \
	"or REMOTE_USER (a web server's authentication in front of git-http-backend, or sshd's " \
	"authorized_keys)"

/*
 * Variables a client can set or shape, so that naming one would let a pusher
 * choose who they are: sshd's default AcceptEnv (LANG, LC_*) and the
 * client's command (SSH_*), the protocol and push options git passes on
 * (GIT_*), the request headers a web server passes to CGI (HTTP_*).
 */
static const struct { const char *prefix; int exact; const char *why; } client_env[] = {
	{ "LANG", 1, "sshd accepts it from the client (AcceptEnv LANG LC_*)" },
	{ "LC_", 0, "sshd accepts LC_* from the client (AcceptEnv LANG LC_*)" },
	{ "SSH_", 0, "sshd sets SSH_* from the client's connection and command" },
	{ "GIT_", 0, "git sets GIT_* variables, some from the client (GIT_PROTOCOL, push options)" },
	{ "HTTP_", 0, "a web server passes the client's request headers as HTTP_*" },
};

static const char *client_env_why(const char *name)
{
	size_t i, len;

	for (i = 0; i < PC_ARRAY_SIZE(client_env); i++) {
		len = strlen(client_env[i].prefix);
		if (client_env[i].exact ? !strcmp(name, client_env[i].prefix) :
		    !strncmp(name, client_env[i].prefix, len))
			return client_env[i].why;
	}
	return NULL;
}

/*
 * Exactly one variable: with a list, the first one set would name the
 * pusher, and a client able to set any listed variable the server does not
 * set itself (sshd's AcceptEnv or PermitUserEnvironment, a wrapper that
 * passes its environment on) could then push as anyone.
 */
static void read_identity(cx *c, const ynode *n)
{
	const ynode *env;
	const char *s, *q, *why;

	if (!pc_policy_want_map(c, n, "identity"))
		return;
	pc_policy_check_keys(c, n, S_IDENTITY, "identity");
	if (!(env = pc_policy_y_get(n, "env"))) {
		pc_policy_cx_error(c, n, "identity: missing required key 'env'; name the one variable your server "
			"sets to the pusher's name, e.g. 'env: [REMOTE_USER]': " IDENTITY_KNOWN);
		return;
	}
	if (!pc_policy_want_seq(c, env, "identity.env"))
		return;
	if (!env->n) {
		pc_policy_cx_error(c, env, "identity.env: the list is empty; name the one variable your server "
			"sets to the pusher's name: " IDENTITY_KNOWN);
		return;
	}
	if (env->n > 1)
		pc_policy_cx_error(c, env->kids[1], "identity.env: name exactly one variable, the one your server "
			"sets; with several, the first one set names the pusher, so a client able to set "
			"one the server leaves unset could push as anyone");
	if (!(s = pc_policy_get_str(c, env->kids[0], "identity.env")))
		return;
	for (q = s; *q && (isalnum((unsigned char)*q) || *q == '_'); q++)
		;
	if (*q || isdigit((unsigned char)*s))
		pc_policy_cx_error(c, env->kids[0], "identity.env: '%s' is not an environment variable name", s);
	else if ((why = client_env_why(s)))
		pc_policy_cx_error(c, env->kids[0], "identity.env: '%s' can come from the client: %s; name the "
			"variable your server sets: " IDENTITY_KNOWN, s, why);
	else
		pc_policy_cx_add(c, &c->p->identity_env, s);
}

static void add_pending(cx *c, struct pending **arr, size_t *n, size_t *alloc,
	const char *str, size_t len, const ynode *at)
{
	if (pc_grow((void **)arr, alloc, *n + 1, sizeof(**arr)) < 0) {
		c->oom = 1;
		return;
	}
	(*arr)[*n].s = str;
	(*arr)[*n].len = len;
	(*arr)[*n].user = c->p->nusers;
	(*arr)[*n].at = at;
	++*n;
}

static int pending_pos(const struct pending *x, const struct pending *y)
{
	if (x->at->line != y->at->line)
		return x->at->line < y->at->line ? -1 : 1;
	return x->at->col < y->at->col ? -1 : x->at->col > y->at->col;
}

static int pending_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	int r = x->len != y->len ? (x->len < y->len ? -1 : 1) : memcmp(x->s, y->s, x->len);

	return r ? r : pending_pos(x, y);
}

static int pending_casecmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	int r = strcasecmp(x->s, y->s);

	return r ? r : pending_pos(x, y);
}

/*
 * An email or a key must identify exactly one user, or approvals and
 * signatures would be ambiguous.  Sorted, so a large policy stays fast.
 */
static void check_unique(cx *c)
{
	pc_policy *p = c->p;
	size_t i, first;

	if (c->nemails > 1)
		qsort(c->emails, c->nemails, sizeof(*c->emails), pending_casecmp);
	for (i = 1, first = 0; i < c->nemails; i++) {
		if (strcasecmp(c->emails[i].s, c->emails[first].s)) {
			first = i;
			continue;
		}
		pc_policy_cx_error(c, c->emails[i].at, "users.%s.email: '%s' is already the email of user '%s'; "
			"an email must identify one user", p->users[c->emails[i].user].name,
			c->emails[i].s, p->users[c->emails[first].user].name);
	}
	if (c->nkeys > 1)
		qsort(c->keys, c->nkeys, sizeof(*c->keys), pending_cmp);
	for (i = 1, first = 0; i < c->nkeys; i++) {
		if (c->keys[i].len != c->keys[first].len ||
		    memcmp(c->keys[i].s, c->keys[first].s, c->keys[i].len)) {
			first = i;
			continue;
		}
		pc_policy_cx_error(c, c->keys[i].at, "users.%s.keys: this key is already listed for user '%s'; "
			"a key must belong to one user", p->users[c->keys[i].user].name,
			p->users[c->keys[first].user].name);
	}
}

static void read_user_keys(cx *c, pc_user *u, const ynode *keys, const char *path)
{
	char why[256];
	const char *b64;
	size_t i, blen;
	int r;

	if (!pc_policy_want_seq(c, keys, path))
		return;
	for (i = 0; i < keys->n; i++) {
		const ynode *item = keys->kids[i];
		const char *s = pc_policy_get_str(c, item, path);

		if (!s)
			continue;
		r = pc_policy_check_key_line(s, why, sizeof(why), &b64, &blen);
		if (r == PC_ENOMEM) {
			c->oom = 1;
			return;
		}
		if (r < 0) {
			pc_policy_cx_error(c, item, "%s: %s", path, why);
			continue;
		}
		add_pending(c, &c->keys, &c->nkeys, &c->akeys, b64, blen, item);
		pc_policy_cx_add(c, &u->keys, s);
	}
}

static void read_users(cx *c, const ynode *n)
{
	pc_policy *p = c->p;
	char path[512];
	size_t i;

	if (!pc_policy_want_map(c, n, "users"))
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const ynode *key = n->kids[i], *val = n->kids[i + 1], *v;
		const char *why, *email;
		pc_user *u;

		if (key->kind != Y_SCALAR || key->dup)
			continue;
		snprintf(path, sizeof(path), "users.%s", key->str);
		if ((why = pc_policy_bad_name(key->str, 0))) {
			pc_policy_cx_error(c, key, "users: user name '%s' %s", key->str, why);
			continue;
		}
		if (pc_grow((void **)&p->users, &c->ausers, p->nusers + 1, sizeof(*p->users)) < 0) {
			c->oom = 1;
			return;
		}
		u = &p->users[p->nusers];
		memset(u, 0, sizeof(*u));
		/* Written before the user is counted, so a failed copy leaves nothing half-made. */
		if (!(u->name = pc_policy_cx_strdup(c, key->str)))
			return;
		u->line = key->line;
		if (!pc_policy_want_map(c, val, path)) {
			p->nusers++;
			continue;
		}
		pc_policy_check_keys(c, val, S_USER, path);
		if ((v = pc_policy_y_get(val, "email"))) {
			char epath[600];

			snprintf(epath, sizeof(epath), "%s.email", path);
			if ((email = pc_policy_get_str(c, v, epath))) {
				if (!pc_policy_email_valid(email)) {
					pc_policy_cx_error(c, v, "%s: '%s' is not an email address (expected local@domain)", epath, email);
				} else {
					add_pending(c, &c->emails, &c->nemails, &c->aemails, email, strlen(email), v);
					u->email = pc_policy_cx_strdup(c, email);
				}
			}
		}
		if ((v = pc_policy_y_get(val, "keys"))) {
			char kpath[600];

			snprintf(kpath, sizeof(kpath), "%s.keys", path);
			read_user_keys(c, u, v, kpath);
		}
		p->nusers++;
	}
	check_unique(c);
}

static struct pc_policy_index *policy_index(cx *c)
{
	if (!c->p->index && !(c->p->index = pc_calloc(1, sizeof(*c->p->index))))
		c->oom = 1;
	return c->p->index;
}

/* Users by name and by email, so lookups stay fast for thousands of users. */
static void index_users(cx *c)
{
	pc_policy *p = c->p;
	struct pc_policy_index *ix = policy_index(c);
	size_t i;

	if (!ix)
		return;
	ix->users = pc_calloc(p->nusers, sizeof(*ix->users));
	ix->emails = pc_calloc(p->nusers, sizeof(*ix->emails));
	if (!ix->users || !ix->emails) {
		c->oom = 1;
		return;
	}
	for (i = 0; i < p->nusers; i++) {
		ix->users[i].name = p->users[i].name;
		ix->users[i].i = i;
		if (p->users[i].email) {
			ix->emails[ix->nemails].name = p->users[i].email;
			ix->emails[ix->nemails++].i = i;
		}
	}
	ix->nusers = p->nusers;
	qsort(ix->users, ix->nusers, sizeof(*ix->users), pc_policy_refcmp);
	qsort(ix->emails, ix->nemails, sizeof(*ix->emails), pc_policy_refcasecmp);
	ix->have_users = 1;
}

static void index_groups(cx *c)
{
	pc_policy *p = c->p;
	struct pc_policy_index *ix = policy_index(c);
	size_t i;

	if (!ix)
		return;
	if (!(ix->groups = pc_calloc(p->ngroups, sizeof(*ix->groups)))) {
		c->oom = 1;
		return;
	}
	for (i = 0; i < p->ngroups; i++) {
		ix->groups[i].name = p->groups[i].name;
		ix->groups[i].i = i;
	}
	ix->ngroups = p->ngroups;
	qsort(ix->groups, ix->ngroups, sizeof(*ix->groups), pc_policy_refcmp);
	ix->have_groups = 1;
}

/*
 * A list of strings, each checked by item(), which reports a bad one and
 * returns NULL, or returns what to keep of it.
 */
static void read_list(cx *c, const ynode *n, const char *path, pc_strlist *out,
	const char *(*item)(cx *c, const ynode *at, const char *path, const char *s))
{
	const char *s;
	size_t i;

	if (!pc_policy_want_seq(c, n, path))
		return;
	pc_strlist_clear(out);
	for (i = 0; i < n->n; i++)
		if ((s = pc_policy_get_str(c, n->kids[i], path)) && (s = item(c, n->kids[i], path, s)))
			pc_policy_cx_add(c, out, s);
}

/* A user or group ('@' optional) defined in the policy. */
static const char *principal_item(cx *c, const ynode *at, const char *path, const char *s)
{
	const char *name = *s == '@' ? s + 1 : s;

	if (pc_policy_user(c->p, name) || pc_policy_group(c->p, name))
		return name;
	pc_policy_cx_error(c, at, "%s: '%s' is not a user or group defined in the policy", path, s);
	return NULL;
}

static void read_principals(cx *c, const ynode *n, const char *path, pc_strlist *out)
{
	read_list(c, n, path, out, principal_item);
	pc_policy_cx_dedupe(c, out);
}

/* A member of a group: a user ('@' optional); groups do not nest. */
static const char *member_item(cx *c, const ynode *at, const char *path, const char *s)
{
	const char *name = *s == '@' ? s + 1 : s;

	if (pc_policy_user(c->p, name))
		return name;
	/* read_groups reads the top level's groups, so that is where another group would be. */
	if (pc_policy_y_get(pc_policy_y_get(c->root, "groups"), name))
		pc_policy_cx_error(c, at, "%s: '%s' is a group; groups list users and do not nest", path, s);
	else
		pc_policy_cx_error(c, at, "%s: '%s' is not a user defined under users", path, s);
	return NULL;
}

static void read_groups(cx *c, const ynode *n)
{
	pc_policy *p = c->p;
	char path[512];
	size_t i;

	if (!pc_policy_want_map(c, n, "groups"))
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const ynode *key = n->kids[i], *val = n->kids[i + 1];
		const char *why;
		pc_group *g;

		if (key->kind != Y_SCALAR)
			continue;
		snprintf(path, sizeof(path), "groups.%s", key->str);
		if (key->dup)
			continue;
		if ((why = pc_policy_bad_name(key->str, 1))) {
			pc_policy_cx_error(c, key, "groups: group name '%s' %s", key->str, why);
			continue;
		}
		if (pc_policy_user(p, key->str)) {
			pc_policy_cx_error(c, key, "groups: '%s' is already a user name; a group needs a name of its own",
				key->str);
			continue;
		}
		if (pc_grow((void **)&p->groups, &c->agroups, p->ngroups + 1, sizeof(*p->groups)) < 0) {
			c->oom = 1;
			return;
		}
		g = &p->groups[p->ngroups];
		memset(g, 0, sizeof(*g));
		if (!(g->name = pc_policy_cx_strdup(c, key->str)))
			return;
		g->line = key->line;
		p->ngroups++;
		read_list(c, val, path, &g->members, member_item);
		pc_policy_cx_dedupe(c, &g->members);
	}
}

static const char *glob_item(cx *c, const ynode *at, const char *path, const char *s)
{
	const char *why = pc_policy_bad_branch_pattern(s);

	if (!why)
		return s;
	pc_policy_cx_error(c, at, "%s: '%s' is not a valid branch pattern: %s", path, s, why);
	return NULL;
}

static const char *path_item(cx *c, const ynode *at, const char *path, const char *s)
{
	const char *why = pc_policy_bad_repo_path(s);

	if (!why)
		return s;
	pc_policy_cx_error(c, at, "%s: '%s' %s", path, s, why);
	return NULL;
}

/* A rule's regex: one that does not compile is reported, and kept as a single regex is. */
static const char *regex_item(cx *c, const ynode *at, const char *path, const char *s)
{
	pc_policy_check_regex(c, at, path, s);
	return s;
}

/* `from: any` (a string, not a list) is how a file lifts the limit on sources. */
static int y_is_any(const ynode *n)
{
	return n && n->kind == Y_SCALAR && !pc_policy_y_is_null(n) && !strcmp(n->str, "any");
}

/*
 * A branch's `from`: a list of branches, or `any`.  An empty list is refused,
 * so that no way of writing "nothing" means "anywhere".
 */
static void read_from(cx *c, const ynode *n, const char *path, pc_strlist *out)
{
	if (y_is_any(n))
		return;
	if (n->kind == Y_SCALAR && !pc_policy_y_is_null(n)) {
		pc_policy_cx_error(c, n, "%s: expected a list of branches or 'any', found %s (write [%s])",
			path, pc_policy_y_what(n), n->str);
		return;
	}
	if (pc_policy_y_is_null(n) || (n->kind == Y_SEQ && !n->n)) {
		pc_policy_cx_error(c, n, "%s: the list is empty; list the branches it takes changes from, "
			"or write 'from: any' to take them from anywhere", path);
		return;
	}
	read_list(c, n, path, out, glob_item);
}

/*
 * The keys of a section that each read one value, as data: the key, what
 * its value must be and where in the section's struct it goes.  One loop
 * reads them in the table's order, so a key's messages are those of its kind.
 */
enum field_kind {
	F_STR,		/* a string */
	F_DIR,		/* a repository path naming a directory, kept with a trailing '/' */
	F_REGEX,	/* a string that compiles as a rule's regex */
	F_REGEXES,	/* a list of those */
	F_BOOL,
	F_UINT,		/* from min to max */
	F_SIZE,		/* at least min; "10MB" and the like */
	F_APPROVALS,
	F_ENUM,		/* one of names[0 .. max), kept as its index */
	F_PRINCIPALS,
	F_GLOBS,
	F_FROM,
	F_PATHS
};

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;		/* of the value in the section's struct */
	uint64_t min, max;
	const char *const *names;
};

/* "overlays/dev" and "overlays/dev/" name the same directory. */
static char *dir_path(cx *c, const char *s)
{
	size_t len = strlen(s);
	char *r = len && s[len - 1] == '/' ? pc_strdup(s) : pc_asprintf("%s/", s);

	if (!r)
		c->oom = 1;
	return r;
}

/* Read the keys of f[] present in the mapping m of `section` into base. */
static void read_fields(cx *c, const ynode *m, const char *section, void *base,
	const struct field *f, size_t nf)
{
	char path[600];
	const ynode *v;
	const char *s, *why;
	size_t i;
	int e;

	for (i = 0; i < nf; i++) {
		void *dst = (char *)base + f[i].off;

		if (!(v = pc_policy_y_get(m, f[i].key)))
			continue;
		snprintf(path, sizeof(path), "%s.%s", section, f[i].key);
		switch (f[i].kind) {
		case F_STR:
			if ((s = pc_policy_get_str(c, v, path)))
				pc_policy_cx_set(c, dst, s);
			break;
		case F_DIR:
			if (!(s = pc_policy_get_str(c, v, path)))
				break;
			if ((why = pc_policy_bad_repo_path(s)))
				pc_policy_cx_error(c, v, "%s: '%s' %s", path, s, why);
			else
				*(char **)dst = dir_path(c, s);
			break;
		case F_REGEX:
			if ((s = pc_policy_get_str(c, v, path))) {
				pc_policy_check_regex(c, v, path, s);
				pc_policy_cx_set(c, dst, s);
			}
			break;
		case F_REGEXES:
			read_list(c, v, path, dst, regex_item);
			break;
		case F_BOOL:
			pc_policy_get_bool(c, v, path, dst);
			break;
		case F_UINT:
			pc_policy_get_uint(c, v, path, f[i].min, f[i].max, dst);
			break;
		case F_SIZE:
			pc_policy_get_size(c, v, path, f[i].min, dst);
			break;
		case F_APPROVALS:
			pc_policy_get_approvals(c, v, path, dst);
			break;
		case F_ENUM:
			if ((e = pc_policy_get_enum(c, v, path, f[i].names, (size_t)f[i].max)) >= 0)
				*(int *)dst = e;
			break;
		case F_PRINCIPALS:
			read_principals(c, v, path, dst);
			break;
		case F_GLOBS:
			read_list(c, v, path, dst, glob_item);
			break;
		case F_FROM:
			read_from(c, v, path, dst);
			break;
		case F_PATHS:
			read_list(c, v, path, dst, path_item);
			break;
		}
	}
}

int pc_policy_names_protected_branch(const pc_policy *p, const char *s)
{
	size_t i;

	for (i = 0; i < p->nbranches; i++)
		if (!strcmp(p->branches[i].name, s))
			return 1;
	return 0;
}

void pc_policy_branch_entries(cx *c, struct pc_policy_entries *e)
{
	e->items = (void **)&c->p->branches;
	e->n = &c->p->nbranches;
	e->alloc = &c->abranches;
	e->src = &c->bsrc;
	e->asrc = &c->absrc;
	e->size = sizeof(pc_branch);
	e->name_off = offsetof(pc_branch, name);
	e->line_off = offsetof(pc_branch, line);
	e->approvals_off = offsetof(pc_branch, approvals);
}

void pc_policy_environment_entries(cx *c, struct pc_policy_entries *e)
{
	e->items = (void **)&c->p->environments;
	e->n = &c->p->nenvironments;
	e->alloc = &c->aenvs;
	e->src = &c->esrc;
	e->asrc = &c->aesrc;
	e->size = sizeof(pc_environment);
	e->name_off = offsetof(pc_environment, name);
	e->line_off = offsetof(pc_environment, line);
	e->approvals_off = offsetof(pc_environment, approvals);
}

/* Room for one more entry, zeroed but for approvals (-1, not set); NULL when out of memory. */
void *pc_policy_grow_entries(cx *c, const struct pc_policy_entries *e)
{
	char *entry;

	if (pc_grow(e->items, e->alloc, *e->n + 1, e->size) < 0 ||
	    pc_grow((void **)e->src, e->asrc, *e->n + 1, sizeof(**e->src)) < 0) {
		c->oom = 1;
		return NULL;
	}
	entry = (char *)*e->items + *e->n * e->size;
	memset(entry, 0, e->size);
	PC_POLICY_ENTRY_FIELD(int, entry, e->approvals_off) = -1;
	(*e->src)[*e->n] = NULL;
	return entry;
}

static const struct field branch_fields[] = {
	{ "environment", F_STR, offsetof(pc_branch, environment), 0, 0, NULL },
	{ "from", F_FROM, offsetof(pc_branch, from), 0, 0, NULL },
	{ "require", F_GLOBS, offsetof(pc_branch, require), 0, 0, NULL },
	{ "hotfix_from", F_GLOBS, offsetof(pc_branch, hotfix_from), 0, 0, NULL },
	{ "approvals", F_APPROVALS, offsetof(pc_branch, approvals), 0, 0, NULL },
	{ "approvers", F_PRINCIPALS, offsetof(pc_branch, approvers), 0, 0, NULL },
};

static const struct field environment_fields[] = {
	{ "path", F_DIR, offsetof(pc_environment, path), 0, 0, NULL },
	{ "after", F_STR, offsetof(pc_environment, after), 0, 0, NULL },
	{ "approvals", F_APPROVALS, offsetof(pc_environment, approvals), 0, 0, NULL },
	{ "approvers", F_PRINCIPALS, offsetof(pc_environment, approvers), 0, 0, NULL },
};

static int branch_name_ok(cx *c, const ynode *key)
{
	const char *why = pc_policy_bad_branch_pattern(key->str);

	if (why)
		pc_policy_cx_error(c, key, "branches: '%s' is not a valid branch pattern: %s", key->str, why);
	return !why;
}

static int environment_name_ok(cx *c, const ynode *key)
{
	const char *why = pc_policy_bad_name(key->str, 0);

	if (why)
		pc_policy_cx_error(c, key, "environments: environment name '%s' %s", key->str, why);
	return !why;
}

/*
 * A mapping of named entries (branches, environments): each name checked by
 * name_ok() and added, then the entry's keys read from the table.
 */
static void read_entries(cx *c, const ynode *n, const char *section, int sec,
	void (*entries)(cx *c, struct pc_policy_entries *e), int (*name_ok)(cx *c, const ynode *key),
	const struct field *f, size_t nf)
{
	struct pc_policy_entries e;
	char path[512], *entry;
	size_t i;

	if (!pc_policy_want_map(c, n, section))
		return;
	entries(c, &e);
	for (i = 0; i + 1 < n->n; i += 2) {
		const ynode *key = n->kids[i], *val = n->kids[i + 1];

		if (key->kind != Y_SCALAR)
			continue;
		snprintf(path, sizeof(path), "%s.%s", section, key->str);
		if (key->dup || !name_ok(c, key))
			continue;
		if (!(entry = pc_policy_grow_entries(c, &e)) ||
		    !(PC_POLICY_ENTRY_FIELD(char *, entry, e.name_off) = pc_policy_cx_strdup(c, key->str)))
			return;
		PC_POLICY_ENTRY_FIELD(unsigned, entry, e.line_off) = key->line;
		(*e.src)[*e.n] = val;
		(*e.n)++;
		if (!pc_policy_want_map(c, val, path))
			continue;
		pc_policy_check_keys(c, val, sec, path);
		read_fields(c, val, path, entry, f, nf);
	}
}

static void read_tags(cx *c, const ynode *n)
{
	const ynode *v;
	const char *s, *why;

	if (!pc_policy_want_map(c, n, "tags"))
		return;
	pc_policy_check_keys(c, n, S_TAGS, "tags");
	pc_policy_cx_set(c, &c->p->tag_pattern, "*");
	if ((v = pc_policy_y_get(n, "pattern")) && (s = pc_policy_get_str(c, v, "tags.pattern"))) {
		if (!strncmp(s, "refs/", 5))
			pc_policy_cx_error(c, v, "tags.pattern: '%s' is a full ref name; write the tag pattern without refs/tags/", s);
		else if (!pc_glob_valid(s, &why))
			pc_policy_cx_error(c, v, "tags.pattern: '%s' is not a valid pattern: %s", s, why);
		else
			pc_policy_cx_set(c, &c->p->tag_pattern, s);
	}
	if ((v = pc_policy_y_get(n, "create")))
		read_principals(c, v, "tags.create", &c->p->tag_create);
}

static const char *const unowned_names[] = { "allow", "deny" };

static const struct field approvals_fields[] = {
	{ "codeowners", F_PATHS, offsetof(pc_policy, codeowners), 0, 0, NULL },
	{ "required", F_APPROVALS, offsetof(pc_policy, approvals_required), 0, 0, NULL },
	{ "self_approval", F_BOOL, offsetof(pc_policy, self_approval), 0, 0, NULL },
	{ "pusher_is_approval", F_BOOL, offsetof(pc_policy, pusher_is_approval), 0, 0, NULL },
	{ "keep_on_rebase", F_BOOL, offsetof(pc_policy, keep_on_rebase), 0, 0, NULL },
	{ "unowned", F_ENUM, offsetof(pc_policy, unowned_deny), 0, 2, unowned_names },
};

static void read_approvals(cx *c, const ynode *n)
{
	const ynode *v;

	if (!pc_policy_want_map(c, n, "approvals"))
		return;
	pc_policy_check_keys(c, n, S_APPROVALS, "approvals");
	read_fields(c, n, "approvals", c->p, approvals_fields, PC_ARRAY_SIZE(approvals_fields));
	if ((v = pc_policy_y_get(n, "codeowners")) && v->kind == Y_SEQ && !v->n)
		pc_policy_cx_error(c, v, "approvals.codeowners: the list is empty; name at least one CODEOWNERS file");
}

static const struct field rules_fields[] = {
	{ "commit_message", F_REGEX, offsetof(pc_rules, commit_message), 0, 0, NULL },
	{ "work_branch_name", F_REGEX, offsetof(pc_rules, work_branch_name), 0, 0, NULL },
	{ "deny_paths", F_REGEXES, offsetof(pc_rules, deny_paths), 0, 0, NULL },
	{ "max_blob_size", F_SIZE, offsetof(pc_rules, max_blob_size), 0, 0, NULL },
	{ "signed_commits", F_BOOL, offsetof(pc_rules, signed_commits), 0, 0, NULL },
};

static void read_rules(cx *c, const ynode *n)
{
	if (!pc_policy_want_map(c, n, "rules"))
		return;
	pc_policy_check_keys(c, n, S_RULES, "rules");
	read_fields(c, n, "rules", &c->p->rules, rules_fields, PC_ARRAY_SIZE(rules_fields));
}

/*
 * audit.syslog: off (or false), on (or true), or a mapping of enabled,
 * socket (an absolute path to an AF_UNIX datagram socket) and facility.
 */
static const char *const facilities[] = { "user", "daemon", "auth", "syslog", "authpriv",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7" };
static const int facility_codes[] = { 1, 3, 4, 5, 10, 16, 17, 18, 19, 20, 21, 22, 23 };

const char *pc_policy_facility_name(int code)
{
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(facility_codes); i++)
		if (facility_codes[i] == code)
			return facilities[i];
	return "user";
}

static void read_syslog(cx *c, const ynode *n)
{
	struct sockaddr_un sa;
	const ynode *v;
	const char *s;
	int e;

	if (n->kind == Y_SCALAR && n->plain && (!strcmp(n->str, "off") || !strcmp(n->str, "on"))) {
		c->p->syslog_enabled = !strcmp(n->str, "on");
		return;
	}
	if (n->kind == Y_SCALAR) {
		pc_policy_get_bool(c, n, "audit.syslog", &c->p->syslog_enabled);
		return;
	}
	if (!pc_policy_want_map(c, n, "audit.syslog"))
		return;
	pc_policy_check_keys(c, n, S_AUDIT_SYSLOG, "audit.syslog");
	if ((v = pc_policy_y_get(n, "enabled")))
		pc_policy_get_bool(c, v, "audit.syslog.enabled", &c->p->syslog_enabled);
	if ((v = pc_policy_y_get(n, "socket")) && (s = pc_policy_get_str(c, v, "audit.syslog.socket"))) {
		if (*s != '/')
			pc_policy_cx_error(c, v, "audit.syslog.socket: '%s' must be an absolute path, "
				"e.g. /dev/log", s);
		else if (strlen(s) >= sizeof(sa.sun_path))
			pc_policy_cx_error(c, v, "audit.syslog.socket: the path is longer than %zu bytes, "
				"which a unix socket address cannot hold", sizeof(sa.sun_path) - 1);
		else
			pc_policy_cx_set(c, &c->p->syslog_socket, s);
	}
	if ((v = pc_policy_y_get(n, "facility")) &&
	    (e = pc_policy_get_enum(c, v, "audit.syslog.facility", facilities, PC_ARRAY_SIZE(facilities))) >= 0)
		c->p->syslog_facility = facility_codes[e];
}

static void read_audit(cx *c, const ynode *n)
{
	static const char *const fields[] = { "log", "key", "origin" };
	char **dst[3];
	const ynode *v;
	const char *s, *q;
	size_t i;

	if (!pc_policy_want_map(c, n, "audit"))
		return;
	pc_policy_check_keys(c, n, S_AUDIT, "audit");
	dst[0] = &c->p->audit_log;
	dst[1] = &c->p->audit_key;
	dst[2] = &c->p->audit_origin;
	for (i = 0; i < PC_ARRAY_SIZE(fields); i++) {
		char path[32];

		snprintf(path, sizeof(path), "audit.%s", fields[i]);
		if (!(v = pc_policy_y_get(n, fields[i]))) {
			pc_policy_cx_error(c, n, "audit: missing required key '%s'; the hooks accept no push "
				"without an audit record, so audit.log, audit.key and audit.origin must all be set",
				fields[i]);
			continue;
		}
		if (!(s = pc_policy_get_str(c, v, path)))
			continue;
		if (i == 2) {
			/* The origin names the signed-note key, whose name has no spaces or '+'. */
			for (q = s; *q && (unsigned char)*q > ' ' && *q != 0x7f && *q != '+'; q++)
				;
			if (*q) {
				pc_policy_cx_error(c, v, "audit.origin: '%s' must not contain white space or '+' "
					"(it names the checkpoint signing key), e.g. git.example.com/policy-check", s);
				continue;
			}
		}
		pc_policy_cx_set(c, dst[i], s);
	}
	if ((v = pc_policy_y_get(n, "syslog")))
		read_syslog(c, v);
}

static const struct field limits_fields[] = {
	{ "max_commits", F_UINT, offsetof(pc_limits, max_commits), 1, UINT32_MAX, NULL },
	{ "max_paths", F_UINT, offsetof(pc_limits, max_paths), 1, UINT32_MAX, NULL },
	{ "max_codeowners_size", F_SIZE, offsetof(pc_limits, max_codeowners_size), 1, 0, NULL },
	{ "max_refs", F_UINT, offsetof(pc_limits, max_refs), 1, UINT32_MAX, NULL },
	{ "max_approvals_per_commit", F_UINT, offsetof(pc_limits, max_approvals_per_commit), 1, 1000, NULL },
	{ "max_rollback_commits", F_UINT, offsetof(pc_limits, max_rollback_commits), 1, UINT32_MAX, NULL },
	{ "max_approval_candidates", F_UINT, offsetof(pc_limits, max_approval_candidates), 1, 1000, NULL },
	{ "max_rebase_commits", F_UINT, offsetof(pc_limits, max_rebase_commits), 1, UINT32_MAX, NULL },
};

static void read_limits(cx *c, const ynode *n)
{
	if (!pc_policy_want_map(c, n, "limits"))
		return;
	pc_policy_check_keys(c, n, S_LIMITS, "limits");
	read_fields(c, n, "limits", &c->p->limits, limits_fields, PC_ARRAY_SIZE(limits_fields));
}


/* Every section of the file, read on its own; -1 when there is no mapping to read. */
int pc_policy_read_sections(cx *c)
{
	static const char *const other_refs[] = { "deny", "allow" };
	static const char *const enforcement[] = { "enforce", "dry-run" };
	const ynode *root = c->root, *v, *g;
	pc_policy *p = c->p;
	const char *s;
	uint64_t version;
	int e;

	if (!root || pc_policy_y_is_null(root)) {
		pc_policy_cx_error_at(c, 1, 1, "the policy is empty; it needs at least 'version: 1' and an 'audit' section");
		return -1;
	}
	if (root->kind != Y_MAP) {
		pc_policy_cx_error(c, root, "the policy must be a mapping of keys such as 'version' and 'audit', found %s",
			pc_policy_y_what(root));
		return -1;
	}
	pc_policy_check_keys(c, root, S_TOP, NULL);
	if (!(v = pc_policy_y_get(root, "version")))
		pc_policy_cx_error(c, root, "missing required key 'version'; add 'version: 1'");
	else if (pc_policy_get_uint(c, v, "version", 0, UINT64_MAX, &version)) {
		if (version != 1)
			pc_policy_cx_error(c, v, "version: %s is not supported; this policy-check reads policy version 1", v->str);
		else
			p->version = 1;
	}
	if ((v = pc_policy_y_get(root, "strategy")))
		read_strategy(c, v);
	if ((v = pc_policy_y_get(root, "identity")))
		read_identity(c, v);
	if ((v = pc_policy_y_get(root, "users")))
		read_users(c, v);
	index_users(c);
	if ((v = pc_policy_y_get(root, "groups")))
		read_groups(c, v);
	index_groups(c);
	if ((v = pc_policy_y_get(root, "allowed_signers")) && (s = pc_policy_get_str(c, v, "allowed_signers")))
		pc_policy_cx_set(c, &p->allowed_signers, s);
	if ((v = pc_policy_y_get(root, "admins")))
		read_principals(c, v, "admins", &p->admins);
	if ((v = pc_policy_y_get(root, "work_branches"))) {
		c->have_work_branches = 1;
		read_list(c, v, "work_branches", &p->work_branches, glob_item);
	}
	if ((v = pc_policy_y_get(root, "trunk")) && (s = pc_policy_get_str(c, v, "trunk"))) {
		const char *why = pc_policy_bad_branch_pattern(s);

		if (why)
			pc_policy_cx_error(c, v, "trunk: '%s' is not a valid branch name: %s", s, why);
		else if (pc_is_glob(s))
			pc_policy_cx_error(c, v, "trunk: '%s' must be one branch name, not a pattern", s);
		else
			pc_policy_cx_set(c, &p->trunk, s);
	}
	if ((v = pc_policy_y_get(root, "branches")))
		read_entries(c, v, "branches", S_BRANCH, pc_policy_branch_entries, branch_name_ok,
			branch_fields, PC_ARRAY_SIZE(branch_fields));
	if ((v = pc_policy_y_get(root, "tags")))
		read_tags(c, v);
	if ((v = pc_policy_y_get(root, "other_refs")) && (e = pc_policy_get_enum(c, v, "other_refs", other_refs, 2)) >= 0)
		p->other_refs_allow = e;
	if ((v = pc_policy_y_get(root, "approvals")))
		read_approvals(c, v);
	if ((v = pc_policy_y_get(root, "rules")))
		read_rules(c, v);
	if ((v = pc_policy_y_get(root, "break_glass")) && pc_policy_want_map(c, v, "break_glass")) {
		pc_policy_check_keys(c, v, S_BREAK_GLASS, "break_glass");
		if ((g = pc_policy_y_get(v, "groups")))
			read_principals(c, g, "break_glass.groups", &p->break_glass_groups);
	}
	if ((v = pc_policy_y_get(root, "enforcement")) && (e = pc_policy_get_enum(c, v, "enforcement", enforcement, 2)) >= 0)
		p->dry_run = e;
	if (!(v = pc_policy_y_get(root, "audit")))
		pc_policy_cx_error(c, root, "missing required key 'audit' (log, key and origin); "
			"the hooks accept no push without an audit record");
	else
		read_audit(c, v);
	if (!pc_policy_y_get(root, "identity"))
		pc_policy_cx_error(c, root, "missing required key 'identity'; name the one variable your server sets "
			"to the pusher's name, e.g. 'identity: { env: [REMOTE_USER] }': " IDENTITY_KNOWN);
	if ((v = pc_policy_y_get(root, "environments")))
		read_entries(c, v, "environments", S_ENVIRONMENT, pc_policy_environment_entries,
			environment_name_ok, environment_fields, PC_ARRAY_SIZE(environment_fields));
	if ((v = pc_policy_y_get(root, "shared_paths"))) {
		c->have_shared_paths = 1;
		read_list(c, v, "shared_paths", &p->shared_paths, path_item);
	}
	if ((v = pc_policy_y_get(root, "one_environment_per_push"))) {
		c->have_one_env = 1;
		pc_policy_get_bool(c, v, "one_environment_per_push", &p->one_environment_per_push);
	}
	if ((v = pc_policy_y_get(root, "limits")))
		read_limits(c, v);
	return 0;
}

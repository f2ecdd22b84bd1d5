/*
 * policy.c: load, validate and query the policy file (DESIGN.md sections 4,
 * 5 and 9).
 *
 * The YAML is first turned into a small node tree in which aliases share the
 * node they name instead of copying it, with hard bounds on depth, aliases
 * and expanded size, so a hostile file cannot make us allocate or walk more
 * than a bounded amount.  The tree is then read against the version-1
 * schema.  Every problem becomes one FILE:LINE:COLUMN diagnostic, and the
 * caller gets a policy only when there were none: a hook never runs on half
 * a policy.
 */
#include "config.h"
#include "policy.h"
#include "buf.h"
#include "codeowners.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>
#include <git2.h>
#include <openssl/evp.h>

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bounds on the YAML itself (billion-laughs and stack-depth guards). */
#define Y_MAX_DEPTH 64
#define Y_MAX_ALIASES 1000
#define Y_MAX_ANCHORS 1000
#define Y_MAX_WEIGHT 1000000u

#define APPROVALS_MAX 1000

/* ------------------------------------------------------------------------ */
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

static int refcmp(const void *a, const void *b)
{
	return strcmp(((const struct pc_name_ref *)a)->name, ((const struct pc_name_ref *)b)->name);
}

static int refcasecmp(const void *a, const void *b)
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
/* The YAML node tree */

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

__attribute__((format(printf, 4, 0)))
static void cx_verror(cx *c, unsigned line, unsigned col, const char *fmt, va_list ap)
{
	char msg[PC_ERROR_MAX];

	c->nerr++;
	/* After a failed allocation the data is incomplete, so later checks would mislead. */
	if (c->oom)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (pc_diag_add(c->diags, c->file, line, col, "%s", msg) == PC_ENOMEM)
		c->oom = 1;
}

__attribute__((format(printf, 3, 4)))
static void cx_error(cx *c, const ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cx_verror(c, at ? at->line : 0, at ? at->col : 0, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5)))
static void cx_error_at(cx *c, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cx_verror(c, line, col, fmt, ap);
	va_end(ap);
}

static char *cx_strdup(cx *c, const char *s)
{
	char *r = pc_strdup(s);

	if (!r)
		c->oom = 1;
	return r;
}

static void cx_add(cx *c, pc_strlist *l, const char *s)
{
	if (pc_strlist_add(l, s) < 0)
		c->oom = 1;
}

struct strref {
	const char *s;
	size_t i;
};

static int strrefcmp(const void *a, const void *b)
{
	const struct strref *x = a, *y = b;
	int r = strcmp(x->s, y->s);

	return r ? r : (x->i > y->i) - (x->i < y->i);
}

/* Drop repeated entries, keeping the first of each in place; O(n log n) for long lists. */
static void cx_dedupe(cx *c, pc_strlist *l)
{
	struct strref *refs;
	unsigned char *drop;
	size_t i, n = 0;

	if (l->n < 2)
		return;
	refs = pc_calloc(l->n, sizeof(*refs));
	drop = pc_calloc(l->n, 1);
	if (!refs || !drop) {
		free(refs);
		free(drop);
		c->oom = 1;
		return;
	}
	for (i = 0; i < l->n; i++) {
		refs[i].s = l->items[i];
		refs[i].i = i;
	}
	qsort(refs, l->n, sizeof(*refs), strrefcmp);
	for (i = 1; i < l->n; i++)
		if (!strcmp(refs[i].s, refs[i - 1].s))
			drop[refs[i].i] = 1;
	for (i = 0; i < l->n; i++) {
		if (drop[i])
			free(l->items[i]);
		else
			l->items[n++] = l->items[i];
	}
	l->n = n;
	free(refs);
	free(drop);
}

static void cx_set(cx *c, char **dst, const char *s)
{
	free(*dst);
	*dst = cx_strdup(c, s);
}

static ynode *y_new(cx *c, enum ykind kind, const yaml_mark_t *m)
{
	ynode *n;

	if (pc_grow((void **)&c->nodes, &c->anodes, c->nnodes + 1, sizeof(*c->nodes)) < 0 ||
	    !(n = pc_calloc(1, sizeof(*n)))) {
		c->oom = 1;
		return NULL;
	}
	c->nodes[c->nnodes++] = n;
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	n->weight = 1;
	return n;
}

static void y_free_all(cx *c)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		free(c->nodes[i]->str);
		free(c->nodes[i]->kids);
		free(c->nodes[i]);
	}
	free(c->nodes);
	for (i = 0; i < c->nanchors; i++)
		free(c->anchors[i].name);
	free(c->anchors);
}

/* Line and column of a byte offset, for libyaml's reader errors. */
static void offset_position(const cx *c, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < c->textlen; i++) {
		if (c->text[i] == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

static void y_syntax_error(cx *c, const yaml_parser_t *ps)
{
	unsigned line, col;

	if (ps->error == YAML_MEMORY_ERROR) {
		c->oom = 1;
		return;
	}
	if (ps->error == YAML_READER_ERROR) {
		offset_position(c, ps->problem_offset, &line, &col);
		cx_error_at(c, line, col, "not valid YAML text: %s; the policy must be UTF-8 text",
			ps->problem ? ps->problem : "unreadable input");
		return;
	}
	line = (unsigned)ps->problem_mark.line + 1;
	col = (unsigned)ps->problem_mark.column + 1;
	if (ps->context)
		cx_error_at(c, line, col, "invalid YAML: %s (%s that starts at line %u, column %u)",
			ps->problem ? ps->problem : "unexpected input", ps->context,
			(unsigned)ps->context_mark.line + 1, (unsigned)ps->context_mark.column + 1);
	else
		cx_error_at(c, line, col, "invalid YAML: %s",
			ps->problem ? ps->problem : "unexpected input");
}

static const char *y_what(const ynode *n);

static int keycmp(const void *a, const void *b)
{
	const ynode *x = *(const ynode *const *)a, *y = *(const ynode *const *)b;
	int r = strcmp(x->str, y->str);

	if (r)
		return r;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* Keys must be strings, merge keys are refused and duplicates reported. */
static void y_check_map(cx *c, const ynode *m)
{
	ynode **keys;
	size_t i, nk = 0;

	if (m->n < 2)
		return;
	if (!(keys = pc_calloc(m->n / 2, sizeof(*keys)))) {
		c->oom = 1;
		return;
	}
	for (i = 0; i + 1 < m->n; i += 2) {
		ynode *k = m->kids[i];

		if (k->kind != Y_SCALAR)
			cx_error(c, k, "a mapping key must be a string, not %s", y_what(k));
		else if (k->plain && !strcmp(k->str, "<<"))
			cx_error(c, k, "merge keys ('<<') are not supported; write the keys out");
		else
			keys[nk++] = k;
	}
	qsort(keys, nk, sizeof(*keys), keycmp);
	for (i = 1; i < nk; i++) {
		if (strcmp(keys[i]->str, keys[i - 1]->str) || keys[i] == keys[i - 1])
			continue;
		keys[i]->dup = 1;
		cx_error(c, keys[i], "duplicate key '%s' (first at line %u, column %u)",
			keys[i]->str, keys[i - 1]->line, keys[i - 1]->col);
	}
	free(keys);
}

/* Add a finished node to the open collection (or make it the root). */
static int y_attach(cx *c, yopen *stack, size_t depth, ynode *n)
{
	ynode *parent;

	if (!depth) {
		c->root = n;
		return 0;
	}
	parent = stack[depth - 1].node;
	if (pc_grow((void **)&parent->kids, &parent->alloc, parent->n + 1, sizeof(*parent->kids)) < 0) {
		c->oom = 1;
		return PC_ENOMEM;
	}
	parent->kids[parent->n++] = n;
	/* Both weights are at most Y_MAX_WEIGHT here, so the sum cannot wrap. */
	parent->weight += n->weight;
	if (parent->weight > Y_MAX_WEIGHT) {
		cx_error(c, n, "aliases expand this document to more than %u nodes; "
			"refusing it (a policy never needs that many)", Y_MAX_WEIGHT);
		return PC_ELIMIT;
	}
	return 0;
}

static int y_add_anchor(cx *c, const char *name, ynode *n)
{
	if (c->nanchors >= Y_MAX_ANCHORS) {
		cx_error(c, n, "more than %u YAML anchors; refusing the document", Y_MAX_ANCHORS);
		return PC_ELIMIT;
	}
	if (pc_grow((void **)&c->anchors, &c->aanchors, c->nanchors + 1, sizeof(*c->anchors)) < 0 ||
	    !(c->anchors[c->nanchors].name = pc_strdup(name))) {
		c->oom = 1;
		return PC_ENOMEM;
	}
	c->anchors[c->nanchors++].node = n;
	return 0;
}

static ynode *y_find_anchor(cx *c, const char *name)
{
	size_t i;

	/* A later anchor of the same name replaces an earlier one, as in YAML. */
	for (i = c->nanchors; i > 0; i--)
		if (!strcmp(c->anchors[i - 1].name, name))
			return c->anchors[i - 1].node;
	return NULL;
}

/* Only the core schema's tags are understood; anything else is refused. */
static int y_tag_ok(cx *c, const yaml_event_t *ev, const char *tag, enum ykind kind, int *plain)
{
	static const char prefix[] = "tag:yaml.org,2002:";
	const char *t;

	if (!tag || !strcmp(tag, "!"))
		return 1;
	t = !strncmp(tag, prefix, sizeof(prefix) - 1) ? tag + sizeof(prefix) - 1 : NULL;
	if (t && kind == Y_SCALAR && !strcmp(t, "str")) {
		*plain = 0;
		return 1;
	}
	if (t && kind == Y_SCALAR && (!strcmp(t, "int") || !strcmp(t, "bool") || !strcmp(t, "null"))) {
		*plain = 1;
		return 1;
	}
	if (t && ((kind == Y_SEQ && !strcmp(t, "seq")) || (kind == Y_MAP && !strcmp(t, "map"))))
		return 1;
	cx_error_at(c, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
		"unsupported YAML tag '%s'; remove it", tag);
	return 0;
}

/* Turn the YAML text into c->root; returns 0 or a negative code (diagnostic added). */
static int y_build(cx *c)
{
	yaml_parser_t ps;
	yaml_event_t ev;
	yopen stack[Y_MAX_DEPTH];
	size_t depth = 0, i;
	int have_ev = 0, ndocs = 0, r = PC_EINVAL, plain;
	ynode *n;

	if (!yaml_parser_initialize(&ps)) {
		c->oom = 1;
		return PC_ENOMEM;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)c->text, c->textlen);
	yaml_parser_set_encoding(&ps, YAML_UTF8_ENCODING);
	for (;;) {
		if (!yaml_parser_parse(&ps, &ev)) {
			y_syntax_error(c, &ps);
			goto done;
		}
		have_ev = 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			r = 0;
			goto done;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				cx_error_at(c, (unsigned)ev.start_mark.line + 1,
					(unsigned)ev.start_mark.column + 1,
					"a second YAML document; a policy file holds exactly one");
				goto done;
			}
			break;
		case YAML_SCALAR_EVENT:
			if (!(n = y_new(c, Y_SCALAR, &ev.start_mark)))
				goto done;
			plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			if (!y_tag_ok(c, &ev, (const char *)ev.data.scalar.tag, Y_SCALAR, &plain))
				goto done;
			n->plain = plain;
			n->len = ev.data.scalar.length;
			if (!(n->str = pc_strndup((const char *)ev.data.scalar.value, n->len))) {
				c->oom = 1;
				goto done;
			}
			if (ev.data.scalar.anchor && y_add_anchor(c, (const char *)ev.data.scalar.anchor, n) < 0)
				goto done;
			if (y_attach(c, stack, depth, n) < 0)
				goto done;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			int is_seq = ev.type == YAML_SEQUENCE_START_EVENT;
			const char *tag = (const char *)(is_seq ? ev.data.sequence_start.tag : ev.data.mapping_start.tag);
			const char *anchor = (const char *)(is_seq ? ev.data.sequence_start.anchor :
				ev.data.mapping_start.anchor);

			if (depth >= Y_MAX_DEPTH) {
				cx_error_at(c, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
					"the YAML is nested deeper than %u levels; refusing the document", Y_MAX_DEPTH);
				goto done;
			}
			if (!(n = y_new(c, is_seq ? Y_SEQ : Y_MAP, &ev.start_mark)))
				goto done;
			if (!y_tag_ok(c, &ev, tag, n->kind, &plain))
				goto done;
			stack[depth].node = n;
			stack[depth].anchor = NULL;
			depth++;
			/* Registered only when complete, so a node cannot contain an alias of itself. */
			if (anchor && !(stack[depth - 1].anchor = pc_strdup(anchor))) {
				c->oom = 1;
				goto done;
			}
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			yopen top;
			int rr = 0;

			if (!depth)
				break;
			top = stack[--depth];

			if (top.node->kind == Y_MAP)
				y_check_map(c, top.node);
			if (top.anchor)
				rr = y_add_anchor(c, top.anchor, top.node);
			free(top.anchor);
			if (rr < 0 || y_attach(c, stack, depth, top.node) < 0)
				goto done;
			break;
		}
		case YAML_ALIAS_EVENT:
			if (++c->naliases > Y_MAX_ALIASES) {
				cx_error_at(c, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
					"more than %u YAML aliases; refusing the document", Y_MAX_ALIASES);
				goto done;
			}
			if (!(n = y_find_anchor(c, (const char *)ev.data.alias.anchor))) {
				cx_error_at(c, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
					"alias '*%s' names no anchor defined before it", ev.data.alias.anchor);
				goto done;
			}
			if (y_attach(c, stack, depth, n) < 0)
				goto done;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_ev = 0;
	}
done:
	if (have_ev)
		yaml_event_delete(&ev);
	for (i = 0; i < depth; i++)
		free(stack[i].anchor);
	yaml_parser_delete(&ps);
	if (c->oom)
		return PC_ENOMEM;
	return r;
}

/* ------------------------------------------------------------------------ */
/* Reading values */

static int y_is_null(const ynode *n)
{
	return n->kind == Y_SCALAR && n->plain &&
		(!n->len || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
		 !strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

static int y_is_bool(const ynode *n, int *value)
{
	static const char *const t[] = { "true", "True", "TRUE" }, *const f[] = { "false", "False", "FALSE" };
	size_t i;

	if (n->kind != Y_SCALAR || !n->plain)
		return 0;
	for (i = 0; i < PC_ARRAY_SIZE(t); i++) {
		if (!strcmp(n->str, t[i])) {
			*value = 1;
			return 1;
		}
		if (!strcmp(n->str, f[i])) {
			*value = 0;
			return 1;
		}
	}
	return 0;
}

static int is_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static const char *y_what(const ynode *n)
{
	int b;

	if (n->kind == Y_MAP)
		return "a mapping";
	if (n->kind == Y_SEQ)
		return "a list";
	if (y_is_null(n))
		return "an empty value";
	if (y_is_bool(n, &b))
		return "a boolean";
	if (n->plain && is_digits(n->str))
		return "an integer";
	return "a string";
}

static const ynode *y_get(const ynode *m, const char *key)
{
	size_t i;

	if (!m || m->kind != Y_MAP)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (m->kids[i]->kind == Y_SCALAR && !strcmp(m->kids[i]->str, key))
			return m->kids[i + 1];
	return NULL;
}

/* 1 when n is a mapping (an empty value counts as an empty mapping). */
static int want_map(cx *c, const ynode *n, const char *path)
{
	if (n->kind == Y_MAP || y_is_null(n))
		return 1;
	cx_error(c, n, "%s: expected a mapping, found %s", path, y_what(n));
	return 0;
}

static int want_seq(cx *c, const ynode *n, const char *path)
{
	if (n->kind == Y_SEQ || y_is_null(n))
		return 1;
	if (n->kind == Y_SCALAR)
		cx_error(c, n, "%s: expected a list, found %s (write [%s])", path, y_what(n), n->str);
	else
		cx_error(c, n, "%s: expected a list, found %s", path, y_what(n));
	return 0;
}

static const char *get_str(cx *c, const ynode *n, const char *path)
{
	if (n->kind != Y_SCALAR || y_is_null(n)) {
		cx_error(c, n, "%s: expected a string, found %s", path, y_what(n));
		return NULL;
	}
	if (strlen(n->str) != n->len) {
		cx_error(c, n, "%s: the string contains a NUL character", path);
		return NULL;
	}
	if (!n->len) {
		cx_error(c, n, "%s: must not be empty", path);
		return NULL;
	}
	return n->str;
}

static int get_bool(cx *c, const ynode *n, const char *path, int *out)
{
	if (y_is_bool(n, out))
		return 1;
	if (n->kind == Y_SCALAR && !y_is_null(n))
		cx_error(c, n, "%s: expected true or false, found '%s'", path, n->str);
	else
		cx_error(c, n, "%s: expected true or false, found %s", path, y_what(n));
	return 0;
}

static int get_uint(cx *c, const ynode *n, const char *path, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *s;

	if (n->kind != Y_SCALAR || !n->plain || !is_digits(n->str)) {
		if (n->kind == Y_SCALAR && !n->plain && is_digits(n->str))
			cx_error(c, n, "%s: expected a whole number, found the string \"%s\"; remove the quotes",
				path, n->str);
		else if (n->kind == Y_SCALAR && !y_is_null(n))
			cx_error(c, n, "%s: expected a whole number, found '%s'", path, n->str);
		else
			cx_error(c, n, "%s: expected a whole number, found %s", path, y_what(n));
		return 0;
	}
	for (s = n->str; *s; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10) {
			v = UINT64_MAX;
			break;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max) {
		cx_error(c, n, "%s: %s is out of range (%llu to %llu)", path, n->str,
			(unsigned long long)min, (unsigned long long)max);
		return 0;
	}
	*out = v;
	return 1;
}

static int get_approvals(cx *c, const ynode *n, const char *path, int *out)
{
	uint64_t v;

	if (!get_uint(c, n, path, 0, APPROVALS_MAX, &v))
		return 0;
	*out = (int)v;
	return 1;
}

/* "123", "5KiB", "5MiB", "5GiB" (1024-based) or "5KB", "5MB", "5GB" (1000-based). */
static int parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "", 1 }, { "KiB", 1024 }, { "MiB", 1024 * 1024 }, { "GiB", 1024 * 1024 * 1024 },
		{ "KB", 1000 }, { "MB", 1000 * 1000 }, { "GB", 1000 * 1000 * 1000 },
	};
	uint64_t v = 0;
	size_t i;

	if (*s < '0' || *s > '9')
		return PC_EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return PC_ELIMIT;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	for (i = 0; i < PC_ARRAY_SIZE(units); i++) {
		if (strcmp(s, units[i].unit))
			continue;
		if (v > UINT64_MAX / units[i].mult)
			return PC_ELIMIT;
		*out = v * units[i].mult;
		return 0;
	}
	return PC_EINVAL;
}

static int get_size(cx *c, const ynode *n, const char *path, uint64_t min, uint64_t *out)
{
	int r;

	if (n->kind != Y_SCALAR || y_is_null(n)) {
		cx_error(c, n, "%s: expected a size such as 5MiB, found %s", path, y_what(n));
		return 0;
	}
	r = parse_size(n->str, out);
	if (r == PC_ELIMIT) {
		cx_error(c, n, "%s: '%s' is too large", path, n->str);
		return 0;
	}
	if (r < 0) {
		cx_error(c, n, "%s: '%s' is not a size; write a number of bytes, or a number followed by "
			"KiB, MiB, GiB (1024-based) or KB, MB, GB (1000-based)", path, n->str);
		return 0;
	}
	if (*out < min) {
		cx_error(c, n, "%s: must be at least %llu", path, (unsigned long long)min);
		return 0;
	}
	return 1;
}

static int get_enum(cx *c, const ynode *n, const char *path, const char *const *names, size_t count)
{
	pc_buf b = PC_BUF_INIT;
	size_t i;

	if (n->kind == Y_SCALAR && !y_is_null(n))
		for (i = 0; i < count; i++)
			if (!strcmp(n->str, names[i]))
				return (int)i;
	for (i = 0; i < count; i++)
		pc_buf_printf(&b, "%s%s", i ? (i + 1 == count ? " or " : ", ") : "", names[i]);
	if (n->kind == Y_SCALAR && !y_is_null(n))
		cx_error(c, n, "%s: '%s' is not valid; expected %s", path, n->str, b.ptr);
	else
		cx_error(c, n, "%s: expected %s, found %s", path, b.ptr, y_what(n));
	pc_buf_release(&b);
	return -1;
}

/* ------------------------------------------------------------------------ */
/* The schema */

enum {
	S_TOP, S_IDENTITY, S_USER, S_BRANCH, S_TAGS, S_APPROVALS, S_RULES, S_BREAK_GLASS,
	S_AUDIT, S_ENVIRONMENT, S_LIMITS
};

static const struct section {
	const char *where;
	const char *keys[24];
} sections[] = {
	[S_TOP] = { "the top level", { "version", "strategy", "identity", "users", "allowed_signers",
		"groups", "admins", "branches", "work_branches", "tags", "other_refs", "approvals",
		"rules", "break_glass", "enforcement", "audit", "trunk", "environments",
		"shared_paths", "one_environment_per_push", "limits", NULL } },
	[S_IDENTITY] = { "identity", { "env", NULL } },
	[S_USER] = { "users.NAME", { "email", "keys", NULL } },
	[S_BRANCH] = { "branches.NAME", { "environment", "from", "require", "approvals", "approvers", NULL } },
	[S_TAGS] = { "tags", { "pattern", "create", NULL } },
	[S_APPROVALS] = { "approvals", { "codeowners", "required", "self_approval",
		"pusher_is_approval", "unowned", NULL } },
	[S_RULES] = { "rules", { "commit_message", "work_branch_name", "deny_paths", "max_blob_size",
		"signed_commits", NULL } },
	[S_BREAK_GLASS] = { "break_glass", { "groups", NULL } },
	[S_AUDIT] = { "audit", { "log", "key", "origin", NULL } },
	[S_ENVIRONMENT] = { "environments.NAME", { "path", "after", "approvals", "approvers", NULL } },
	[S_LIMITS] = { "limits", { "max_commits", "max_paths", "max_codeowners_size", "max_refs",
		"max_approvals_per_commit", NULL } },
};

static int section_has(int sec, const char *key)
{
	const char *const *k;

	for (k = sections[sec].keys; *k; k++)
		if (!strcmp(*k, key))
			return 1;
	return 0;
}

/* Levenshtein distance, capped: only small distances matter for a hint. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33], i, j, diag, up;

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

/* The key of the section a misspelt key most likely meant, or NULL. */
static const char *close_key(int sec, const char *key)
{
	const char *const *k, *best = NULL;
	size_t d, best_d = 3;

	if (strlen(key) < 4)
		return NULL;
	for (k = sections[sec].keys; *k; k++)
		if ((d = edit_distance(key, *k)) < best_d) {
			best_d = d;
			best = *k;
		}
	return best;
}

/* Report unknown keys, saying where a misplaced key belongs. */
static void check_keys(cx *c, const ynode *m, int sec, const char *path)
{
	pc_buf in = PC_BUF_INIT, hint = PC_BUF_INIT;
	const char *const *k, *close;
	size_t i, s;

	if (m->kind != Y_MAP)
		return;
	for (i = 0; i + 1 < m->n; i += 2) {
		const ynode *key = m->kids[i];

		if (key->kind != Y_SCALAR || section_has(sec, key->str) || (key->plain && !strcmp(key->str, "<<")))
			continue;
		pc_buf_clear(&in);
		pc_buf_clear(&hint);
		if (sec == S_TOP)
			pc_buf_puts(&in, "at the top level");
		else
			pc_buf_printf(&in, "in %s", path);
		for (s = 0; s < PC_ARRAY_SIZE(sections); s++)
			if ((int)s != sec && section_has((int)s, key->str))
				pc_buf_printf(&hint, "%s%s", hint.len ? ", " : "", sections[s].where);
		if (hint.len) {
			cx_error(c, key, "unknown key '%s' %s; '%s' may appear in: %s",
				key->str, in.ptr, key->str, hint.ptr);
			continue;
		}
		if ((close = close_key(sec, key->str))) {
			cx_error(c, key, "unknown key '%s' %s; did you mean '%s'?", key->str, in.ptr, close);
			continue;
		}
		for (k = sections[sec].keys; *k; k++)
			pc_buf_printf(&hint, "%s%s", hint.len ? ", " : "", *k);
		cx_error(c, key, "unknown key '%s' %s; expected one of: %s", key->str, in.ptr, hint.ptr);
	}
	if (pc_buf_error(&in) == PC_ENOMEM || pc_buf_error(&hint) == PC_ENOMEM)
		c->oom = 1;
	pc_buf_release(&in);
	pc_buf_release(&hint);
}

/* ------------------------------------------------------------------------ */
/* Names, patterns, paths, keys */

/* User and group names: what GitLab, Gitea and REMOTE_USER produce. */
static const char *bad_name(const char *s, int is_group)
{
	const char *p;

	if (*s == '@')
		return "must not start with '@'; write the name without it";
	if (!isalnum((unsigned char)*s) && *s != '_')
		return "must start with a letter, digit or '_'";
	for (p = s; *p; p++) {
		if (isalnum((unsigned char)*p) || strchr("._-+@", *p))
			continue;
		if (is_group && *p == '/' && p[1] && p[1] != '/')
			continue;
		return is_group ? "may contain only letters, digits, '.', '_', '-', '+', '@' and '/' between parts" :
			"may contain only letters, digits, '.', '_', '-', '+' and '@'";
	}
	return NULL;
}

static int email_valid(const char *s)
{
	const char *at = strchr(s, '@'), *p;

	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("<>,;:\"()[]\\", *p))
			return 0;
	if (at[1] == '.' || s[strlen(s) - 1] == '.' || strstr(at, ".."))
		return 0;
	return 1;
}

/* Branch names and globs, written without refs/heads/. */
static const char *bad_branch_pattern(const char *s)
{
	const char *why, *p;

	if (!strncmp(s, "refs/", 5))
		return "a full ref name; write the branch name without refs/heads/";
	if (!pc_glob_valid(s, &why))
		return why;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("~^:", *p))
			return "white space, a control character, '~', '^' or ':', which git does not allow";
	if (*s == '/' || *s == '-' || s[strlen(s) - 1] == '/' || strstr(s, "..") || strstr(s, "//"))
		return "a leading '/' or '-', a trailing '/', '..' or '//', which git does not allow";
	return NULL;
}

/* Paths inside the repository: relative, no . or .. components. */
static const char *bad_repo_path(const char *s)
{
	const char *p = s, *end;
	size_t len;

	if (*s == '/')
		return "must be relative to the repository root (no leading '/')";
	for (; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return "contains a control character";
	for (p = s; *p; p = *end ? end + 1 : end) {
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return "must not contain '.' or '..' components";
		if (!len && *end)
			return "must not contain '//'";
	}
	return NULL;
}

static const char *const key_types[] = {
	"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"
};

/*
 * An authorized-key line "TYPE BASE64 [comment]": TYPE supported, BASE64
 * decodes, and the blob starts with the SSH string TYPE.  The base64 part is
 * returned through b64/b64len for duplicate detection.
 */
static int check_key_line(const char *line, char *why, size_t whysz, const char **b64, size_t *b64len)
{
	const char *p = line, *t, *b;
	unsigned char *blob = NULL;
	size_t tlen, blen, bloblen, i;
	uint32_t slen;
	int r = PC_EINVAL, known = 0;

	for (t = p; *p && !isspace((unsigned char)*p); p++)
		;
	tlen = (size_t)(p - t);
	if (!tlen) {
		snprintf(why, whysz, "expected \"TYPE BASE64 [comment]\", found white space first");
		return PC_EINVAL;
	}
	for (i = 0; i < PC_ARRAY_SIZE(key_types); i++)
		if (strlen(key_types[i]) == tlen && !memcmp(key_types[i], t, tlen))
			known = 1;
	if (!known) {
		snprintf(why, whysz, "key type '%.*s' is not supported; use ssh-ed25519, "
			"ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521 or ssh-rsa",
			(int)(tlen > 64 ? 64 : tlen), t);
		return PC_EINVAL;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	for (b = p; *p && !isspace((unsigned char)*p); p++)
		;
	blen = (size_t)(p - b);
	if (!blen) {
		snprintf(why, whysz, "expected \"TYPE BASE64 [comment]\", the base64 key is missing");
		return PC_EINVAL;
	}
	if (*p && *p != ' ' && *p != '\t') {
		snprintf(why, whysz, "the key line contains a line break or control character");
		return PC_EINVAL;
	}
	r = pc_base64_decode(&blob, &bloblen, b, blen);
	if (r == PC_ENOMEM)
		return r;
	if (r < 0) {
		snprintf(why, whysz, "the key is not valid base64");
		return PC_EINVAL;
	}
	r = PC_EINVAL;
	if (bloblen < 4) {
		snprintf(why, whysz, "the key blob is truncated");
		goto done;
	}
	slen = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	if (slen > bloblen - 4) {
		snprintf(why, whysz, "the key blob is truncated");
		goto done;
	}
	if (slen != tlen || memcmp(blob + 4, t, tlen)) {
		for (i = 0; i < slen && i < 32 && isgraph(blob[4 + i]); i++)
			;
		if (i == slen && slen)
			snprintf(why, whysz, "the key blob is an '%.*s' key, not '%.*s'",
				(int)slen, (const char *)blob + 4, (int)tlen, t);
		else
			snprintf(why, whysz, "the key blob does not start with its type '%.*s'", (int)tlen, t);
		goto done;
	}
	if (bloblen == 4 + slen) {
		snprintf(why, whysz, "the key blob holds no key after its type");
		goto done;
	}
	*b64 = b;
	*b64len = blen;
	r = 0;
done:
	free(blob);
	return r;
}

/* Compile a rule's regex the way the rules module will. */
static void check_regex(cx *c, const ynode *n, const char *path, const char *re)
{
	pcre2_code *code;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int errcode;

	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PC_POLICY_PCRE2_OPTIONS,
		&errcode, &off, NULL);
	if (code) {
		pcre2_code_free(code);
		return;
	}
	if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", errcode);
	cx_error(c, n, "%s: the regex does not compile: %s at offset %zu", path, (const char *)msg, (size_t)off);
}

/* ------------------------------------------------------------------------ */
/* Sections */

static void read_strategy(cx *c, const ynode *n)
{
	static const char *const names[] = { "pattern1", "pattern2", "pattern3" };
	int v = get_enum(c, n, "strategy", names, PC_ARRAY_SIZE(names));

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

	if (!want_map(c, n, "identity"))
		return;
	check_keys(c, n, S_IDENTITY, "identity");
	if (!(env = y_get(n, "env"))) {
		cx_error(c, n, "identity: missing required key 'env'; name the one variable your server "
			"sets to the pusher's name, e.g. 'env: [REMOTE_USER]': " IDENTITY_KNOWN);
		return;
	}
	if (!want_seq(c, env, "identity.env"))
		return;
	if (!env->n) {
		cx_error(c, env, "identity.env: the list is empty; name the one variable your server "
			"sets to the pusher's name: " IDENTITY_KNOWN);
		return;
	}
	if (env->n > 1)
		cx_error(c, env->kids[1], "identity.env: name exactly one variable, the one your server "
			"sets; with several, the first one set names the pusher, so a client able to set "
			"one the server leaves unset could push as anyone");
	if (!(s = get_str(c, env->kids[0], "identity.env")))
		return;
	for (q = s; *q && (isalnum((unsigned char)*q) || *q == '_'); q++)
		;
	if (*q || isdigit((unsigned char)*s))
		cx_error(c, env->kids[0], "identity.env: '%s' is not an environment variable name", s);
	else if ((why = client_env_why(s)))
		cx_error(c, env->kids[0], "identity.env: '%s' can come from the client: %s; name the "
			"variable your server sets: " IDENTITY_KNOWN, s, why);
	else
		cx_add(c, &c->p->identity_env, s);
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
		cx_error(c, c->emails[i].at, "users.%s.email: '%s' is already the email of user '%s'; "
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
		cx_error(c, c->keys[i].at, "users.%s.keys: this key is already listed for user '%s'; "
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

	if (!want_seq(c, keys, path))
		return;
	for (i = 0; i < keys->n; i++) {
		const ynode *item = keys->kids[i];
		const char *s = get_str(c, item, path);

		if (!s)
			continue;
		r = check_key_line(s, why, sizeof(why), &b64, &blen);
		if (r == PC_ENOMEM) {
			c->oom = 1;
			return;
		}
		if (r < 0) {
			cx_error(c, item, "%s: %s", path, why);
			continue;
		}
		add_pending(c, &c->keys, &c->nkeys, &c->akeys, b64, blen, item);
		cx_add(c, &u->keys, s);
	}
}

static void read_users(cx *c, const ynode *n)
{
	pc_policy *p = c->p;
	char path[512];
	size_t i;

	if (!want_map(c, n, "users"))
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const ynode *key = n->kids[i], *val = n->kids[i + 1], *v;
		const char *why, *email;
		pc_user *u;

		if (key->kind != Y_SCALAR || key->dup)
			continue;
		snprintf(path, sizeof(path), "users.%s", key->str);
		if ((why = bad_name(key->str, 0))) {
			cx_error(c, key, "users: user name '%s' %s", key->str, why);
			continue;
		}
		if (pc_grow((void **)&p->users, &c->ausers, p->nusers + 1, sizeof(*p->users)) < 0) {
			c->oom = 1;
			return;
		}
		u = &p->users[p->nusers];
		memset(u, 0, sizeof(*u));
		/* Written before the user is counted, so a failed copy leaves nothing half-made. */
		if (!(u->name = cx_strdup(c, key->str)))
			return;
		u->line = key->line;
		if (!want_map(c, val, path)) {
			p->nusers++;
			continue;
		}
		check_keys(c, val, S_USER, path);
		if ((v = y_get(val, "email"))) {
			char epath[600];

			snprintf(epath, sizeof(epath), "%s.email", path);
			if ((email = get_str(c, v, epath))) {
				if (!email_valid(email)) {
					cx_error(c, v, "%s: '%s' is not an email address (expected local@domain)", epath, email);
				} else {
					add_pending(c, &c->emails, &c->nemails, &c->aemails, email, strlen(email), v);
					u->email = cx_strdup(c, email);
				}
			}
		}
		if ((v = y_get(val, "keys"))) {
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
	qsort(ix->users, ix->nusers, sizeof(*ix->users), refcmp);
	qsort(ix->emails, ix->nemails, sizeof(*ix->emails), refcasecmp);
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
	qsort(ix->groups, ix->ngroups, sizeof(*ix->groups), refcmp);
	ix->have_groups = 1;
}

static void read_groups(cx *c, const ynode *n)
{
	pc_policy *p = c->p;
	char path[512];
	size_t i, j;

	if (!want_map(c, n, "groups"))
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
		if ((why = bad_name(key->str, 1))) {
			cx_error(c, key, "groups: group name '%s' %s", key->str, why);
			continue;
		}
		if (pc_policy_user(p, key->str)) {
			cx_error(c, key, "groups: '%s' is already a user name; a group needs a name of its own",
				key->str);
			continue;
		}
		if (pc_grow((void **)&p->groups, &c->agroups, p->ngroups + 1, sizeof(*p->groups)) < 0) {
			c->oom = 1;
			return;
		}
		g = &p->groups[p->ngroups];
		memset(g, 0, sizeof(*g));
		if (!(g->name = cx_strdup(c, key->str)))
			return;
		g->line = key->line;
		p->ngroups++;
		if (!want_seq(c, val, path))
			continue;
		for (j = 0; j < val->n; j++) {
			const char *s = get_str(c, val->kids[j], path);
			const char *name;

			if (!s)
				continue;
			name = *s == '@' ? s + 1 : s;
			if (pc_policy_user(p, name))
				cx_add(c, &g->members, name);
			else if (y_get(n, name)) {
				cx_error(c, val->kids[j], "%s: '%s' is a group; groups list users and do not nest",
					path, s);
			} else {
				cx_error(c, val->kids[j], "%s: '%s' is not a user defined under users", path, s);
			}
		}
		cx_dedupe(c, &g->members);
	}
}

/* A list of users or groups ('@' optional), each checked against the policy. */
static void read_principals(cx *c, const ynode *n, const char *path, pc_strlist *out)
{
	size_t i;

	if (!want_seq(c, n, path))
		return;
	pc_strlist_clear(out);
	for (i = 0; i < n->n; i++) {
		const char *s = get_str(c, n->kids[i], path), *name;

		if (!s)
			continue;
		name = *s == '@' ? s + 1 : s;
		if (!pc_policy_user(c->p, name) && !pc_policy_group(c->p, name))
			cx_error(c, n->kids[i], "%s: '%s' is not a user or group defined in the policy", path, s);
		else
			cx_add(c, out, name);
	}
	cx_dedupe(c, out);
}

static void read_globs(cx *c, const ynode *n, const char *path, pc_strlist *out)
{
	size_t i;

	if (!want_seq(c, n, path))
		return;
	pc_strlist_clear(out);
	for (i = 0; i < n->n; i++) {
		const char *s = get_str(c, n->kids[i], path), *why;

		if (!s)
			continue;
		if ((why = bad_branch_pattern(s)))
			cx_error(c, n->kids[i], "%s: '%s' is not a valid branch pattern: %s", path, s, why);
		else
			cx_add(c, out, s);
	}
}

/* `from: any` (a string, not a list) is how a file lifts the limit on sources. */
static int y_is_any(const ynode *n)
{
	return n && n->kind == Y_SCALAR && !y_is_null(n) && !strcmp(n->str, "any");
}

/*
 * A branch's `from`: a list of branches, or `any`.  An empty list is refused,
 * so that no way of writing "nothing" means "anywhere".
 */
static void read_from(cx *c, const ynode *n, const char *path, pc_strlist *out)
{
	if (y_is_any(n))
		return;
	if (n->kind == Y_SCALAR && !y_is_null(n)) {
		cx_error(c, n, "%s: expected a list of branches or 'any', found %s (write [%s])",
			path, y_what(n), n->str);
		return;
	}
	if (y_is_null(n) || (n->kind == Y_SEQ && !n->n)) {
		cx_error(c, n, "%s: the list is empty; list the branches it takes changes from, "
			"or write 'from: any' to take them from anywhere", path);
		return;
	}
	read_globs(c, n, path, out);
}

static void read_paths(cx *c, const ynode *n, const char *path, pc_strlist *out)
{
	size_t i;

	if (!want_seq(c, n, path))
		return;
	pc_strlist_clear(out);
	for (i = 0; i < n->n; i++) {
		const char *s = get_str(c, n->kids[i], path), *why;

		if (!s)
			continue;
		if ((why = bad_repo_path(s)))
			cx_error(c, n->kids[i], "%s: '%s' %s", path, s, why);
		else
			cx_add(c, out, s);
	}
}

static int names_protected_branch(const pc_policy *p, const char *s)
{
	size_t i;

	for (i = 0; i < p->nbranches; i++)
		if (!strcmp(p->branches[i].name, s))
			return 1;
	return 0;
}

static int grow_branches(cx *c)
{
	pc_policy *p = c->p;

	if (pc_grow((void **)&p->branches, &c->abranches, p->nbranches + 1, sizeof(*p->branches)) < 0 ||
	    pc_grow((void **)&c->bsrc, &c->absrc, p->nbranches + 1, sizeof(*c->bsrc)) < 0) {
		c->oom = 1;
		return PC_ENOMEM;
	}
	memset(&p->branches[p->nbranches], 0, sizeof(*p->branches));
	p->branches[p->nbranches].approvals = -1;
	c->bsrc[p->nbranches] = NULL;
	return 0;
}

static void read_branches(cx *c, const ynode *n)
{
	pc_policy *p = c->p;
	char path[512], fpath[600];
	size_t i;

	if (!want_map(c, n, "branches"))
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const ynode *key = n->kids[i], *val = n->kids[i + 1], *v;
		const char *why, *s;
		pc_branch *b;

		if (key->kind != Y_SCALAR)
			continue;
		snprintf(path, sizeof(path), "branches.%s", key->str);
		if (key->dup)
			continue;
		if ((why = bad_branch_pattern(key->str))) {
			cx_error(c, key, "branches: '%s' is not a valid branch pattern: %s", key->str, why);
			continue;
		}
		if (grow_branches(c) < 0)
			return;
		b = &p->branches[p->nbranches];
		if (!(b->name = cx_strdup(c, key->str)))
			return;
		b->line = key->line;
		c->bsrc[p->nbranches] = val;
		p->nbranches++;
		if (!want_map(c, val, path))
			continue;
		check_keys(c, val, S_BRANCH, path);
		if ((v = y_get(val, "environment"))) {
			snprintf(fpath, sizeof(fpath), "%s.environment", path);
			if ((s = get_str(c, v, fpath)))
				cx_set(c, &b->environment, s);
		}
		if ((v = y_get(val, "from"))) {
			snprintf(fpath, sizeof(fpath), "%s.from", path);
			read_from(c, v, fpath, &b->from);
		}
		if ((v = y_get(val, "require"))) {
			snprintf(fpath, sizeof(fpath), "%s.require", path);
			read_globs(c, v, fpath, &b->require);
		}
		if ((v = y_get(val, "approvals"))) {
			snprintf(fpath, sizeof(fpath), "%s.approvals", path);
			get_approvals(c, v, fpath, &b->approvals);
		}
		if ((v = y_get(val, "approvers"))) {
			snprintf(fpath, sizeof(fpath), "%s.approvers", path);
			read_principals(c, v, fpath, &b->approvers);
		}
	}
}

static int grow_environments(cx *c)
{
	pc_policy *p = c->p;

	if (pc_grow((void **)&p->environments, &c->aenvs, p->nenvironments + 1, sizeof(*p->environments)) < 0 ||
	    pc_grow((void **)&c->esrc, &c->aesrc, p->nenvironments + 1, sizeof(*c->esrc)) < 0) {
		c->oom = 1;
		return PC_ENOMEM;
	}
	memset(&p->environments[p->nenvironments], 0, sizeof(*p->environments));
	p->environments[p->nenvironments].approvals = -1;
	c->esrc[p->nenvironments] = NULL;
	return 0;
}

/* "overlays/dev" and "overlays/dev/" name the same directory. */
static char *dir_path(cx *c, const char *s)
{
	size_t len = strlen(s);
	char *r = len && s[len - 1] == '/' ? pc_strdup(s) : pc_asprintf("%s/", s);

	if (!r)
		c->oom = 1;
	return r;
}

static void read_environments(cx *c, const ynode *n)
{
	pc_policy *p = c->p;
	char path[512], fpath[600];
	size_t i;

	if (!want_map(c, n, "environments"))
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const ynode *key = n->kids[i], *val = n->kids[i + 1], *v;
		const char *why, *s;
		pc_environment *e;

		if (key->kind != Y_SCALAR)
			continue;
		snprintf(path, sizeof(path), "environments.%s", key->str);
		if (key->dup)
			continue;
		if ((why = bad_name(key->str, 0))) {
			cx_error(c, key, "environments: environment name '%s' %s", key->str, why);
			continue;
		}
		if (grow_environments(c) < 0)
			return;
		e = &p->environments[p->nenvironments];
		if (!(e->name = cx_strdup(c, key->str)))
			return;
		e->line = key->line;
		c->esrc[p->nenvironments] = val;
		p->nenvironments++;
		if (!want_map(c, val, path))
			continue;
		check_keys(c, val, S_ENVIRONMENT, path);
		if ((v = y_get(val, "path"))) {
			snprintf(fpath, sizeof(fpath), "%s.path", path);
			if ((s = get_str(c, v, fpath))) {
				if ((why = bad_repo_path(s)))
					cx_error(c, v, "%s: '%s' %s", fpath, s, why);
				else
					e->path = dir_path(c, s);
			}
		}
		if ((v = y_get(val, "after"))) {
			snprintf(fpath, sizeof(fpath), "%s.after", path);
			if ((s = get_str(c, v, fpath)))
				cx_set(c, &e->after, s);
		}
		if ((v = y_get(val, "approvals"))) {
			snprintf(fpath, sizeof(fpath), "%s.approvals", path);
			get_approvals(c, v, fpath, &e->approvals);
		}
		if ((v = y_get(val, "approvers"))) {
			snprintf(fpath, sizeof(fpath), "%s.approvers", path);
			read_principals(c, v, fpath, &e->approvers);
		}
	}
}

static void read_tags(cx *c, const ynode *n)
{
	const ynode *v;
	const char *s, *why;

	if (!want_map(c, n, "tags"))
		return;
	check_keys(c, n, S_TAGS, "tags");
	cx_set(c, &c->p->tag_pattern, "*");
	if ((v = y_get(n, "pattern")) && (s = get_str(c, v, "tags.pattern"))) {
		if (!strncmp(s, "refs/", 5))
			cx_error(c, v, "tags.pattern: '%s' is a full ref name; write the tag pattern without refs/tags/", s);
		else if (!pc_glob_valid(s, &why))
			cx_error(c, v, "tags.pattern: '%s' is not a valid pattern: %s", s, why);
		else
			cx_set(c, &c->p->tag_pattern, s);
	}
	if ((v = y_get(n, "create")))
		read_principals(c, v, "tags.create", &c->p->tag_create);
}

static void read_approvals(cx *c, const ynode *n)
{
	static const char *const unowned[] = { "allow", "deny" };
	pc_policy *p = c->p;
	const ynode *v;
	int e;

	if (!want_map(c, n, "approvals"))
		return;
	check_keys(c, n, S_APPROVALS, "approvals");
	if ((v = y_get(n, "codeowners"))) {
		read_paths(c, v, "approvals.codeowners", &p->codeowners);
		if (v->kind == Y_SEQ && !v->n)
			cx_error(c, v, "approvals.codeowners: the list is empty; name at least one CODEOWNERS file");
	}
	if ((v = y_get(n, "required")))
		get_approvals(c, v, "approvals.required", &p->approvals_required);
	if ((v = y_get(n, "self_approval")))
		get_bool(c, v, "approvals.self_approval", &p->self_approval);
	if ((v = y_get(n, "pusher_is_approval")))
		get_bool(c, v, "approvals.pusher_is_approval", &p->pusher_is_approval);
	if ((v = y_get(n, "unowned")) && (e = get_enum(c, v, "approvals.unowned", unowned, 2)) >= 0)
		p->unowned_deny = e;
}

static void read_rules(cx *c, const ynode *n)
{
	pc_rules *r = &c->p->rules;
	const ynode *v;
	const char *s;
	size_t i;

	if (!want_map(c, n, "rules"))
		return;
	check_keys(c, n, S_RULES, "rules");
	if ((v = y_get(n, "commit_message")) && (s = get_str(c, v, "rules.commit_message"))) {
		check_regex(c, v, "rules.commit_message", s);
		cx_set(c, &r->commit_message, s);
	}
	if ((v = y_get(n, "work_branch_name")) && (s = get_str(c, v, "rules.work_branch_name"))) {
		check_regex(c, v, "rules.work_branch_name", s);
		cx_set(c, &r->work_branch_name, s);
	}
	if ((v = y_get(n, "deny_paths")) && want_seq(c, v, "rules.deny_paths")) {
		for (i = 0; i < v->n; i++) {
			if (!(s = get_str(c, v->kids[i], "rules.deny_paths")))
				continue;
			check_regex(c, v->kids[i], "rules.deny_paths", s);
			cx_add(c, &r->deny_paths, s);
		}
	}
	if ((v = y_get(n, "max_blob_size")))
		get_size(c, v, "rules.max_blob_size", 0, &r->max_blob_size);
	if ((v = y_get(n, "signed_commits")))
		get_bool(c, v, "rules.signed_commits", &r->signed_commits);
}

static void read_audit(cx *c, const ynode *n)
{
	static const char *const fields[] = { "log", "key", "origin" };
	char **dst[3];
	const ynode *v;
	const char *s, *q;
	size_t i;

	if (!want_map(c, n, "audit"))
		return;
	check_keys(c, n, S_AUDIT, "audit");
	dst[0] = &c->p->audit_log;
	dst[1] = &c->p->audit_key;
	dst[2] = &c->p->audit_origin;
	for (i = 0; i < PC_ARRAY_SIZE(fields); i++) {
		char path[32];

		snprintf(path, sizeof(path), "audit.%s", fields[i]);
		if (!(v = y_get(n, fields[i]))) {
			cx_error(c, n, "audit: missing required key '%s'; the hooks accept no push "
				"without an audit record, so audit.log, audit.key and audit.origin must all be set",
				fields[i]);
			continue;
		}
		if (!(s = get_str(c, v, path)))
			continue;
		if (i == 2) {
			/* The origin names the signed-note key, whose name has no spaces or '+'. */
			for (q = s; *q && (unsigned char)*q > ' ' && *q != 0x7f && *q != '+'; q++)
				;
			if (*q) {
				cx_error(c, v, "audit.origin: '%s' must not contain white space or '+' "
					"(it names the checkpoint signing key), e.g. git.example.com/policy-check", s);
				continue;
			}
		}
		cx_set(c, dst[i], s);
	}
}

static void read_limits(cx *c, const ynode *n)
{
	pc_limits *l = &c->p->limits;
	const ynode *v;

	if (!want_map(c, n, "limits"))
		return;
	check_keys(c, n, S_LIMITS, "limits");
	if ((v = y_get(n, "max_commits")))
		get_uint(c, v, "limits.max_commits", 1, UINT32_MAX, &l->max_commits);
	if ((v = y_get(n, "max_paths")))
		get_uint(c, v, "limits.max_paths", 1, UINT32_MAX, &l->max_paths);
	if ((v = y_get(n, "max_codeowners_size")))
		get_size(c, v, "limits.max_codeowners_size", 1, &l->max_codeowners_size);
	if ((v = y_get(n, "max_refs")))
		get_uint(c, v, "limits.max_refs", 1, UINT32_MAX, &l->max_refs);
	if ((v = y_get(n, "max_approvals_per_commit")))
		get_uint(c, v, "limits.max_approvals_per_commit", 1, 1000, &l->max_approvals_per_commit);
}

/* ------------------------------------------------------------------------ */
/* Presets (DESIGN.md section 5) */

struct preset_branch {
	const char *name, *environment;
	const char *from[3], *require[2];
};

static const struct preset_branch preset1[] = {
	{ "develop", "dev", { "feature/*", "hotfix/*", NULL }, { NULL, NULL } },
	{ "staging", "stg", { "feature/*", "hotfix/*", NULL }, { "develop", NULL } },
	{ "main", "prd", { "feature/*", "hotfix/*", NULL }, { "staging", NULL } },
};

static const struct preset_branch preset2[] = {
	{ "develop", "dev", { "feature/*", "hotfix/*", NULL }, { NULL, NULL } },
	{ "staging", "stg", { "develop", NULL, NULL }, { NULL, NULL } },
	{ "main", "prd", { "staging", NULL, NULL }, { NULL, NULL } },
};

static const struct { const char *name, *path, *after; } preset3_envs[] = {
	{ "dev", "overlays/dev/", NULL },
	{ "stg", "overlays/stg/", "dev" },
	{ "prd", "overlays/prd/", "stg" },
};

static const char *const default_work_branches[] = { "feature/*", "hotfix/*" };

/*
 * Fill in what a branch's entry in the file does not say from the preset's
 * branch of the same name (`pre` NULL: the Pattern3 trunk), field by field,
 * so that adding approvals to a preset branch keeps its `from` and `require`.
 * `src` is the file's entry, NULL for a branch only the preset defines.
 */
static void fill_preset_branch(cx *c, pc_branch *b, const ynode *src, const struct preset_branch *pre)
{
	size_t k;

	if (pre && pre->environment && !b->environment && !y_get(src, "environment"))
		b->environment = cx_strdup(c, pre->environment);
	if (!y_get(src, "from")) {
		if (pre)
			for (k = 0; k < PC_ARRAY_SIZE(pre->from) && pre->from[k]; k++)
				cx_add(c, &b->from, pre->from[k]);
		else
			for (k = 0; k < PC_ARRAY_SIZE(default_work_branches); k++)
				cx_add(c, &b->from, default_work_branches[k]);
	}
	if (pre && !y_get(src, "require"))
		for (k = 0; k < PC_ARRAY_SIZE(pre->require) && pre->require[k]; k++)
			cx_add(c, &b->require, pre->require[k]);
}

/*
 * Put the preset's branches first, each merged with the file's entry of the
 * same name when there is one, then the file's other branches in order.
 */
static void merge_preset_branches(cx *c, const struct preset_branch *pre, size_t npre, const char *trunk)
{
	pc_policy *p = c->p;
	pc_branch *file = p->branches, *out;
	const ynode **fsrc = c->bsrc, **osrc;
	size_t nfile = p->nbranches, n = 0, i, j;
	unsigned char *used;

	out = pc_calloc(npre + nfile, sizeof(*out));
	osrc = pc_calloc(npre + nfile, sizeof(*osrc));
	used = pc_calloc(nfile, 1);
	if (!out || !osrc || !used) {
		free(out);
		free(osrc);
		free(used);
		c->oom = 1;
		return;
	}
	for (i = 0; i < npre; i++) {
		const char *name = pre ? pre[i].name : trunk;

		for (j = 0; j < nfile; j++)
			if (!used[j] && !strcmp(file[j].name, name))
				break;
		if (j < nfile) {
			out[n] = file[j];
			osrc[n] = fsrc[j];
			used[j] = 1;
		} else {
			out[n].name = cx_strdup(c, name);
			out[n].approvals = -1;
			out[n].line = c->strategy_node ? c->strategy_node->line : 0;
			osrc[n] = NULL;
		}
		fill_preset_branch(c, &out[n], osrc[n], pre ? &pre[i] : NULL);
		n++;
	}
	for (j = 0; j < nfile; j++) {
		if (used[j])
			continue;
		out[n] = file[j];
		osrc[n++] = fsrc[j];
	}
	free(file);
	free(fsrc);
	free(used);
	p->branches = out;
	p->nbranches = n;
	c->bsrc = osrc;
	c->absrc = c->abranches = npre + nfile;
}

/* As fill_preset_branch, for the Pattern3 environment preset3_envs[i]. */
static void fill_preset_environment(cx *c, pc_environment *e, const ynode *src, size_t i)
{
	if (!e->path && !y_get(src, "path"))
		e->path = cx_strdup(c, preset3_envs[i].path);
	if (preset3_envs[i].after && !e->after && !y_get(src, "after"))
		e->after = cx_strdup(c, preset3_envs[i].after);
}

static void merge_preset_environments(cx *c)
{
	pc_policy *p = c->p;
	pc_environment *file = p->environments, *out;
	const ynode **fsrc = c->esrc, **osrc;
	size_t nfile = p->nenvironments, npre = PC_ARRAY_SIZE(preset3_envs), n = 0, i, j;
	unsigned char *used;

	out = pc_calloc(npre + nfile, sizeof(*out));
	osrc = pc_calloc(npre + nfile, sizeof(*osrc));
	used = pc_calloc(nfile, 1);
	if (!out || !osrc || !used) {
		free(out);
		free(osrc);
		free(used);
		c->oom = 1;
		return;
	}
	for (i = 0; i < npre; i++) {
		for (j = 0; j < nfile; j++)
			if (!used[j] && !strcmp(file[j].name, preset3_envs[i].name))
				break;
		if (j < nfile) {
			out[n] = file[j];
			osrc[n] = fsrc[j];
			used[j] = 1;
		} else {
			out[n].name = cx_strdup(c, preset3_envs[i].name);
			out[n].approvals = -1;
			out[n].line = c->strategy_node ? c->strategy_node->line : 0;
			osrc[n] = NULL;
		}
		fill_preset_environment(c, &out[n], osrc[n], i);
		n++;
	}
	for (j = 0; j < nfile; j++) {
		if (used[j])
			continue;
		out[n] = file[j];
		osrc[n++] = fsrc[j];
	}
	free(file);
	free(fsrc);
	free(used);
	p->environments = out;
	p->nenvironments = n;
	c->esrc = osrc;
	c->aesrc = c->aenvs = npre + nfile;
}

static void apply_presets(cx *c)
{
	pc_policy *p = c->p;
	size_t i;

	if (p->strategy != PC_STRATEGY_NONE && !c->have_work_branches)
		for (i = 0; i < PC_ARRAY_SIZE(default_work_branches); i++)
			cx_add(c, &p->work_branches, default_work_branches[i]);
	switch (p->strategy) {
	case PC_STRATEGY_PATTERN1:
		merge_preset_branches(c, preset1, PC_ARRAY_SIZE(preset1), NULL);
		break;
	case PC_STRATEGY_PATTERN2:
		merge_preset_branches(c, preset2, PC_ARRAY_SIZE(preset2), NULL);
		break;
	case PC_STRATEGY_PATTERN3:
		merge_preset_branches(c, NULL, 1, p->trunk);
		merge_preset_environments(c);
		if (!c->have_shared_paths)
			cx_add(c, &p->shared_paths, "base/");
		if (!c->have_one_env)
			p->one_environment_per_push = 1;
		break;
	default:
		break;
	}
	if (c->oom)
		return;
	/* Environments live on the trunk, so the trunk is protected whenever there are any. */
	if (p->nenvironments && !pc_policy_branch(p, p->trunk) && grow_branches(c) == 0) {
		pc_branch *b = &p->branches[p->nbranches];

		if ((b->name = cx_strdup(c, p->trunk)))
			p->nbranches++;
	}
	for (i = 0; i < p->nenvironments; i++)
		/* No default for an environment whose own path was refused: that error suffices. */
		if (!p->environments[i].path && p->environments[i].name &&
		    !(c->esrc[i] && y_get(c->esrc[i], "path")) &&
		    !(p->environments[i].path = pc_asprintf("overlays/%s/", p->environments[i].name)))
			c->oom = 1;
}

/* ------------------------------------------------------------------------ */
/* Checks across sections */

/* A `from`/`require` entry must name a protected branch or work branches. */
static int known_source(const pc_policy *p, const char *s)
{
	size_t i;

	if (names_protected_branch(p, s) || pc_strlist_has(&p->work_branches, s))
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
	const ynode *seq = src ? y_get(src, field) : NULL;
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
			cx_error(c, at, "branches.%s.%s: a branch cannot take changes from itself", b->name, field);
		else if (!known_source(c->p, s))
			cx_error(c, at, "branches.%s.%s: '%s' is neither a protected branch nor matches "
				"work_branches; add it to one of them%s", b->name, field, s,
				seq ? (!strcmp(field, "from") && !strcmp(s, "any") ? "; to take changes from anywhere write "
				"'from: any' without brackets" : "") :
				" or override this branch of the strategy preset");
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

	if (b->from.n || (src && y_get(src, "from")))
		return;		/* a list, `any`, or a value already reported */
	if (!src) {
		/* The trunk, protected because there are environments. */
		at = y_key_of(c->root, y_get(c->root, "environments"));
		cx_error(c, at ? at : c->root, "environments: they make the trunk '%s' a protected "
			"branch, which needs 'from'; list it under branches with the branches it takes "
			"changes from (or 'from: any'), or use 'strategy: pattern3'", b->name);
		return;
	}
	at = y_key_of(y_get(c->root, "branches"), src);
	if (c->p->strategy != PC_STRATEGY_NONE)
		cx_error(c, at ? at : src, "branches.%s: missing 'from'; strategy %s does not define "
			"this branch, so list the branches it takes changes from, or write 'from: any' "
			"to take them from anywhere", b->name, strategies[c->p->strategy]);
	else
		cx_error(c, at ? at : src, "branches.%s: missing 'from'; list the branches it takes "
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
		const ynode *at = c->esrc[i] ? y_get(c->esrc[i], "after") : c->strategy_node;
		size_t lowest = i;
		pc_buf chain = PC_BUF_INIT;

		if (!e->after)
			continue;
		if (!env_at(p, e->after)) {
			cx_error(c, at, "environments.%s.after: '%s' is not an environment defined under environments",
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
		cx_error(c, at, "environments.%s.after: the promotion order is a cycle (%s); "
			"the first environment must have no 'after'", e->name, chain.ptr);
		pc_buf_release(&chain);
	}
	for (i = 0; i < p->nenvironments; i++) {
		for (j = 0; j < i; j++) {
			const char *a = p->environments[i].path, *b = p->environments[j].path;
			const ynode *at = c->esrc[i] ? y_get(c->esrc[i], "path") : NULL;

			if (!a || !b || (strncmp(a, b, strlen(b)) && strncmp(b, a, strlen(a))))
				continue;
			cx_error(c, at ? at : c->esrc[i] ? c->esrc[i] : c->strategy_node,
				"environments.%s.path: '%s' overlaps environments.%s.path '%s'; "
				"each environment needs a directory of its own",
				p->environments[i].name, a, p->environments[j].name, b);
		}
	}
}

static void read_top(cx *c)
{
	static const char *const other_refs[] = { "deny", "allow" };
	static const char *const enforcement[] = { "enforce", "dry-run" };
	const ynode *root = c->root, *v, *g;
	pc_policy *p = c->p;
	const char *s;
	uint64_t version;
	size_t i;
	int e;

	if (!root || y_is_null(root)) {
		cx_error_at(c, 1, 1, "the policy is empty; it needs at least 'version: 1' and an 'audit' section");
		return;
	}
	if (root->kind != Y_MAP) {
		cx_error(c, root, "the policy must be a mapping of keys such as 'version' and 'audit', found %s",
			y_what(root));
		return;
	}
	check_keys(c, root, S_TOP, NULL);
	if (!(v = y_get(root, "version")))
		cx_error(c, root, "missing required key 'version'; add 'version: 1'");
	else if (get_uint(c, v, "version", 0, UINT64_MAX, &version)) {
		if (version != 1)
			cx_error(c, v, "version: %s is not supported; this policy-check reads policy version 1", v->str);
		else
			p->version = 1;
	}
	if ((v = y_get(root, "strategy")))
		read_strategy(c, v);
	if ((v = y_get(root, "identity")))
		read_identity(c, v);
	if ((v = y_get(root, "users")))
		read_users(c, v);
	index_users(c);
	if ((v = y_get(root, "groups")))
		read_groups(c, v);
	index_groups(c);
	if ((v = y_get(root, "allowed_signers")) && (s = get_str(c, v, "allowed_signers")))
		cx_set(c, &p->allowed_signers, s);
	if ((v = y_get(root, "admins")))
		read_principals(c, v, "admins", &p->admins);
	if ((v = y_get(root, "work_branches"))) {
		c->have_work_branches = 1;
		read_globs(c, v, "work_branches", &p->work_branches);
	}
	if ((v = y_get(root, "trunk")) && (s = get_str(c, v, "trunk"))) {
		const char *why = bad_branch_pattern(s);

		if (why)
			cx_error(c, v, "trunk: '%s' is not a valid branch name: %s", s, why);
		else if (pc_is_glob(s))
			cx_error(c, v, "trunk: '%s' must be one branch name, not a pattern", s);
		else
			cx_set(c, &p->trunk, s);
	}
	if ((v = y_get(root, "branches")))
		read_branches(c, v);
	if ((v = y_get(root, "tags")))
		read_tags(c, v);
	if ((v = y_get(root, "other_refs")) && (e = get_enum(c, v, "other_refs", other_refs, 2)) >= 0)
		p->other_refs_allow = e;
	if ((v = y_get(root, "approvals")))
		read_approvals(c, v);
	if ((v = y_get(root, "rules")))
		read_rules(c, v);
	if ((v = y_get(root, "break_glass")) && want_map(c, v, "break_glass")) {
		check_keys(c, v, S_BREAK_GLASS, "break_glass");
		if ((g = y_get(v, "groups")))
			read_principals(c, g, "break_glass.groups", &p->break_glass_groups);
	}
	if ((v = y_get(root, "enforcement")) && (e = get_enum(c, v, "enforcement", enforcement, 2)) >= 0)
		p->dry_run = e;
	if (!(v = y_get(root, "audit")))
		cx_error(c, root, "missing required key 'audit' (log, key and origin); "
			"the hooks accept no push without an audit record");
	else
		read_audit(c, v);
	if (!y_get(root, "identity"))
		cx_error(c, root, "missing required key 'identity'; name the one variable your server sets "
			"to the pusher's name, e.g. 'identity: { env: [REMOTE_USER] }': " IDENTITY_KNOWN);
	if ((v = y_get(root, "environments")))
		read_environments(c, v);
	if ((v = y_get(root, "shared_paths"))) {
		c->have_shared_paths = 1;
		read_paths(c, v, "shared_paths", &p->shared_paths);
	}
	if ((v = y_get(root, "one_environment_per_push"))) {
		c->have_one_env = 1;
		get_bool(c, v, "one_environment_per_push", &p->one_environment_per_push);
	}
	if ((v = y_get(root, "limits")))
		read_limits(c, v);

	if (c->oom)
		return;
	apply_presets(c);
	for (i = 0; i < p->nbranches && !c->oom; i++) {
		check_from_given(c, i);
		check_sources(c, &p->branches[i], c->bsrc[i], "from", &p->branches[i].from);
		check_sources(c, &p->branches[i], c->bsrc[i], "require", &p->branches[i].require);
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
	p->pusher_is_approval = 1;
	p->limits.max_commits = 100000;
	p->limits.max_paths = 1000000;
	p->limits.max_codeowners_size = 3 * 1024 * 1024;
	p->limits.max_refs = 10000;
	p->limits.max_approvals_per_commit = 32;
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

	if (!EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
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
		cx_error_at(&c, 0, 0, "cannot compute the policy's SHA-256 with OpenSSL");
		goto done;
	}
	/* After a syntax error the tree is partial; reading it would only add noise. */
	if (y_build(&c) == 0)
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
	y_free_all(&c);
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
		hit = find_ref(p->index->users, p->index->nusers, name, refcmp);
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
		hit = find_ref(p->index->emails, p->index->nemails, email, refcasecmp);
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
		hit = find_ref(p->index->groups, p->index->ngroups, name, refcmp);
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

int pc_policy_path_for_repo(char **out, const char *git_dir, pc_error *err)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	git_buf val = { NULL, 0, 0 };
	const git_error *ge;
	int r, e;

	*out = NULL;
	git_libgit2_init();
	if (git_repository_open_bare(&repo, git_dir) < 0) {
		ge = git_error_last();
		r = pc_error_set(err, PC_ENOTFOUND, "%s: cannot open the repository: %s", git_dir,
			ge ? ge->message : "unknown error");
		goto done;
	}
	if (git_repository_config_snapshot(&cfg, repo) < 0) {
		ge = git_error_last();
		r = pc_error_set(err, PC_EIO, "%s: cannot read the git configuration: %s", git_dir,
			ge ? ge->message : "unknown error");
		goto done;
	}
	e = git_config_get_path(&val, cfg, "policycheck.policy");
	if (e == GIT_ENOTFOUND) {
		*out = join_dir(git_dir, "policy-check.yml");
	} else if (e < 0) {
		ge = git_error_last();
		r = pc_error_set(err, PC_EINVAL, "%s: policycheck.policy: %s", git_dir,
			ge ? ge->message : "unreadable value");
		goto done;
	} else if (!val.size) {
		r = pc_error_set(err, PC_EINVAL, "%s: git config policycheck.policy is empty; "
			"set it to the policy file or unset it", git_dir);
		goto done;
	} else {
		/* As git does for its own path settings, relative means relative to GIT_DIR. */
		*out = val.ptr[0] == '/' ? pc_strdup(val.ptr) : join_dir(git_dir, val.ptr);
	}
	r = *out ? 0 : pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	git_buf_dispose(&val);
	git_config_free(cfg);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return r;
}

/* ------------------------------------------------------------------------ */
/* The effective policy as YAML */

/* Double-quoted YAML, escaping what a YAML reader would fold or reject. */
static void yq(FILE *fp, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	fputc('"', fp);
	for (; *u; u++) {
		if (*u == '"' || *u == '\\')
			fprintf(fp, "\\%c", *u);
		else if (*u < 0x20 || *u == 0x7f)
			fprintf(fp, "\\x%02x", *u);
		else if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
			fprintf(fp, "\\u%04x", *++u);
		else if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) {
			fprintf(fp, "\\u%04x", 0x2000 + u[2] - 0x80);
			u += 2;
		} else if (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
			fputs("\\ufeff", fp);
			u += 2;
		} else
			fputc(*u, fp);
	}
	fputc('"', fp);
}

static void ylist(FILE *fp, const pc_strlist *l)
{
	size_t i;

	fputc('[', fp);
	for (i = 0; i < l->n; i++) {
		if (i)
			fputs(", ", fp);
		yq(fp, l->items[i]);
	}
	fputc(']', fp);
}

static const char *yb(int v)
{
	return v ? "true" : "false";
}

int pc_policy_write_expanded(const pc_policy *p, FILE *fp)
{
	static const char *const strategies[] = { NULL, "pattern1", "pattern2", "pattern3" };
	size_t i, j;

	fprintf(fp, "# effective policy of %s (%s), presets expanded\n", p->path, p->sha256);
	fprintf(fp, "version: %d\n", p->version);
	if (p->strategy > PC_STRATEGY_NONE && p->strategy <= PC_STRATEGY_PATTERN3)
		fprintf(fp, "strategy: %s\n", strategies[p->strategy]);
	fputs("identity:\n  env: ", fp);
	ylist(fp, &p->identity_env);
	fputs(p->nusers ? "\nusers:\n" : "\nusers: {}\n", fp);
	for (i = 0; i < p->nusers; i++) {
		const pc_user *u = &p->users[i];

		fputs("  ", fp);
		yq(fp, u->name);
		fputs(u->email || u->keys.n ? ":\n" : ": {}\n", fp);
		if (u->email) {
			fputs("    email: ", fp);
			yq(fp, u->email);
			fputc('\n', fp);
		}
		if (u->keys.n)
			fputs("    keys:\n", fp);
		for (j = 0; j < u->keys.n; j++) {
			fputs("      - ", fp);
			yq(fp, u->keys.items[j]);
			fputc('\n', fp);
		}
	}
	if (p->allowed_signers) {
		fputs("allowed_signers: ", fp);
		yq(fp, p->allowed_signers);
		fputc('\n', fp);
	}
	fputs(p->ngroups ? "groups:\n" : "groups: {}\n", fp);
	for (i = 0; i < p->ngroups; i++) {
		fputs("  ", fp);
		yq(fp, p->groups[i].name);
		fputs(": ", fp);
		ylist(fp, &p->groups[i].members);
		fputc('\n', fp);
	}
	fputs("admins: ", fp);
	ylist(fp, &p->admins);
	fputs(p->nbranches ? "\nbranches:\n" : "\nbranches: {}\n", fp);
	for (i = 0; i < p->nbranches; i++) {
		const pc_branch *b = &p->branches[i];

		fputs("  ", fp);
		yq(fp, b->name);
		fputs(":\n", fp);
		if (b->environment) {
			fputs("    environment: ", fp);
			yq(fp, b->environment);
			fputc('\n', fp);
		}
		fputs("    from: ", fp);
		if (b->from.n)
			ylist(fp, &b->from);
		else
			fputs("any", fp);
		fputs("\n    require: ", fp);
		ylist(fp, &b->require);
		fputc('\n', fp);
		if (b->approvals >= 0)
			fprintf(fp, "    approvals: %d\n", b->approvals);
		fputs("    approvers: ", fp);
		ylist(fp, &b->approvers);
		fputc('\n', fp);
	}
	fputs("work_branches: ", fp);
	ylist(fp, &p->work_branches);
	fputc('\n', fp);
	if (p->tag_pattern) {
		fputs("tags:\n  pattern: ", fp);
		yq(fp, p->tag_pattern);
		fputs("\n  create: ", fp);
		ylist(fp, &p->tag_create);
		fputc('\n', fp);
	}
	fprintf(fp, "other_refs: %s\n", p->other_refs_allow ? "allow" : "deny");
	fputs("approvals:\n  codeowners: ", fp);
	ylist(fp, &p->codeowners);
	fprintf(fp, "\n  required: %d\n  self_approval: %s\n  pusher_is_approval: %s\n  unowned: %s\n",
		p->approvals_required, yb(p->self_approval), yb(p->pusher_is_approval),
		p->unowned_deny ? "deny" : "allow");
	fputs("rules:\n", fp);
	if (p->rules.commit_message) {
		fputs("  commit_message: ", fp);
		yq(fp, p->rules.commit_message);
		fputc('\n', fp);
	}
	if (p->rules.work_branch_name) {
		fputs("  work_branch_name: ", fp);
		yq(fp, p->rules.work_branch_name);
		fputc('\n', fp);
	}
	fputs("  deny_paths: ", fp);
	ylist(fp, &p->rules.deny_paths);
	fprintf(fp, "\n  max_blob_size: %llu\n  signed_commits: %s\n",
		(unsigned long long)p->rules.max_blob_size, yb(p->rules.signed_commits));
	fputs("break_glass:\n  groups: ", fp);
	ylist(fp, &p->break_glass_groups);
	fprintf(fp, "\nenforcement: %s\n", p->dry_run ? "dry-run" : "enforce");
	fputs("audit:\n  log: ", fp);
	yq(fp, p->audit_log ? p->audit_log : "");
	fputs("\n  key: ", fp);
	yq(fp, p->audit_key ? p->audit_key : "");
	fputs("\n  origin: ", fp);
	yq(fp, p->audit_origin ? p->audit_origin : "");
	fputs("\ntrunk: ", fp);
	yq(fp, p->trunk);
	fputs(p->nenvironments ? "\nenvironments:\n" : "\nenvironments: {}\n", fp);
	for (i = 0; i < p->nenvironments; i++) {
		const pc_environment *e = &p->environments[i];

		fputs("  ", fp);
		yq(fp, e->name);
		fputs(":\n    path: ", fp);
		yq(fp, e->path);
		fputc('\n', fp);
		if (e->after) {
			fputs("    after: ", fp);
			yq(fp, e->after);
			fputc('\n', fp);
		}
		if (e->approvals >= 0)
			fprintf(fp, "    approvals: %d\n", e->approvals);
		fputs("    approvers: ", fp);
		ylist(fp, &e->approvers);
		fputc('\n', fp);
	}
	fputs("shared_paths: ", fp);
	ylist(fp, &p->shared_paths);
	fprintf(fp, "\none_environment_per_push: %s\n", yb(p->one_environment_per_push));
	fprintf(fp, "limits:\n  max_commits: %llu\n  max_paths: %llu\n  max_codeowners_size: %llu\n"
		"  max_refs: %llu\n  max_approvals_per_commit: %llu\n", (unsigned long long)p->limits.max_commits,
		(unsigned long long)p->limits.max_paths, (unsigned long long)p->limits.max_codeowners_size,
		(unsigned long long)p->limits.max_refs, (unsigned long long)p->limits.max_approvals_per_commit);
	fflush(fp);
	return ferror(fp) ? PC_EIO : 0;
}

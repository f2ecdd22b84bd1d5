/*
 * policy-yaml.c: the YAML node tree of a policy file, its bounds, and the
 * readers that turn a node into a string, number, size or enum with a
 * FILE:LINE:COLUMN diagnostic when it is not one.
 */
#include "config.h"
#include "policy-int.h"

#include <yaml.h>

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 4, 0)))
static void cx_verror(cx *c, unsigned line, unsigned col, const char *fmt, va_list ap)
{
	c->nerr++;
	/* After a failed allocation the data is incomplete, so later checks would mislead. */
	if (c->oom)
		return;
	if (pc_diag_vadd(c->diags, c->file, line, col, fmt, ap) == PC_ENOMEM)
		c->oom = 1;
}

__attribute__((format(printf, 3, 4)))
void pc_policy_cx_error(cx *c, const ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cx_verror(c, at ? at->line : 0, at ? at->col : 0, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5)))
void pc_policy_cx_error_at(cx *c, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cx_verror(c, line, col, fmt, ap);
	va_end(ap);
}

char *pc_policy_cx_strdup(cx *c, const char *s)
{
	char *r = pc_strdup(s);

	if (!r)
		c->oom = 1;
	return r;
}

void pc_policy_cx_add(cx *c, pc_strlist *l, const char *s)
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
void pc_policy_cx_dedupe(cx *c, pc_strlist *l)
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

void pc_policy_cx_set(cx *c, char **dst, const char *s)
{
	free(*dst);
	*dst = pc_policy_cx_strdup(c, s);
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

void pc_policy_y_free_all(cx *c)
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
		pc_policy_cx_error_at(c, line, col, "not valid YAML text: %s; the policy must be UTF-8 text",
			ps->problem ? ps->problem : "unreadable input");
		return;
	}
	line = (unsigned)ps->problem_mark.line + 1;
	col = (unsigned)ps->problem_mark.column + 1;
	if (ps->context)
		pc_policy_cx_error_at(c, line, col, "invalid YAML: %s (%s that starts at line %u, column %u)",
			ps->problem ? ps->problem : "unexpected input", ps->context,
			(unsigned)ps->context_mark.line + 1, (unsigned)ps->context_mark.column + 1);
	else
		pc_policy_cx_error_at(c, line, col, "invalid YAML: %s",
			ps->problem ? ps->problem : "unexpected input");
}

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
			pc_policy_cx_error(c, k, "a mapping key must be a string, not %s", pc_policy_y_what(k));
		else if (k->plain && !strcmp(k->str, "<<"))
			pc_policy_cx_error(c, k, "merge keys ('<<') are not supported; write the keys out");
		else
			keys[nk++] = k;
	}
	qsort(keys, nk, sizeof(*keys), keycmp);
	for (i = 1; i < nk; i++) {
		if (strcmp(keys[i]->str, keys[i - 1]->str) || keys[i] == keys[i - 1])
			continue;
		keys[i]->dup = 1;
		pc_policy_cx_error(c, keys[i], "duplicate key '%s' (first at line %u, column %u)",
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
		pc_policy_cx_error(c, n, "aliases expand this document to more than %u nodes; "
			"refusing it (a policy never needs that many)", Y_MAX_WEIGHT);
		return PC_ELIMIT;
	}
	return 0;
}

static int y_add_anchor(cx *c, const char *name, ynode *n)
{
	if (c->nanchors >= Y_MAX_ANCHORS) {
		pc_policy_cx_error(c, n, "more than %u YAML anchors; refusing the document", Y_MAX_ANCHORS);
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
	pc_policy_cx_error_at(c, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
		"unsupported YAML tag '%s'; remove it", tag);
	return 0;
}

/* Turn the YAML text into c->root; returns 0 or a negative code (diagnostic added). */
int pc_policy_y_build(cx *c)
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
				pc_policy_cx_error_at(c, (unsigned)ev.start_mark.line + 1,
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
				pc_policy_cx_error_at(c, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
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
				pc_policy_cx_error_at(c, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
					"more than %u YAML aliases; refusing the document", Y_MAX_ALIASES);
				goto done;
			}
			if (!(n = y_find_anchor(c, (const char *)ev.data.alias.anchor))) {
				pc_policy_cx_error_at(c, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
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

int pc_policy_y_is_null(const ynode *n)
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

const char *pc_policy_y_what(const ynode *n)
{
	int b;

	if (n->kind == Y_MAP)
		return "a mapping";
	if (n->kind == Y_SEQ)
		return "a list";
	if (pc_policy_y_is_null(n))
		return "an empty value";
	if (y_is_bool(n, &b))
		return "a boolean";
	if (n->plain && is_digits(n->str))
		return "an integer";
	return "a string";
}

const ynode *pc_policy_y_get(const ynode *m, const char *key)
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
int pc_policy_want_map(cx *c, const ynode *n, const char *path)
{
	if (n->kind == Y_MAP || pc_policy_y_is_null(n))
		return 1;
	pc_policy_cx_error(c, n, "%s: expected a mapping, found %s", path, pc_policy_y_what(n));
	return 0;
}

int pc_policy_want_seq(cx *c, const ynode *n, const char *path)
{
	if (n->kind == Y_SEQ || pc_policy_y_is_null(n))
		return 1;
	if (n->kind == Y_SCALAR)
		pc_policy_cx_error(c, n, "%s: expected a list, found %s (write [%s])", path, pc_policy_y_what(n), n->str);
	else
		pc_policy_cx_error(c, n, "%s: expected a list, found %s", path, pc_policy_y_what(n));
	return 0;
}

const char *pc_policy_get_str(cx *c, const ynode *n, const char *path)
{
	if (n->kind != Y_SCALAR || pc_policy_y_is_null(n)) {
		pc_policy_cx_error(c, n, "%s: expected a string, found %s", path, pc_policy_y_what(n));
		return NULL;
	}
	if (strlen(n->str) != n->len) {
		pc_policy_cx_error(c, n, "%s: the string contains a NUL character", path);
		return NULL;
	}
	if (!n->len) {
		pc_policy_cx_error(c, n, "%s: must not be empty", path);
		return NULL;
	}
	return n->str;
}

int pc_policy_get_bool(cx *c, const ynode *n, const char *path, int *out)
{
	if (y_is_bool(n, out))
		return 1;
	if (n->kind == Y_SCALAR && !pc_policy_y_is_null(n))
		pc_policy_cx_error(c, n, "%s: expected true or false, found '%s'", path, n->str);
	else
		pc_policy_cx_error(c, n, "%s: expected true or false, found %s", path, pc_policy_y_what(n));
	return 0;
}

int pc_policy_get_uint(cx *c, const ynode *n, const char *path, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *s;

	if (n->kind != Y_SCALAR || !n->plain || !is_digits(n->str)) {
		if (n->kind == Y_SCALAR && !n->plain && is_digits(n->str))
			pc_policy_cx_error(c, n, "%s: expected a whole number, found the string \"%s\"; remove the quotes",
				path, n->str);
		else if (n->kind == Y_SCALAR && !pc_policy_y_is_null(n))
			pc_policy_cx_error(c, n, "%s: expected a whole number, found '%s'", path, n->str);
		else
			pc_policy_cx_error(c, n, "%s: expected a whole number, found %s", path, pc_policy_y_what(n));
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
		pc_policy_cx_error(c, n, "%s: %s is out of range (%llu to %llu)", path, n->str,
			(unsigned long long)min, (unsigned long long)max);
		return 0;
	}
	*out = v;
	return 1;
}

int pc_policy_get_approvals(cx *c, const ynode *n, const char *path, int *out)
{
	uint64_t v;

	if (!pc_policy_get_uint(c, n, path, 0, APPROVALS_MAX, &v))
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

int pc_policy_get_size(cx *c, const ynode *n, const char *path, uint64_t min, uint64_t *out)
{
	int r;

	if (n->kind != Y_SCALAR || pc_policy_y_is_null(n)) {
		pc_policy_cx_error(c, n, "%s: expected a size such as 5MiB, found %s", path, pc_policy_y_what(n));
		return 0;
	}
	r = parse_size(n->str, out);
	if (r == PC_ELIMIT) {
		pc_policy_cx_error(c, n, "%s: '%s' is too large", path, n->str);
		return 0;
	}
	if (r < 0) {
		pc_policy_cx_error(c, n, "%s: '%s' is not a size; write a number of bytes, or a number followed by "
			"KiB, MiB, GiB (1024-based) or KB, MB, GB (1000-based)", path, n->str);
		return 0;
	}
	if (*out < min) {
		pc_policy_cx_error(c, n, "%s: must be at least %llu", path, (unsigned long long)min);
		return 0;
	}
	return 1;
}

int pc_policy_get_enum(cx *c, const ynode *n, const char *path, const char *const *names, size_t count)
{
	pc_buf b = PC_BUF_INIT;
	size_t i;

	if (n->kind == Y_SCALAR && !pc_policy_y_is_null(n))
		for (i = 0; i < count; i++)
			if (!strcmp(n->str, names[i]))
				return (int)i;
	for (i = 0; i < count; i++)
		pc_buf_printf(&b, "%s%s", i ? (i + 1 == count ? " or " : ", ") : "", names[i]);
	if (n->kind == Y_SCALAR && !pc_policy_y_is_null(n))
		pc_policy_cx_error(c, n, "%s: '%s' is not valid; expected %s", path, n->str, b.ptr);
	else
		pc_policy_cx_error(c, n, "%s: expected %s, found %s", path, b.ptr, pc_policy_y_what(n));
	pc_buf_release(&b);
	return -1;
}

/*
 * signers.c: git's allowed_signers files (ssh-keygen(1) ALLOWED SIGNERS):
 * principals, options (namespaces, validity), keys, and the questions
 * asked of them.  Pattern lists go through core/glob.c.
 */
#include "config.h"
#include "signers.h"
#include "sshkey-int.h"
#include "buf.h"
#include "glob.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Pattern lists (ssh_config(5) PATTERNS), as OpenSSH's match_pattern_list */

int pc_sshsig_match_list(const char *s, const char *list)
{
	return pc_glob_match_list(s, list);
}

/* allowed_signers */

struct signer {
	char *principals;	/* pattern list */
	char *namespaces;	/* pattern list, NULL = any */
	int has_after, has_before;
	int64_t valid_after, valid_before;
	pc_sshkey *key;
	unsigned line, column;	/* where the principals were written */
};

struct pc_signers {
	struct signer *items;
	size_t n, alloc;
};

void pc_signers_free(pc_signers *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->items[i].principals);
		free(s->items[i].namespaces);
		pc_sshkey_free(s->items[i].key);
	}
	free(s->items);
	free(s);
}

/* One line being parsed, for diagnostics. */
struct sline {
	const char *file;
	const char *p;		/* the line, without its newline */
	size_t len;
	unsigned lineno;
	pc_diag *diags;
	int failed;
	int nomem;		/* an allocation failed: report PC_ENOMEM, not PC_EINVAL */
};

__attribute__((format(printf, 3, 4)))
static int line_error(struct sline *l, size_t at, const char *fmt, ...)
{
	va_list ap;

	l->failed = 1;
	if (l->diags) {
		va_start(ap, fmt);
		pc_diag_vadd(l->diags, l->file, l->lineno, (unsigned)at + 1, fmt, ap);
		va_end(ap);
	}
	return PC_EINVAL;
}

static int line_nomem(struct sline *l, size_t at)
{
	l->nomem = 1;
	line_error(l, at, "out of memory");
	return PC_ENOMEM;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static int digits(const char *s, size_t n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (*s++ - '0');
	return v;
}

/*
 * ssh-keygen's timestamps: YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, UTC
 * with a Z or UTC suffix, else local time taken as standard time (what
 * ssh-keygen's mktime with tm_isdst 0 gives).  Unlike ssh-keygen we refuse
 * dates that do not exist (20230230) instead of rolling them over.
 */
static int parse_time(const char *v, int64_t *out)
{
	size_t n = strlen(v), i;
	struct tm tm;
	int utc = 0, y, mo, d, h = 0, mi = 0, s = 0;
	time_t t;

	if (n > 1 && (v[n - 1] == 'Z' || v[n - 1] == 'z')) {
		utc = 1;
		n--;
	} else if (n > 3 && !strncasecmp(v + n - 3, "UTC", 3)) {
		utc = 1;
		n -= 3;
	}
	if (n != 8 && n != 12 && n != 14)
		return PC_EINVAL;
	for (i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return PC_EINVAL;
	y = digits(v, 4);
	mo = digits(v + 4, 2);
	d = digits(v + 6, 2);
	if (n >= 12) {
		h = digits(v + 8, 2);
		mi = digits(v + 10, 2);
	}
	if (n == 14)
		s = digits(v + 12, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || s > 59)
		return PC_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = 0;
	t = utc ? timegm(&tm) : mktime(&tm);
	/* 0 is "unset" to ssh-keygen, which refuses it too */
	if (t <= 0)
		return PC_EINVAL;
	*out = (int64_t)t;
	return 0;
}

static int strieq_span(const char *p, size_t n, const char *s)
{
	return n == strlen(s) && !strncasecmp(p, s, n);
}

/* Check a comma-separated pattern list has no empty element. */
static int check_list(struct sline *l, size_t at, const char *list, const char *what)
{
	const char *p = list, *comma;

	for (;;) {
		comma = strchr(p, ',');
		if (comma == p || (!comma && !*p) || (*p == '!' && (comma == p + 1 || (!comma && !p[1]))))
			return line_error(l, at + (size_t)(p - list), "empty %s in the list", what);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* The end of the options field starting at i: the first blank outside double quotes. */
static size_t options_end(const struct sline *l, size_t i, int *open_quote)
{
	int inq = 0;

	for (; i < l->len; i++) {
		if (inq && l->p[i] == '\\' && i + 1 < l->len && l->p[i + 1] == '"')
			i++;
		else if (l->p[i] == '"')
			inq = !inq;
		else if (!inq && is_blank((unsigned char)l->p[i]))
			break;
	}
	*open_quote = inq;
	return i;
}

/*
 * ssh-keygen takes the field after the principals as the key when it
 * parses as one, else as options.  Here: options when the field has the
 * shape of options (=, quotes, commas), or when it is no key type and a
 * key type and key data still follow it; otherwise it is read as a key,
 * so a misspelt key type is reported as one.
 */
static int looks_like_options(const struct sline *l, size_t at, size_t end)
{
	const char *p = l->p + at;
	size_t n = end - at, i = end, fields = 0;

	if (memchr(p, '=', n) || memchr(p, '"', n) || memchr(p, ',', n))
		return 1;
	if (pc_sshkey_is_type_name(p, n))
		return 0;
	while (i < l->len && fields < 2) {
		while (i < l->len && is_blank((unsigned char)l->p[i]))
			i++;
		if (i < l->len)
			fields++;
		while (i < l->len && !is_blank((unsigned char)l->p[i]))
			i++;
	}
	return fields >= 2;
}

static int parse_options(struct sline *l, size_t i, size_t end, struct signer *e)
{
	const char *p = l->p;
	size_t kw_at, kw_len, val_at;
	pc_buf val = PC_BUF_INIT;
	int r = 0;

	for (;;) {
		kw_at = i;
		while (i < end && p[i] != '=' && p[i] != ',')
			i++;
		kw_len = i - kw_at;
		if (strieq_span(p + kw_at, kw_len, "cert-authority")) {
			r = line_error(l, kw_at, "cert-authority is not supported: policy-check checks "
				"signatures of plain keys only; list each signer's own key instead");
			goto done;
		}
		if (!strieq_span(p + kw_at, kw_len, "namespaces") &&
		    !strieq_span(p + kw_at, kw_len, "valid-after") &&
		    !strieq_span(p + kw_at, kw_len, "valid-before")) {
			r = line_error(l, kw_at, "unknown option '%.*s' (known: namespaces, valid-after, "
				"valid-before)", (int)(kw_len > 64 ? 64 : kw_len), p + kw_at);
			goto done;
		}
		if (i >= end || p[i] != '=') {
			r = line_error(l, kw_at, "option %.*s needs a value: %.*s=\"...\"",
				(int)kw_len, p + kw_at, (int)kw_len, p + kw_at);
			goto done;
		}
		i++;
		val_at = i;
		if (i >= end || p[i] != '"') {
			r = line_error(l, val_at, "the value of %.*s must be in double quotes, as "
				"ssh-keygen requires", (int)kw_len, p + kw_at);
			goto done;
		}
		pc_buf_clear(&val);
		for (i++; i < end && p[i] != '"'; i++) {
			if (p[i] == '\\' && i + 1 < end && p[i + 1] == '"')
				i++;
			pc_buf_putc(&val, p[i]);
		}
		if (i >= end) {
			r = line_error(l, val_at, "missing closing quote");
			goto done;
		}
		i++;
		if (pc_buf_error(&val) < 0) {
			r = line_nomem(l, val_at);
			goto done;
		}
		if (strieq_span(p + kw_at, kw_len, "namespaces")) {
			if (e->namespaces) {
				r = line_error(l, kw_at, "namespaces given twice");
				goto done;
			}
			if ((r = check_list(l, val_at + 1, val.ptr, "namespace")) < 0)
				goto done;
			if (!(e->namespaces = pc_strdup(val.ptr))) {
				r = line_nomem(l, val_at);
				goto done;
			}
		} else {
			int after = strieq_span(p + kw_at, kw_len, "valid-after");
			int64_t t;

			if (after ? e->has_after : e->has_before) {
				r = line_error(l, kw_at, "%s given twice", after ? "valid-after" : "valid-before");
				goto done;
			}
			if (parse_time(val.ptr, &t) < 0) {
				r = line_error(l, val_at + 1, "invalid time '%.*s' for %s: write YYYYMMDD, "
					"YYYYMMDDHHMM or YYYYMMDDHHMMSS, with Z for UTC",
					(int)(val.len > 32 ? 32 : val.len), val.ptr,
					after ? "valid-after" : "valid-before");
				goto done;
			}
			if (after) {
				e->has_after = 1;
				e->valid_after = t;
			} else {
				e->has_before = 1;
				e->valid_before = t;
			}
		}
		if (i == end)
			break;
		if (p[i] != ',') {
			r = line_error(l, i, "expected ',' or a space after an option");
			goto done;
		}
		if (++i == end) {
			r = line_error(l, i - 1, "the option list ends with ','");
			goto done;
		}
	}
	if (e->has_after && e->has_before && e->valid_before <= e->valid_after)
		r = line_error(l, kw_at, "valid-before is not later than valid-after");
done:
	pc_buf_release(&val);
	return r;
}

static int parse_signer_line(pc_signers *s, struct sline *l)
{
	const char *p = l->p;
	size_t i = 0, n = l->len, start, plen, end, bad;
	struct signer e;
	pc_error err = PC_ERROR_INIT;
	int r = PC_EINVAL, open_quote;

	memset(&e, 0, sizeof(e));
	while (i < n && is_blank((unsigned char)p[i]))
		i++;
	if (i == n || p[i] == '#')
		return 0;
	if (memchr(p, '\0', n))
		return line_error(l, (size_t)((const char *)memchr(p, '\0', n) - p), "NUL byte in the line");

	if (p[i] == '"') {
		start = ++i;
		while (i < n && p[i] != '"')
			i++;
		if (i == n)
			return line_error(l, start - 1, "missing closing quote after the principals");
		plen = i++ - start;
		if (i < n && !is_blank((unsigned char)p[i]))
			return line_error(l, i, "expected a space after the quoted principals");
	} else {
		start = i;
		while (i < n && !is_blank((unsigned char)p[i]))
			i++;
		plen = i - start;
	}
	e.line = l->lineno;
	e.column = (unsigned)start + 1;
	if (!(e.principals = pc_strndup(p + start, plen))) {
		r = line_nomem(l, start);
		goto done;
	}
	if ((r = check_list(l, start, e.principals, "principal")) < 0)
		goto done;
	while (i < n && is_blank((unsigned char)p[i]))
		i++;
	if (i == n) {
		r = line_error(l, i, "missing key after the principals");
		goto done;
	}
	end = options_end(l, i, &open_quote);
	if (looks_like_options(l, i, end)) {
		if (open_quote) {
			r = line_error(l, i, "missing closing quote in the options");
			goto done;
		}
		if ((r = parse_options(l, i, end, &e)) < 0)
			goto done;
		i = end;
		while (i < n && is_blank((unsigned char)p[i]))
			i++;
		if (i == n) {
			r = line_error(l, i, "missing key after the options");
			goto done;
		}
	}
	if ((r = pc_sshkey_parse_text(&e.key, p + i, n - i, &bad, &err)) < 0) {
		if (r == PC_ENOMEM)
			l->nomem = 1;
		r = line_error(l, i + bad, "%s", err.msg);
		goto done;
	}
	if (pc_grow((void **)&s->items, &s->alloc, s->n + 1, sizeof(*s->items)) < 0) {
		r = line_nomem(l, 0);
		goto done;
	}
	s->items[s->n++] = e;
	memset(&e, 0, sizeof(e));	/* transferred */
	r = 0;
done:
	free(e.principals);
	free(e.namespaces);
	pc_sshkey_free(e.key);
	return r;
}

int pc_signers_parse(pc_signers **out, const char *name, const char *text, size_t len,
	pc_diag *diags)
{
	pc_signers *s;
	struct sline l;
	const char *p = text, *end = text + len, *nl;

	*out = NULL;
	if (!(s = pc_calloc(1, sizeof(*s)))) {
		if (diags)
			pc_diag_add(diags, name, 0, 0, "out of memory");
		return PC_ENOMEM;
	}
	memset(&l, 0, sizeof(l));
	l.file = name;
	l.diags = diags;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l.p = p;
		l.len = (size_t)((nl ? nl : end) - p);
		l.lineno++;
		parse_signer_line(s, &l);
		p = nl ? nl + 1 : end;
	}
	if (l.failed) {
		pc_signers_free(s);
		return l.nomem ? PC_ENOMEM : PC_EINVAL;
	}
	*out = s;
	return 0;
}

int pc_signers_load(pc_signers **out, const char *path, pc_diag *diags)
{
	pc_error err = PC_ERROR_INIT;
	char *text = NULL;
	size_t len;
	int r;

	*out = NULL;
	if ((r = pc_read_file(&text, &len, path, PC_SIGNERS_MAX_SIZE, &err)) < 0) {
		if (diags)
			pc_diag_add(diags, NULL, 0, 0, "%s", err.msg);
		return r;
	}
	r = pc_signers_parse(out, path, text, len, diags);
	free(text);
	return r;
}

static int entry_applies(const struct signer *e, const pc_sshkey *key, const char *ns, int64_t when)
{
	if (!pc_sshkey_equal(e->key, key))
		return 0;
	if (e->namespaces && pc_sshsig_match_list(ns, e->namespaces) != 1)
		return 0;
	if (e->has_after && when < e->valid_after)
		return 0;
	if (e->has_before && when > e->valid_before)
		return 0;
	return 1;
}

int pc_signers_lookup(const pc_signers *s, const pc_sshkey *key, const char *ns,
	int64_t when, pc_strlist *principals)
{
	const char *p, *comma;
	char *one;
	size_t i, n;
	int r;

	for (i = 0; s && i < s->n; i++) {
		if (!entry_applies(&s->items[i], key, ns, when))
			continue;
		for (p = s->items[i].principals;; p = comma + 1) {
			comma = strchr(p, ',');
			n = comma ? (size_t)(comma - p) : strlen(p);
			if (n && *p != '!') {
				if (!(one = pc_strndup(p, n)))
					return PC_ENOMEM;
				r = pc_strlist_has(principals, one) ? 0 : pc_strlist_add(principals, one);
				free(one);
				if (r < 0)
					return r;
			}
			if (!comma)
				break;
		}
	}
	return 0;
}

size_t pc_signers_count(const pc_signers *s)
{
	return s ? s->n : 0;
}

int pc_signers_entry(const pc_signers *s, size_t i, const char *ns, const char **principals,
	const pc_sshkey **key, unsigned *line, unsigned *column)
{
	const struct signer *e = &s->items[i];

	*principals = e->principals;
	*key = e->key;
	*line = e->line;
	*column = e->column;
	return !ns || !e->namespaces || pc_sshsig_match_list(ns, e->namespaces) == 1;
}

int pc_signers_allows(const pc_signers *s, const pc_sshkey *key, const char *principal,
	const char *ns, int64_t when)
{
	size_t i;

	for (i = 0; s && i < s->n; i++)
		if (entry_applies(&s->items[i], key, ns, when) &&
		    pc_sshsig_match_list(principal, s->items[i].principals) == 1)
			return 1;
	return 0;
}

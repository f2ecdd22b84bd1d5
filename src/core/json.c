/*
 * json.c: JSON string escaping and a strict, non-allocating-per-value
 * parser (see json.h for the encoding of invalid UTF-8).
 */
#include "json.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

size_t pc_utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	/* The second byte's range excludes overlongs, surrogates and > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* 1 for the bytes that pass unchanged without further checks: printable ASCII but " and \. */
static const unsigned char plain[256] = {
	[0x20] = 1, [0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7e] = 1,
};

static int plain_ascii(unsigned char c)
{
	return plain[c];
}

int pc_json_put_string(pc_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, seq;
	char esc[8];

	pc_buf_putc(out, '"');
	while (i < len) {
		for (run = i; run < len && plain_ascii(p[run]); run++)
			;
		if (run > i) {
			pc_buf_put(out, p + i, run - i);
			i = run;
			continue;
		}
		switch (p[i]) {
		case '"': pc_buf_put(out, "\\\"", 2); i++; continue;
		case '\\': pc_buf_put(out, "\\\\", 2); i++; continue;
		case '\b': pc_buf_put(out, "\\b", 2); i++; continue;
		case '\f': pc_buf_put(out, "\\f", 2); i++; continue;
		case '\n': pc_buf_put(out, "\\n", 2); i++; continue;
		case '\r': pc_buf_put(out, "\\r", 2); i++; continue;
		case '\t': pc_buf_put(out, "\\t", 2); i++; continue;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 15];
			pc_buf_put(out, esc, 6);
			i++;
			continue;
		}
		if ((seq = pc_utf8_seq_len(p + i, len - i)) > 0) {
			pc_buf_put(out, p + i, seq);
			i += seq;
			continue;
		}
		/* An invalid byte: the reversible lone-surrogate escape. */
		memcpy(esc, "\\udc", 4);
		esc[4] = hex[p[i] >> 4];
		esc[5] = hex[p[i] & 15];
		pc_buf_put(out, esc, 6);
		i++;
	}
	pc_buf_putc(out, '"');
	return pc_buf_error(out);
}

int pc_json_put_cstring(pc_buf *out, const char *s)
{
	if (!s)
		return pc_buf_puts(out, "null");
	return pc_json_put_string(out, s, strlen(s));
}

/* The parser. */

typedef struct parser {
	pc_json_doc *doc;
	const unsigned char *s;
	size_t len, pos;
	unsigned depth;
	pc_error *err;
} parser;

static int fail(parser *p, const char *what)
{
	return pc_error_set(p->err, PC_EINVAL, "column %zu: %s", p->pos + 1, what);
}

static void skip_ws(parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
		p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int new_node(parser *p, size_t *idx, pc_json_type type)
{
	pc_json_doc *d = p->doc;
	size_t max = d->max_nodes ? d->max_nodes : 1000000;

	pc_json_node *node;

	if (d->n >= max)
		return pc_error_set(p->err, PC_ELIMIT, "column %zu: more than %zu values", p->pos + 1, max);
	if (d->n >= d->alloc && pc_grow((void **)&d->nodes, &d->alloc, d->n + 1, sizeof(*d->nodes)) < 0)
		return pc_error_set(p->err, PC_ENOMEM, "out of memory");
	*idx = d->n++;
	node = &d->nodes[*idx];
	node->type = type;
	node->escaped = 0;
	node->start = p->pos;
	node->len = node->end = node->count = 0;
	return 0;
}

static int hex4(const unsigned char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* At the opening quote; leaves pos after the closing quote. */
static int parse_string(parser *p, size_t idx)
{
	pc_json_node *node = &p->doc->nodes[idx];
	size_t seq;
	unsigned u, lo;

	p->pos++;
	node->start = p->pos;
	for (;;) {
		/* Fast scan over the common bytes, in locals: p->s may alias p. */
		const unsigned char *str = p->s;
		size_t pos = p->pos, end = p->len;

		while (pos < end && plain[str[pos]])
			pos++;
		p->pos = pos;
		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		if (p->s[p->pos] == '"')
			break;
		if (p->s[p->pos] == '\\') {
			node->escaped = 1;
			if (p->pos + 1 >= p->len)
				return fail(p, "unterminated string");
			switch (p->s[p->pos + 1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p->pos += 2;
				continue;
			case 'u':
				break;
			default:
				return fail(p, "invalid escape in string");
			}
			if (p->len - p->pos < 6 || hex4(p->s + p->pos + 2, &u) < 0)
				return fail(p, "invalid \\u escape in string");
			if (u >= 0xd800 && u <= 0xdbff) {
				if (p->len - p->pos < 12 || p->s[p->pos + 6] != '\\' || p->s[p->pos + 7] != 'u' ||
				    hex4(p->s + p->pos + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return fail(p, "high surrogate escape without its low surrogate");
				p->pos += 12;
				continue;
			}
			if (u >= 0xdc00 && u <= 0xdfff && (u < 0xdc80 || u > 0xdcff))
				return fail(p, "lone low surrogate escape outside \\udc80..\\udcff");
			p->pos += 6;
			continue;
		}
		if (p->s[p->pos] < 0x20)
			return fail(p, "control character in string; it must be escaped");
		if (p->s[p->pos] == 0x7f) {
			p->pos++;
			continue;
		}
		if (!(seq = pc_utf8_seq_len(p->s + p->pos, p->len - p->pos)))
			return fail(p, "invalid UTF-8 in string");
		p->pos += seq;
	}
	node->len = p->pos - node->start;
	p->pos++;
	return 0;
}

static int parse_number(parser *p, size_t idx)
{
	const unsigned char *s = p->s;
	size_t start = p->pos;

	if (p->pos < p->len && s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
		return fail(p, "invalid number");
	if (s[p->pos] == '0') {
		p->pos++;
		if (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			return fail(p, "number with a leading zero");
	} else {
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
			return fail(p, "number without digits after the decimal point");
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
			return fail(p, "number without digits in the exponent");
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	p->doc->nodes[idx].start = start;
	p->doc->nodes[idx].len = p->pos - start;
	return 0;
}

static int parse_literal(parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return fail(p, "invalid literal");
	p->pos += n;
	return 0;
}

static int parse_value(parser *p);

static int parse_container(parser *p, size_t idx, int object)
{
	unsigned max_depth = p->doc->max_depth ? p->doc->max_depth : 64;
	size_t key;
	int r;

	if (++p->depth > max_depth)
		return pc_error_set(p->err, PC_ELIMIT, "column %zu: nested deeper than %u levels",
			p->pos + 1, max_depth);
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == (object ? '}' : ']')) {
		p->pos++;
		goto done;
	}
	for (;;) {
		if (object) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a string key");
			if ((r = new_node(p, &key, PC_JSON_STRING)) < 0 || (r = parse_string(p, key)) < 0)
				return r;
			p->doc->nodes[key].end = p->doc->n;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, "expected ':' after a key");
			p->pos++;
			skip_ws(p);
		}
		if ((r = parse_value(p)) < 0)
			return r;
		p->doc->nodes[idx].count++;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			skip_ws(p);
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == (object ? '}' : ']')) {
			p->pos++;
			break;
		}
		return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
done:
	p->depth--;
	return 0;
}

static int parse_value(parser *p)
{
	size_t idx;
	int r;

	if (p->pos >= p->len)
		return fail(p, "unexpected end of input");
	switch (p->s[p->pos]) {
	case '{':
		if ((r = new_node(p, &idx, PC_JSON_OBJECT)) < 0 || (r = parse_container(p, idx, 1)) < 0)
			return r;
		break;
	case '[':
		if ((r = new_node(p, &idx, PC_JSON_ARRAY)) < 0 || (r = parse_container(p, idx, 0)) < 0)
			return r;
		break;
	case '"':
		if ((r = new_node(p, &idx, PC_JSON_STRING)) < 0 || (r = parse_string(p, idx)) < 0)
			return r;
		break;
	case 't':
		if ((r = new_node(p, &idx, PC_JSON_TRUE)) < 0 || (r = parse_literal(p, "true")) < 0)
			return r;
		break;
	case 'f':
		if ((r = new_node(p, &idx, PC_JSON_FALSE)) < 0 || (r = parse_literal(p, "false")) < 0)
			return r;
		break;
	case 'n':
		if ((r = new_node(p, &idx, PC_JSON_NULL)) < 0 || (r = parse_literal(p, "null")) < 0)
			return r;
		break;
	default:
		if ((r = new_node(p, &idx, PC_JSON_NUMBER)) < 0 || (r = parse_number(p, idx)) < 0)
			return r;
		break;
	}
	if (p->doc->nodes[idx].type != PC_JSON_STRING && p->doc->nodes[idx].type != PC_JSON_NUMBER)
		p->doc->nodes[idx].len = p->pos - p->doc->nodes[idx].start;
	p->doc->nodes[idx].end = p->doc->n;
	return 0;
}

int pc_json_parse(pc_json_doc *doc, const char *text, size_t len, pc_error *err)
{
	parser p;
	int r;

	doc->text = text;
	doc->textlen = len;
	doc->n = 0;
	p.doc = doc;
	p.s = (const unsigned char *)text;
	p.len = len;
	p.pos = 0;
	p.depth = 0;
	p.err = err;
	skip_ws(&p);
	if ((r = parse_value(&p)) < 0)
		goto fail;
	skip_ws(&p);
	if (p.pos != len) {
		r = fail(&p, "trailing characters after the value");
		goto fail;
	}
	return 0;
fail:
	doc->n = 0;
	return r;
}

void pc_json_doc_release(pc_json_doc *doc)
{
	if (!doc)
		return;
	free(doc->nodes);
	doc->nodes = NULL;
	doc->n = doc->alloc = 0;
	doc->text = NULL;
	doc->textlen = 0;
}

/* Append code point u as UTF-8. */
static void put_utf8(pc_buf *out, unsigned long u)
{
	char b[4];

	if (u < 0x80) {
		b[0] = (char)u;
		pc_buf_put(out, b, 1);
	} else if (u < 0x800) {
		b[0] = (char)(0xc0 | u >> 6);
		b[1] = (char)(0x80 | (u & 0x3f));
		pc_buf_put(out, b, 2);
	} else if (u < 0x10000) {
		b[0] = (char)(0xe0 | u >> 12);
		b[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		b[2] = (char)(0x80 | (u & 0x3f));
		pc_buf_put(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | u >> 18);
		b[1] = (char)(0x80 | ((u >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((u >> 6) & 0x3f));
		b[3] = (char)(0x80 | (u & 0x3f));
		pc_buf_put(out, b, 4);
	}
}

/* The string node was validated by the parser, so escapes are well formed. */
int pc_json_string_decode(pc_buf *out, const pc_json_doc *doc, size_t idx)
{
	const pc_json_node *node;
	const unsigned char *s;
	size_t i, run;
	unsigned u, lo;
	char c;

	if (idx >= doc->n || doc->nodes[idx].type != PC_JSON_STRING)
		return PC_EINVAL;
	node = &doc->nodes[idx];
	s = (const unsigned char *)doc->text + node->start;
	if (!node->escaped)
		return pc_buf_put(out, s, node->len);
	for (i = 0; i < node->len;) {
		for (run = i; run < node->len && s[run] != '\\'; run++)
			;
		if (run > i) {
			pc_buf_put(out, s + i, run - i);
			i = run;
			continue;
		}
		switch (s[i + 1]) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': c = 0; break;
		default: c = (char)s[i + 1]; break;
		}
		if (s[i + 1] != 'u') {
			pc_buf_putc(out, c);
			i += 2;
			continue;
		}
		hex4(s + i + 2, &u);
		i += 6;
		if (u >= 0xd800 && u <= 0xdbff) {
			hex4(s + i + 2, &lo);
			i += 6;
			put_utf8(out, 0x10000 + ((unsigned long)(u - 0xd800) << 10) + (lo - 0xdc00));
		} else if (u >= 0xdc80 && u <= 0xdcff) {
			pc_buf_putc(out, (char)(u - 0xdc00));
		} else {
			put_utf8(out, u);
		}
	}
	return pc_buf_error(out);
}

int pc_json_string_equals(const pc_json_doc *doc, size_t idx, const char *s)
{
	pc_buf b = PC_BUF_INIT;
	size_t n = strlen(s);
	int eq;

	if (idx >= doc->n || doc->nodes[idx].type != PC_JSON_STRING)
		return 0;
	if (!doc->nodes[idx].escaped)
		return doc->nodes[idx].len == n && !memcmp(doc->text + doc->nodes[idx].start, s, n);
	if (pc_json_string_decode(&b, doc, idx) < 0) {
		pc_buf_release(&b);
		return 0;
	}
	eq = b.len == n && !memcmp(b.ptr, s, n);
	pc_buf_release(&b);
	return eq;
}

int pc_json_u64(uint64_t *out, const pc_json_doc *doc, size_t idx)
{
	const pc_json_node *node;
	uint64_t v = 0;
	size_t i;

	if (idx >= doc->n || doc->nodes[idx].type != PC_JSON_NUMBER)
		return PC_EINVAL;
	node = &doc->nodes[idx];
	for (i = 0; i < node->len; i++) {
		char c = doc->text[node->start + i];
		if (c < '0' || c > '9')
			return PC_EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
			return PC_ELIMIT;
		v = v * 10 + (uint64_t)(c - '0');
	}
	*out = v;
	return 0;
}

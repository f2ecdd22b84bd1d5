/*
 * glob.c: the one glob matcher (see glob.h for the dialects).
 *
 * A backtracking matcher that tries every split of the name at every `*`
 * is exponential in the number of stars: "feature/ *-*-*-*z" (without the
 * space) against a long ref name took seconds.  Here a pattern without
 * `**` is matched greedily, remembering only the last `*`: when the rest
 * fails, that star takes one more byte.  Earlier stars never need to be
 * revisited, since the last star can take anything they could have taken
 * (and under PC_GLOB_PATHNAME nothing can cross a '/', so reaching a '/'
 * in the pattern drops the backtrack point).  That is O(pattern x name)
 * at worst and linear in practice.
 *
 * `**` mixes a star that crosses '/' with ones that do not, where one
 * backtrack point is not enough; such patterns are compiled to a list of
 * nodes and simulated as a set of states, one bit per node, one step per
 * byte of the name: O(nodes / 64) word operations per byte.
 */
#include "config.h"
#include "glob.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { T_BYTE, T_ANY, T_CLASS, T_STAR, T_DSTAR, T_BAD };

/*
 * The class starting at p[0] == '[' (n bytes available): its length with
 * both brackets, 0 when it is not closed.  With c >= 0, *in says whether
 * byte c is in it.
 */
static size_t class_scan(const char *p, size_t n, int c, int *in)
{
	size_t i = 1;
	int negate = 0, ok = 0;
	unsigned char lo, hi;

	if (i < n && (p[i] == '!' || p[i] == '^')) {
		negate = 1;
		i++;
	}
	if (i < n && p[i] == ']') {
		ok |= c == ']';
		i++;
	}
	while (i < n && p[i] != ']') {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		lo = (unsigned char)p[i];
		if (i + 2 < n && p[i + 1] == '-' && p[i + 2] != ']') {
			hi = (unsigned char)p[i + 2];
			ok |= c >= lo && c <= hi;
			i += 3;
		} else {
			ok |= c == lo;
			i++;
		}
	}
	if (i >= n)
		return 0;
	if (in)
		*in = ok ^ negate;
	return i + 1;
}

/* The token at p[i] (i < n): its kind, its byte for T_BYTE; returns its length. */
static size_t token(const char *p, size_t n, size_t i, unsigned flags, int *kind, unsigned char *byte)
{
	size_t j;

	switch (p[i]) {
	case '*':
		for (j = i; j < n && p[j] == '*'; j++)
			;
		*kind = j - i > 1 && (flags & PC_GLOB_PATHNAME) ? T_DSTAR : T_STAR;
		return j - i;
	case '?':
		*kind = T_ANY;
		return 1;
	case '[':
		if (!(flags & PC_GLOB_CLASS))
			break;
		j = class_scan(p + i, n - i, -1, NULL);
		*kind = j ? T_CLASS : T_BAD;
		return j ? j : 1;
	case '\\':
		if (!(flags & PC_GLOB_ESCAPE) || i + 1 == n)
			break;
		*kind = T_BYTE;
		*byte = (unsigned char)p[i + 1];
		return 2;
	}
	*kind = T_BYTE;
	*byte = (unsigned char)p[i];
	return 1;
}

/* Whether the single-byte token at p[i] (T_ANY or T_CLASS) takes byte c. */
static int takes(const char *p, size_t n, size_t i, int kind, unsigned flags, unsigned char c)
{
	int in = 0;

	if ((flags & PC_GLOB_PATHNAME) && c == '/')
		return 0;
	if (kind == T_ANY)
		return 1;
	class_scan(p + i, n - i, c, &in);
	return in;
}

static int has_dstar(const char *p, size_t n, unsigned flags)
{
	size_t i, len;
	int kind;
	unsigned char b;

	if (!(flags & PC_GLOB_PATHNAME))
		return 0;
	for (i = 0; i < n; i += len) {
		len = token(p, n, i, flags, &kind, &b);
		if (kind == T_DSTAR)
			return 1;
	}
	return 0;
}

static int match_greedy(const char *p, size_t plen, const char *s, size_t slen, unsigned flags)
{
	size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0, len;
	int path = (flags & PC_GLOB_PATHNAME) != 0, kind;
	unsigned char b = 0;

	while (si < slen) {
		if (pi < plen) {
			len = token(p, plen, pi, flags, &kind, &b);
			switch (kind) {
			case T_STAR:
				pi += len;
				star_p = pi;
				star_s = si;
				continue;
			case T_ANY:
			case T_CLASS:
				if (takes(p, plen, pi, kind, flags, (unsigned char)s[si])) {
					pi += len;
					si++;
					continue;
				}
				break;
			case T_BYTE:
				if (b == (unsigned char)s[si]) {
					pi += len;
					si++;
					/* no star before a '/' can take more than it did */
					if (path && b == '/')
						star_p = SIZE_MAX;
					continue;
				}
				break;
			default:
				return 0;
			}
		}
		if (star_p == SIZE_MAX || (path && s[star_s] == '/'))
			return 0;
		si = ++star_s;
		pi = star_p;
	}
	for (; pi < plen; pi += len) {
		len = token(p, plen, pi, flags, &kind, &b);
		if (kind != T_STAR)
			return 0;
	}
	return 1;
}

/* Pattern nodes for the state-set simulation. */
enum { N_BYTE, N_ANY, N_CLASS, N_STAR, N_DSTAR, N_SKIP };

typedef struct nfa_node {
	unsigned char kind, byte;
	uint16_t arg;		/* N_CLASS: the offset of its [ in the pattern */
} nfa_node;

/* One bit per node, and one for the end of the pattern. */
#define NFA_WORDS ((PC_GLOB_REF_MAX + 1 + 63) / 64)

typedef struct nfa {
	nfa_node node[PC_GLOB_REF_MAX];
	size_t nn, words;
	uint64_t star[NFA_WORDS];	/* N_STAR: takes any byte but '/' and stays */
	uint64_t dstar[NFA_WORDS];	/* N_DSTAR: takes any byte and stays */
	uint64_t eps1[NFA_WORDS];	/* reaches the next node without a byte */
	uint64_t skip[NFA_WORDS];	/* N_SKIP: reaches the node after "**" + "/" */
	uint64_t takes[256][NFA_WORDS];	/* per byte: the nodes that take it and move on */
	unsigned char built[256];
} nfa;

static inline void bit_set(uint64_t *v, size_t i)
{
	v[i / 64] |= 1ULL << (i % 64);
}

/* The nodes that take byte c and move to the next node. */
static const uint64_t *nfa_takes(nfa *a, const char *p, size_t plen, unsigned char c)
{
	uint64_t *t = a->takes[c];
	size_t q;
	int in;

	if (a->built[c])
		return t;
	memset(t, 0, a->words * sizeof(*t));
	for (q = 0; q < a->nn; q++) {
		const nfa_node *n = &a->node[q];
		in = 0;
		if (n->kind == N_BYTE)
			in = n->byte == c;
		else if (n->kind == N_ANY)
			in = c != '/';
		else if (n->kind == N_CLASS && c != '/')
			class_scan(p + n->arg, plen - n->arg, c, &in);
		if (in)
			bit_set(t, q);
	}
	a->built[c] = 1;
	return t;
}

/*
 * Add to v what its nodes reach without a byte.  Such edges go 1 or 3
 * nodes forward, so the words can be done in order, each until it no
 * longer grows, taking the carry from the word before.
 */
static void nfa_close(const nfa *a, uint64_t *v)
{
	uint64_t c1 = 0, c3 = 0, x, add;
	size_t i;

	for (i = 0; i < a->words; i++) {
		for (;;) {
			add = ((v[i] & a->eps1[i]) << 1 | c1) | ((v[i] & a->skip[i]) << 3 | c3);
			if (!(add & ~v[i]))
				break;
			v[i] |= add;
		}
		x = v[i] & a->eps1[i];
		c1 = x >> 63;
		x = v[i] & a->skip[i];
		c3 = x >> 61;
	}
}

static int nfa_compile(nfa *a, const char *p, size_t plen, unsigned flags)
{
	size_t nn = 0, pi, len;
	int kind;
	unsigned char b = 0;

	for (pi = 0; pi < plen; pi += len) {
		len = token(p, plen, pi, flags, &kind, &b);
		switch (kind) {
		case T_BAD:
			return -1;
		case T_DSTAR:
			if (pi + len < plen && p[pi + len] == '/') {
				/* "**" + "/" also matches nothing at all: skip both */
				a->node[nn].kind = N_SKIP;
				bit_set(a->skip, nn);
				bit_set(a->eps1, nn++);
			}
			a->node[nn].kind = N_DSTAR;
			bit_set(a->dstar, nn);
			bit_set(a->eps1, nn++);
			break;
		case T_STAR:
			a->node[nn].kind = N_STAR;
			bit_set(a->star, nn);
			bit_set(a->eps1, nn++);
			break;
		case T_ANY:
			a->node[nn++].kind = N_ANY;
			break;
		case T_CLASS:
			a->node[nn].kind = N_CLASS;
			a->node[nn++].arg = (uint16_t)pi;
			break;
		default:
			a->node[nn].kind = N_BYTE;
			a->node[nn++].byte = b;
		}
	}
	a->nn = nn;
	return 0;
}

/*
 * Bit-parallel: cur has a bit for every node the pattern can be at after
 * the bytes read so far; each byte of the name is a few word operations
 * per 64 nodes.
 */
static int match_nfa(const char *p, size_t plen, const char *s, size_t slen, unsigned flags)
{
	static __thread nfa a;
	uint64_t v[2][NFA_WORDS], *cur, *next, any, carry, x;
	const uint64_t *t;
	size_t si, i, w;
	unsigned char c;

	if (plen > PC_GLOB_REF_MAX)
		return 0;	/* pc_glob_valid refuses such patterns */
	w = (plen + 1 + 63) / 64;
	memset(a.star, 0, sizeof(a.star));
	memset(a.dstar, 0, sizeof(a.dstar));
	memset(a.eps1, 0, sizeof(a.eps1));
	memset(a.skip, 0, sizeof(a.skip));
	memset(a.built, 0, sizeof(a.built));
	a.words = w;
	if (nfa_compile(&a, p, plen, flags) < 0)
		return 0;
	memset(v[0], 0, w * sizeof(*v[0]));
	bit_set(v[0], 0);
	nfa_close(&a, v[0]);
	for (si = 0; si < slen; si++) {
		c = (unsigned char)s[si];
		t = nfa_takes(&a, p, plen, c);
		cur = v[si & 1];
		next = v[!(si & 1)];
		carry = 0;
		any = 0;
		for (i = 0; i < w; i++) {
			x = cur[i] & t[i];
			next[i] = x << 1 | carry | (cur[i] & a.dstar[i]);
			if (c != '/')
				next[i] |= cur[i] & a.star[i];
			carry = x >> 63;
			any |= next[i];
		}
		if (!any)
			return 0;
		nfa_close(&a, next);
	}
	cur = v[slen & 1];
	return (cur[a.nn / 64] >> (a.nn % 64)) & 1;
}

int pc_glob_matchn(const char *pattern, size_t plen, const char *name, size_t nlen, unsigned flags)
{
	if (has_dstar(pattern, plen, flags))
		return match_nfa(pattern, plen, name, nlen, flags);
	return match_greedy(pattern, plen, name, nlen, flags);
}

int pc_glob_match(const char *pattern, const char *name)
{
	return pc_glob_matchn(pattern, strlen(pattern), name, strlen(name), PC_GLOB_REF);
}

int pc_is_glob(const char *pattern)
{
	return strpbrk(pattern, "*?[") != NULL;
}

int pc_glob_valid(const char *pattern, const char **why)
{
	size_t n = strlen(pattern), i, len;
	int kind;
	unsigned char b;

	if (!n) {
		*why = "empty pattern";
		return 0;
	}
	if (n >= PC_GLOB_REF_MAX) {
		*why = "pattern too long (1024 bytes or more)";
		return 0;
	}
	for (i = 0; i < n; i += len) {
		len = token(pattern, n, i, PC_GLOB_REF, &kind, &b);
		if (kind == T_BAD) {
			*why = "unterminated [ character class";
			return 0;
		}
		if (pattern[i] == '\\' && len == 1) {
			*why = "pattern ends with a backslash";
			return 0;
		}
	}
	return 1;
}

int pc_glob_match_list(const char *s, const char *list)
{
	size_t len = strlen(list), slen = strlen(s), i = 0, start;
	int got = 0, neg;

	while (i < len) {
		neg = list[i] == '!';
		if (neg)
			i++;
		for (start = i; i < len && list[i] != ','; i++)
			;
		if (i - start >= PC_GLOB_SSH_ELEM_MAX)
			return 0;
		if (pc_glob_matchn(list + start, i - start, s, slen, PC_GLOB_SSH)) {
			if (neg)
				return -1;
			got = 1;
		}
		if (i < len)
			i++;	/* the comma */
	}
	return got;
}

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
 * nodes and simulated as a set of states (one flag per node), one step
 * per byte of the name: O(nodes) per byte, never more.
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
	uint16_t arg;		/* N_CLASS: offset of its '['; N_SKIP: the node after "**" + "/" */
} nfa_node;

/*
 * Add what the states on[from..*hi] reach without a byte.  Such edges only
 * go forward, so one pass in index order is enough; *hi grows as it goes.
 */
static void nfa_close(const nfa_node *node, size_t nn, unsigned char *on, size_t from, size_t *hi)
{
	size_t q;

	for (q = from; q <= *hi && q < nn; q++) {
		if (!on[q])
			continue;
		switch (node[q].kind) {
		case N_SKIP:
			on[node[q].arg] = 1;
			if (node[q].arg > *hi)
				*hi = node[q].arg;
			/* fall through */
		case N_STAR:
		case N_DSTAR:
			on[q + 1] = 1;
			if (q + 1 > *hi)
				*hi = q + 1;
			break;
		}
	}
}

static int match_nfa(const char *p, size_t plen, const char *s, size_t slen, unsigned flags)
{
	nfa_node node[PC_GLOB_REF_MAX + 1];
	unsigned char on[2][PC_GLOB_REF_MAX + 2];
	size_t nn = 0, pi, len, si, q, lo, hi, nlo, nhi, to;
	int kind, cur = 0, in;
	unsigned char b = 0, c;

	if (plen > PC_GLOB_REF_MAX)
		return 0;	/* pc_glob_valid refuses such patterns */
	for (pi = 0; pi < plen; pi += len) {
		len = token(p, plen, pi, flags, &kind, &b);
		switch (kind) {
		case T_BAD:
			return 0;
		case T_DSTAR:
			if (pi + len < plen && p[pi + len] == '/') {
				/* "**" + "/" also matches nothing at all: skip both */
				node[nn].kind = N_SKIP;
				node[nn].arg = (uint16_t)(nn + 3);
				nn++;
			}
			node[nn++].kind = N_DSTAR;
			break;
		case T_STAR:
			node[nn++].kind = N_STAR;
			break;
		case T_ANY:
			node[nn++].kind = N_ANY;
			break;
		case T_CLASS:
			node[nn].kind = N_CLASS;
			node[nn++].arg = (uint16_t)pi;
			break;
		default:
			node[nn].kind = N_BYTE;
			node[nn++].byte = b;
		}
	}
	/* on[cur][q]: the pattern up to node q matches the name so far; lo..hi bound them */
	memset(on[cur], 0, nn + 1);
	on[cur][0] = 1;
	lo = hi = 0;
	nfa_close(node, nn, on[cur], lo, &hi);
	for (si = 0; si < slen; si++) {
		c = (unsigned char)s[si];
		memset(on[!cur], 0, nn + 1);
		nlo = SIZE_MAX;
		nhi = 0;
		for (q = lo; q <= hi && q < nn; q++) {
			if (!on[cur][q])
				continue;
			to = SIZE_MAX;
			switch (node[q].kind) {
			case N_BYTE:
				if (node[q].byte == c)
					to = q + 1;
				break;
			case N_ANY:
				if (c != '/')
					to = q + 1;
				break;
			case N_CLASS:
				in = 0;
				if (c != '/')
					class_scan(p + node[q].arg, plen - node[q].arg, c, &in);
				if (in)
					to = q + 1;
				break;
			case N_STAR:
				if (c != '/')
					to = q;
				break;
			case N_DSTAR:
				to = q;
				break;
			}
			if (to == SIZE_MAX)
				continue;
			on[!cur][to] = 1;
			if (to < nlo)
				nlo = to;
			if (to > nhi)
				nhi = to;
		}
		if (nlo == SIZE_MAX)
			return 0;
		cur = !cur;
		lo = nlo;
		hi = nhi;
		nfa_close(node, nn, on[cur], lo, &hi);
	}
	return on[cur][nn];
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

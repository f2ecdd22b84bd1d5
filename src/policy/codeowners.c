/*
 * codeowners.c: CODEOWNERS parsing and fast matching.
 *
 * A pattern is compiled once into a sequence of elements, each matching
 * path components: a literal component, a glob over one component, ONE
 * (any single component) or STAR (any number of components, possibly none).
 * Gitignore's rules become element sequences (a '/' directly before a '*'
 * is written '|' here, since a C comment cannot hold it):
 *
 *   foo        STAR foo STAR        (no slash: any depth, and owns what is below)
 *   /foo, a/b  foo STAR, a b STAR   (anchored)
 *   foo/       STAR foo ONE STAR    (directories only: something must be below)
 *   docs|*     docs ONE             (GitHub: a last "*" does not reach deeper)
 *   a|**       a ONE STAR           (a trailing "**" is everything inside)
 *   a|**|b     a STAR b STAR        (a middle or leading "**" is zero or more)
 *   *, **      ONE STAR             (everything)
 *
 * Sequences are matched with the classic greedy wildcard algorithm, which is
 * linear in practice and O(elements x components) at worst, so a hostile
 * pattern cannot make a push slow.
 *
 * Since the last matching line wins, matching a path means finding, per
 * section, the highest rule index that matches.  Rules of common shapes are
 * decided by hash lookups alone: literal prefixes ("/a/b", "/a/b/") keyed
 * by path, basenames ("foo", "foo/") keyed by component, extensions
 * ("*.js") keyed by what follows the last dot.  Every other rule is a
 * candidate filed under something a matching path must contain (its
 * literal prefix, a literal component, a glob's extension, literal head or
 * tail) and is run through the matcher only when the path has it, and when
 * a 64-bit summary of the path's components has every literal the rule
 * needs.  What has no such key is tried newest first, stopping as soon as a
 * newer rule of the same section already matched.  The property test in
 * tests/unit/test-codeowners.c holds all this to trying every rule.
 */
#include "config.h"
#include "codeowners.h"
#include "buf.h"
#include "repo.h"

#include <stdlib.h>
#include <string.h>

/*
 * GitHub looks in .github/, the root, then docs/ and takes the first found,
 * so a stray root file cannot take over from .github/CODEOWNERS.  GitLab's
 * own order is the root, docs/, then .gitlab/; its directory comes last here.
 */
const char *const pc_codeowners_default_paths[4] = {
	".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"
};

#define MAX_APPROVALS 100

/* ------------------------------------------------------------------ */
/* Hash tables keyed by byte strings, with lists of rule indices.      */

/*
 * Strings are hashed eight bytes at a time.  A path prefix "a/b/c" is
 * hashed as the fold of its components' hashes, so that matching a path
 * hashes each byte once and gets the hash of every prefix along the way.
 */
#define HASH_K1 0x9e3779b97f4a7c15ULL
#define HASH_K2 0xbf58476d1ce4e5b9ULL

static inline uint64_t hash_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * HASH_K1;
	return h ^ (h >> 31);
}

static inline uint64_t load64(const char *s)
{
	uint64_t w;

	memcpy(&w, s, 8);
	return w;
}

static inline uint32_t load32(const char *s)
{
	uint32_t w;

	memcpy(&w, s, 4);
	return w;
}

/*
 * The last, partial word is read as overlapping loads that stay inside
 * s[0..n): with the length mixed in, equal strings hash equal.
 */
static inline uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = (uint64_t)n * HASH_K2, w;
	const char *end = s + n;

	if (n > 8) {
		for (; end - s > 8; s += 8)
			h = hash_mix(h, load64(s));
		w = load64(end - 8);
	} else if (n >= 4) {
		w = (uint64_t)load32(s) << 32 | load32(end - 4);
	} else if (n) {
		w = (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[n / 2] << 8 |
			(unsigned char)s[n - 1];
	} else {
		w = 0;
	}
	h = hash_mix(h, w);
	h = (h ^ (h >> 29)) * HASH_K2;
	return h ^ (h >> 32);
}

/* Equality of short strings without a library call: keys and components are short. */
static inline int key_eq(const char *a, const char *b, size_t n)
{
	if (n > 16)
		return !memcmp(a, b, n);
	if (n >= 8)
		return load64(a) == load64(b) && load64(a + n - 8) == load64(b + n - 8);
	if (n >= 4)
		return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
	return !n || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* The hash of a prefix, from the hash of the prefix before it (0 for none) and of its last component. */
static inline uint64_t hash_prefix(uint64_t prefix, uint64_t comp)
{
	return hash_mix(prefix + HASH_K2, comp);
}

static uint64_t hash_path(const char *s, size_t n)
{
	uint64_t h = 0;
	const char *slash;
	size_t k;

	for (;;) {
		slash = memchr(s, '/', n);
		k = slash ? (size_t)(slash - s) : n;
		h = hash_prefix(h, hash_bytes(s, k));
		if (!slash)
			return h;
		s += k + 1;
		n -= k + 1;
	}
}

/*
 * A rule as the index lists it: with its section and the Bloom bits a path
 * must have, so that a rule can be ruled out without reading it.
 */
typedef struct co_ref {
	uint32_t rule, section;
	uint64_t need;
} co_ref;

typedef struct co_list {
	co_ref *v;
	size_t n, alloc;
} co_list;

/* What a table entry's key must be, relative to the path, for its rules to apply. */
enum {
	L_EXACT,	/* the whole path (prefix table) */
	L_ANY,		/* the path or an ancestor; any component; any component's extension */
	L_BELOW,	/* an ancestor; a component that is not the last */
	L_CAND,		/* rules to try with the full matcher when the key occurs */
	L_COUNT
};

typedef struct co_entry {
	char *key;
	size_t len;
	co_list l[L_COUNT];
} co_entry;

/* Probing reads only these 16 bytes per slot, so a lookup stays in cache. */
typedef struct co_slot {
	uint64_t hash;
	uint32_t len;
	uint32_t entry;		/* 1 + index into entries; 0 = free */
} co_slot;

typedef struct co_map {
	co_slot *slots;
	size_t cap;
	co_entry *entries;
	size_t n, alloc;
	unsigned lens;		/* bit k set: some key is k bytes long (k < 32) */
	/* After map_seal: one bit per key hash, about 8 bits per key, so that
	   most absent keys are known absent without probing the table. */
	uint64_t *filter;
	uint64_t filter_mask;
} co_map;

static int list_push(co_list *l, uint32_t rule, size_t section, uint64_t need)
{
	if (pc_grow((void **)&l->v, &l->alloc, l->n + 1, sizeof(*l->v)) < 0)
		return PC_ENOMEM;
	l->v[l->n].rule = rule;
	l->v[l->n].section = (uint32_t)section;
	l->v[l->n].need = need;
	l->n++;
	return 0;
}

static void map_clear(co_map *m)
{
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		free(m->entries[i].key);
		for (j = 0; j < L_COUNT; j++)
			free(m->entries[i].l[j].v);
	}
	free(m->entries);
	free(m->slots);
	free(m->filter);
	memset(m, 0, sizeof(*m));
}

static inline int filter_has(const co_map *m, uint64_t hash)
{
	uint64_t bit = (hash >> 32) & m->filter_mask;

	return (m->filter[bit / 64] >> (bit % 64)) & 1;
}

static inline co_entry *map_find(const co_map *m, uint64_t hash, const char *key, size_t len)
{
	const co_slot *sl;
	size_t i;

	if (!m->n || (m->filter && !filter_has(m, hash)))
		return NULL;
	for (i = hash & (m->cap - 1); (sl = &m->slots[i])->entry; i = (i + 1) & (m->cap - 1))
		if (sl->hash == hash && sl->len == len && key_eq(m->entries[sl->entry - 1].key, key, len))
			return &m->entries[sl->entry - 1];
	return NULL;
}

static int map_resize(co_map *m, size_t cap)
{
	co_slot *slots = pc_calloc(cap, sizeof(*slots));
	size_t i, j;

	if (!slots)
		return PC_ENOMEM;
	for (i = 0; i < m->cap; i++) {
		if (!m->slots[i].entry)
			continue;
		for (j = m->slots[i].hash & (cap - 1); slots[j].entry; j = (j + 1) & (cap - 1))
			;
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

/* Build the filter once every key is in; map_get must not follow. */
static int map_seal(co_map *m)
{
	size_t bits = 512, i;
	uint64_t bit;

	while (bits < m->n * 8)
		bits *= 2;
	if (!(m->filter = pc_calloc(bits / 64, sizeof(*m->filter))))
		return PC_ENOMEM;
	m->filter_mask = bits - 1;
	for (i = 0; i < m->cap; i++) {
		if (!m->slots[i].entry)
			continue;
		bit = (m->slots[i].hash >> 32) & m->filter_mask;
		m->filter[bit / 64] |= 1ULL << (bit % 64);
	}
	return 0;
}

/* The entry for key, added when missing.  Valid until the next map_get. */
static co_entry *map_get(co_map *m, const char *key, size_t len, uint64_t hash)
{
	co_entry *e = map_find(m, hash, key, len);
	size_t i;

	if (e)
		return e;
	if (len > UINT32_MAX || m->n >= UINT32_MAX - 1)
		return NULL;
	if (((m->n + 1) * 2 > m->cap && map_resize(m, m->cap ? m->cap * 2 : 16) < 0) ||
	    pc_grow((void **)&m->entries, &m->alloc, m->n + 1, sizeof(*m->entries)) < 0)
		return NULL;
	e = &m->entries[m->n];
	memset(e, 0, sizeof(*e));
	if (!(e->key = pc_strndup(key, len)))
		return NULL;
	e->len = len;
	for (i = hash & (m->cap - 1); m->slots[i].entry; i = (i + 1) & (m->cap - 1))
		;
	m->slots[i].hash = hash;
	m->slots[i].len = (uint32_t)len;
	m->slots[i].entry = (uint32_t)++m->n;
	if (len < 32)
		m->lens |= 1u << len;
	return e;
}

/* ------------------------------------------------------------------ */
/* Compiled patterns.                                                  */

enum { E_LIT, E_GLOB, E_ONE, E_STAR };

typedef struct co_elem {
	unsigned char kind;
	unsigned char star_tail;	/* E_GLOB that is "*" then its literal tail */
	const char *text;	/* E_LIT: unescaped; E_GLOB: as written */
	size_t len;
	/* E_GLOB: the unescaped literal text before its first and after its last
	   wildcard, and its longest literal run */
	const char *head, *tail, *run;
	size_t head_len, tail_len, run_len;
} co_elem;

typedef struct co_pat {
	co_elem *elems;		/* one allocation holding the elements and their text */
	size_t n;
	size_t nlit;		/* leading E_LIT elements */
	uint64_t need;		/* Bloom bits of its literal components (see bloom_bit) */
	const char *must;	/* text any matching path contains (a glob's literal run) */
	size_t must_len;
	uint64_t must_bytes;	/* its bytes, as byte_bit() bits */
} co_pat;

/* Bytes present in a path, folded into 64 bits: a cheap test before searching for text. */
static inline uint64_t byte_bit(unsigned char c)
{
	return 1ULL << (c & 63);
}

#define ELEM(k) ((co_elem){ (k), 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0 })

/*
 * A path's components are summarised in 64 bits, one bit per component
 * hash; a rule whose literal components are not all in the summary cannot
 * match, which rules a candidate out without running the matcher.
 */
static inline uint64_t bloom_bit(uint64_t hash)
{
	return 1ULL << (hash >> 58);
}

static int elem_match(const co_elem *e, const char *s, size_t n)
{
	switch (e->kind) {
	case E_LIT:
		return e->len == n && key_eq(e->text, s, n);
	case E_ONE:
		return 1;
	case E_GLOB:
		if (n < e->head_len + e->tail_len || !key_eq(s, e->head, e->head_len) ||
		    !key_eq(s + n - e->tail_len, e->tail, e->tail_len))
			return 0;
		return e->star_tail || pc_glob_matchn(e->text, e->len, s, n, PC_GLOB_CODEOWNERS);
	}
	return 0;
}

/*
 * The end of the component starting at byte pos, which is component j:
 * from the table of component ends when the caller made one.
 */
static inline size_t comp_end(const char *path, size_t len, const uint32_t *ends, size_t j, size_t pos)
{
	const char *slash;

	if (ends)
		return ends[j];
	slash = memchr(path + pos, '/', len - pos);
	return slash ? (size_t)(slash - path) : len;
}

/*
 * Match elements against the components of path[pos..len), pos being the
 * start of component j (pos > len: no components left).  Greedy, with
 * backtracking to the last STAR only, which is exact for sequences of
 * single-component matchers and stars.
 */
static int elems_match(const co_elem *e, size_t n, const char *path, size_t len,
	const uint32_t *ends, size_t pos, size_t j)
{
	size_t i = 0, star_i = SIZE_MAX, star_pos = 0, star_j = 0, end;

	for (;;) {
		if (pos > len) {
			while (i < n && e[i].kind == E_STAR)
				i++;
			if (i == n)
				return 1;
		} else if (i < n && e[i].kind == E_STAR) {
			star_i = ++i;
			star_pos = pos;
			star_j = j;
			continue;
		} else if (i < n) {
			end = comp_end(path, len, ends, j, pos);
			if (elem_match(&e[i], path + pos, end - pos)) {
				i++;
				pos = end + 1;
				j++;
				continue;
			}
		}
		if (star_i == SIZE_MAX || star_pos > len)
			return 0;
		star_pos = comp_end(path, len, ends, star_j, star_pos) + 1;
		star_j++;
		pos = star_pos;
		j = star_j;
		i = star_i;
	}
}

static uint64_t bytes_of(const char *s, size_t n)
{
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bytes |= byte_bit((unsigned char)s[i]);
	return bytes;
}

/*
 * Whether the path contains the literal text the rule needs, before trying
 * the rule.  *bytes summarises the path's bytes, computed on first use.
 */
static int may_match(const co_pat *p, const char *path, size_t len, uint64_t *bytes)
{
	size_t m = p->must_len;
	const char *at;

	if (!m)
		return 1;
	if (!*bytes)
		*bytes = bytes_of(path, len) | 1;
	if (p->must_bytes & ~*bytes || m > len)
		return 0;
	for (at = path; (at = memchr(at, p->must[0], (size_t)(path + len - at))) &&
	     (size_t)(path + len - at) >= m; at++)
		if (at[m - 1] == p->must[m - 1] && key_eq(at, p->must, m))
			return 1;
	return 0;
}

static void pat_free(co_pat *p)
{
	if (p) {
		free(p->elems);
		p->elems = NULL;
		p->n = p->nlit = 0;
	}
}

struct seg {
	size_t off, len;
};

static int has_wildcard(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '*' || s[i] == '?')
			return 1;
	}
	return 0;
}

static size_t unescape(char *out, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		out[o++] = s[i];
	}
	return o;
}

/*
 * Check a pattern and split it at unescaped '/'.  segs may
 * be NULL to count only.  On a syntax error, *col is the 0-based offset and
 * `why` the message.
 */
static int pat_split(const char *raw, size_t len, struct seg *segs, size_t *nsegs,
	int *leading_slash, int *trailing_slash, size_t *col, char *why, size_t whylen)
{
	size_t i, start = 0, n = 0;

	*leading_slash = len && raw[0] == '/';
	*trailing_slash = 0;
	for (i = 0; i <= len; i++) {
		if (i == len || raw[i] == '/') {
			if (i > start) {
				if (segs) {
					segs[n].off = start;
					segs[n].len = i - start;
				}
				n++;
			}
			if (i == len)
				*trailing_slash = len > 0 && start == len;
			start = i + 1;
			continue;
		}
		if (raw[i] == '\\') {
			if (i + 1 == len) {
				*col = i;
				snprintf(why, whylen, "pattern ends with a backslash; "
					"escape a trailing space as '\\ ' or remove the backslash");
				return PC_EINVAL;
			}
			if (raw[i + 1] == '/') {
				*col = i;
				snprintf(why, whylen, "'\\/' is not allowed in a pattern; write '/' without the backslash");
				return PC_EINVAL;
			}
			i++;
		}
	}
	if (!n) {
		*col = 0;
		snprintf(why, whylen, "pattern names no path; use * to match every file");
		return PC_EINVAL;
	}
	*nsegs = n;
	return 0;
}

/* What follows the last '.' of s, or NULL when there is no dot. */
static const char *ext_of(const char *s, size_t n, size_t *len)
{
	size_t i;

	for (i = n; i-- > 0;) {
		if (s[i] == '.') {
			*len = n - i - 1;
			return s + i + 1;
		}
	}
	return NULL;
}

/* Extensions go into a path's Bloom summary too, kept apart from component bits. */
static inline uint64_t ext_hash_salt(uint64_t h)
{
	return hash_mix(h, HASH_K2);
}

/* Put runs of ONE and STAR in canonical order: all ONEs, then at most one STAR. */
static size_t canonicalize(co_elem *e, size_t n)
{
	size_t i = 0, o = 0, ones;
	int star;

	while (i < n) {
		if (e[i].kind != E_ONE && e[i].kind != E_STAR) {
			e[o++] = e[i++];
			continue;
		}
		ones = 0;
		star = 0;
		for (; i < n && (e[i].kind == E_ONE || e[i].kind == E_STAR); i++) {
			if (e[i].kind == E_ONE)
				ones++;
			else
				star = 1;
		}
		while (ones--)
			e[o++] = ELEM(E_ONE);
		if (star)
			e[o++] = ELEM(E_STAR);
	}
	return o;
}

/*
 * Fill a glob element from segment s[0..n) (validated): its text is copied
 * to *txt, followed by its literal head, tail and longest run, unescaped.
 */
static void glob_elem(co_elem *e, const char *s, size_t n, char **txt)
{
	size_t i = 0, cur = 0, nwild = 0;
	int only_leading_stars = 1;
	char *lit, *out;

	e->kind = E_GLOB;
	e->text = *txt;
	e->len = n;
	memcpy(*txt, s, n);
	out = *txt + n;
	/* The unescaped literals, with runs split where wildcards were. */
	lit = out;
	e->head = e->tail = e->run = lit;
	while (i < n) {
		if (s[i] == '*' || s[i] == '?') {
			if (s[i] != '*' || cur || (i && !nwild))
				only_leading_stars = 0;
			i++;
			if (!nwild++)
				e->head_len = cur;
			e->tail = out;
			cur = 0;
			continue;
		}
		if (s[i] == '\\' && i + 1 < n)
			i++;
		*out++ = s[i++];
		if (++cur > e->run_len) {
			e->run = out - cur;
			e->run_len = cur;
		}
	}
	e->tail_len = nwild ? cur : 0;
	e->star_tail = (unsigned char)(only_leading_stars && s[0] == '*');
	*txt = out;
}

static int pat_compile(co_pat *out, const char *raw, size_t len, size_t *col, char *why, size_t whylen)
{
	struct seg *segs = NULL;
	size_t nsegs = 0, i, n = 0, maxn, bufsize, extlen;
	const char *ext;
	int lead, trail, anchored, allow_exact, allow_below, r;
	co_elem *e = NULL;
	char *buf, *txt;

	memset(out, 0, sizeof(*out));
	if ((r = pat_split(raw, len, NULL, &nsegs, &lead, &trail, col, why, whylen)) < 0)
		return r;
	if (!(segs = pc_calloc(nsegs, sizeof(*segs))))
		return PC_ENOMEM;
	pat_split(raw, len, segs, &nsegs, &lead, &trail, col, why, whylen);

	maxn = 2 * nsegs + 4;
	bufsize = 3 * len + 4;
	if (!(e = pc_malloc(maxn * sizeof(*e) + bufsize))) {
		r = PC_ENOMEM;
		goto done;
	}
	buf = (char *)(e + maxn);
	txt = buf;

	/* Gitignore: a slash at the start or in the middle anchors the pattern. */
	anchored = lead || nsegs > 1;
	if (!anchored && !(segs[0].len == 2 && !memcmp(raw + segs[0].off, "**", 2)))
		e[n++] = ELEM(E_STAR);
	for (i = 0; i < nsegs; i++) {
		const char *s = raw + segs[i].off;
		size_t sl = segs[i].len;

		if (sl == 2 && !memcmp(s, "**", 2)) {
			if (i + 1 == nsegs)	/* a trailing "**" needs one component inside */
				e[n++] = ELEM(E_ONE);
			e[n++] = ELEM(E_STAR);
		} else if (sl == 1 && s[0] == '*') {
			e[n++] = ELEM(E_ONE);
		} else if (!has_wildcard(s, sl)) {
			e[n] = ELEM(E_LIT);
			e[n].text = txt;
			e[n].len = unescape(txt, s, sl);
			txt += e[n++].len;
		} else {
			e[n] = ELEM(E_GLOB);
			glob_elem(&e[n++], s, sl, &txt);
		}
	}
	/*
	 * What may follow the matched components: a directory pattern ("x/")
	 * needs something below; GitHub documents that "docs/" + "*" does not reach
	 * into subdirectories; anything else also owns what is below it.
	 */
	allow_exact = !trail;
	allow_below = trail || !(segs[nsegs - 1].len == 1 && raw[segs[nsegs - 1].off] == '*');
	if (allow_below && !allow_exact)
		e[n++] = ELEM(E_ONE);
	if (allow_below)
		e[n++] = ELEM(E_STAR);
	n = canonicalize(e, n);

	out->elems = e;
	out->n = n;
	for (i = 0; i < n && e[i].kind == E_LIT; i++)
		out->nlit++;
	for (i = 0; i < n; i++) {
		if (e[i].kind == E_LIT)
			out->need |= bloom_bit(hash_bytes(e[i].text, e[i].len));
		if (e[i].kind == E_GLOB && (ext = ext_of(e[i].tail, e[i].tail_len, &extlen)))
			out->need |= bloom_bit(ext_hash_salt(hash_bytes(ext, extlen)));
		if (e[i].kind == E_GLOB && e[i].run_len >= 2 && e[i].run_len > out->must_len) {
			out->must = e[i].run;
			out->must_len = e[i].run_len;
		}
	}
	for (i = 0; i < out->must_len; i++)
		out->must_bytes |= byte_bit((unsigned char)out->must[i]);
	e = NULL; /* transferred */
	r = 0;
done:
	free(e);
	free(segs);
	return r;
}

int pc_codeowners_pattern_match(const char *pattern, const char *path)
{
	co_pat p;
	size_t col;
	char why[256];
	int m;

	if (!pattern || !path || !*path)
		return 0;
	if (*pattern == '!')
		pattern++;	/* an exclusion matches the paths it frees */
	if (pat_compile(&p, pattern, strlen(pattern), &col, why, sizeof(why)) < 0)
		return 0;
	m = elems_match(p.elems, p.n, path, strlen(path), NULL, 0, 0);
	pat_free(&p);
	return m;
}

/* ------------------------------------------------------------------ */
/* The parsed file and its index.                                      */

struct pc_codeowners {
	char *name;
	pc_co_section *sections;
	size_t nsections, sections_alloc;
	pc_co_rule *rules;
	co_pat *pats;			/* parallel to rules */
	size_t nrules, rules_alloc, pats_alloc;
	pc_strlist **blocks;		/* default owners per section header */
	size_t nblocks, blocks_alloc;
	co_map section_names;		/* lower-cased name -> L_EXACT = [section] */

	co_map by_prefix;		/* rules starting with literal components */
	co_map by_comp;			/* basename rules, and rules needing a literal component */
	co_map by_ext;			/* "*.ext", "*.ext/", and rules needing a component "*.ext" */
	co_map by_head;			/* rules needing a component that starts with the key */
	co_map by_tail;			/* rules needing a component that ends with the key */
	uint32_t *all;			/* per section: 1 + last rule matching everything, 0 none */
	co_list *residual;		/* per section: rules to try, newest first */
	size_t *residual_sections;	/* sections with a non-empty residual list */
	size_t nresidual_sections, residual_sections_alloc;
	uint32_t *excl;			/* exclusion rules (!pattern), in file order */
	size_t nexcl, excl_alloc;
};

size_t pc_codeowners_nsections(const pc_codeowners *co)
{
	return co ? co->nsections : 0;
}

const pc_co_section *pc_codeowners_section(const pc_codeowners *co, size_t i)
{
	return co && i < co->nsections ? &co->sections[i] : NULL;
}

size_t pc_codeowners_nrules(const pc_codeowners *co)
{
	return co ? co->nrules : 0;
}

const pc_co_rule *pc_codeowners_rule(const pc_codeowners *co, size_t i)
{
	return co && i < co->nrules ? &co->rules[i] : NULL;
}

const char *pc_codeowners_name(const pc_codeowners *co)
{
	return co ? co->name : NULL;
}

void pc_codeowners_free(pc_codeowners *co)
{
	size_t i;

	if (!co)
		return;
	for (i = 0; i < co->nsections; i++) {
		free(co->sections[i].name);
		pc_strlist_clear(&co->sections[i].default_owners);
	}
	free(co->sections);
	for (i = 0; i < co->nrules; i++) {
		free(co->rules[i].pattern);
		pc_strlist_clear(&co->rules[i].owners);
		pat_free(&co->pats[i]);
	}
	free(co->rules);
	free(co->pats);
	for (i = 0; i < co->nblocks; i++) {
		pc_strlist_clear(co->blocks[i]);
		free(co->blocks[i]);
	}
	free(co->blocks);
	map_clear(&co->section_names);
	map_clear(&co->by_prefix);
	map_clear(&co->by_comp);
	map_clear(&co->by_ext);
	map_clear(&co->by_head);
	map_clear(&co->by_tail);
	free(co->all);
	if (co->residual)
		for (i = 0; i < co->nsections; i++)
			free(co->residual[i].v);
	free(co->residual);
	free(co->residual_sections);
	free(co->excl);
	free(co->name);
	free(co);
}

static int elems_are(const co_elem *e, size_t n, const char *kinds)
{
	size_t i;

	if (strlen(kinds) != n)
		return 0;
	for (i = 0; i < n; i++) {
		int k = kinds[i] == 'L' ? E_LIT : kinds[i] == 'G' ? E_GLOB :
			kinds[i] == '1' ? E_ONE : E_STAR;
		if (e[i].kind != k)
			return 0;
	}
	return 1;
}

/* Keys on a glob's literal head or tail are this long, or this short when shorter. */
/*
 * A glob's literal head or tail is a key when it has at least AFFIX_MIN
 * bytes, cut to AFFIX_MAX; a component is looked up once per key length
 * in use.
 */
#define AFFIX_MIN 2
#define AFFIX_MAX 16

static size_t affix_len(size_t n)
{
	return n < AFFIX_MIN ? 0 : n > AFFIX_MAX ? AFFIX_MAX : n;
}

static int list_add(pc_codeowners *co, co_list *l, uint32_t r)
{
	return list_push(l, r, co->rules[r].section, co->pats[r].need);
}

static int file_under(pc_codeowners *co, co_map *m, const char *key, size_t len, int list, uint32_t r)
{
	co_entry *ent = map_get(m, key, len, hash_bytes(key, len));

	return ent ? list_add(co, &ent->l[list], r) : PC_ENOMEM;
}

/*
 * A rule that must go through the full matcher is filed under something
 * the path must contain for it to match: a literal component, else the
 * extension a glob ends with, else a glob's literal tail or head.
 */
static int file_candidate(pc_codeowners *co, uint32_t r, size_t from)
{
	const co_pat *p = &co->pats[r];
	const co_elem *e = p->elems, *g;
	size_t i, best = p->n, len, s;
	const char *key;

	for (i = from; i < p->n; i++)
		if (e[i].kind == E_LIT && (best == p->n || e[i].len > e[best].len))
			best = i;
	if (best < p->n)
		return file_under(co, &co->by_comp, e[best].text, e[best].len, L_CAND, r);
	for (i = 0; i < p->n; i++) {
		g = &e[i];
		if (g->kind == E_GLOB && (key = ext_of(g->tail, g->tail_len, &len)))
			return file_under(co, &co->by_ext, key, len, L_CAND, r);
	}
	for (i = 0; i < p->n; i++) {
		g = &e[i];
		if (g->kind == E_GLOB && (len = affix_len(g->tail_len)))
			return file_under(co, &co->by_tail, g->tail + g->tail_len - len, len, L_CAND, r);
		if (g->kind == E_GLOB && (len = affix_len(g->head_len)))
			return file_under(co, &co->by_head, g->head, len, L_CAND, r);
	}
	s = co->rules[r].section;
	if (!co->residual[s].n) {
		if (pc_grow((void **)&co->residual_sections, &co->residual_sections_alloc,
		    co->nresidual_sections + 1, sizeof(*co->residual_sections)) < 0)
			return PC_ENOMEM;
		co->residual_sections[co->nresidual_sections++] = s;
	}
	return list_add(co, &co->residual[s], r);
}

/* File rule r under the cheapest lookup that finds every path it matches. */
static int index_rule(pc_codeowners *co, uint32_t r)
{
	const co_pat *p = &co->pats[r];
	const co_elem *e = p->elems;
	size_t n = p->n, i, keylen = 0, extlen;
	const char *ext;
	co_entry *ent;
	int list;
	char *key;

	if (elems_are(e, n, "1*")) {
		size_t s = co->rules[r].section;
		if (co->all[s] < r + 1)
			co->all[s] = r + 1;
		return 0;
	}
	if (p->nlit) {
		if (elems_are(e + p->nlit, n - p->nlit, "*"))
			list = L_ANY;
		else if (elems_are(e + p->nlit, n - p->nlit, "1*"))
			list = L_BELOW;
		else if (p->nlit == n)
			list = L_EXACT;
		else if (p->nlit == 1 && p->need != bloom_bit(hash_bytes(e[0].text, e[0].len)))
			/* "/apps/ * /svc/": the later literal is the rarer key */
			return file_candidate(co, r, 1);
		else
			list = L_CAND;
		for (i = 0; i < p->nlit; i++)
			keylen += e[i].len + 1;
		if (!(key = pc_malloc(keylen)))
			return PC_ENOMEM;
		for (keylen = 0, i = 0; i < p->nlit; i++) {
			if (i)
				key[keylen++] = '/';
			memcpy(key + keylen, e[i].text, e[i].len);
			keylen += e[i].len;
		}
		ent = map_get(&co->by_prefix, key, keylen, hash_path(key, keylen));
		free(key);
		return ent ? list_add(co, &ent->l[list], r) : PC_ENOMEM;
	}
	if (elems_are(e, n, "*L*") || elems_are(e, n, "*L1*"))
		return file_under(co, &co->by_comp, e[1].text, e[1].len, n == 3 ? L_ANY : L_BELOW, r);
	/* "*.ext": a component with that extension is all it takes. */
	if ((elems_are(e, n, "*G*") || elems_are(e, n, "*G1*")) && e[1].star_tail &&
	    (ext = ext_of(e[1].tail, e[1].tail_len, &extlen)) && extlen + 1 == e[1].tail_len)
		return file_under(co, &co->by_ext, ext, extlen, n == 3 ? L_ANY : L_BELOW, r);
	return file_candidate(co, r, 0);
}

/* "SECTION/PATTERN", without printf, which cost a fifth of a parse. */
static int dedup_key(pc_buf *key, size_t section, const char *pattern)
{
	char num[24], *p = num + sizeof(num);

	do {
		*--p = (char)('0' + section % 10);
		section /= 10;
	} while (section);
	pc_buf_clear(key);
	pc_buf_put(key, p, (size_t)(num + sizeof(num) - p));
	pc_buf_putc(key, '/');
	pc_buf_puts(key, pattern);
	return pc_buf_error(key);
}

static int build_index(pc_codeowners *co)
{
	co_map seen;
	pc_buf key = PC_BUF_INIT;
	co_entry *ent;
	size_t r;
	int err = PC_ENOMEM;

	memset(&seen, 0, sizeof(seen));
	if (!(co->all = pc_calloc(co->nsections, sizeof(*co->all))) ||
	    !(co->residual = pc_calloc(co->nsections, sizeof(*co->residual))))
		goto done;
	/* Newest first, so that every list is in descending rule order. */
	for (r = co->nrules; r-- > 0;) {
		if (co->rules[r].exclude)
			continue;	/* tried apart: any one of them decides (GitLab) */
		/*
		 * An older rule with the same pattern in the same section can
		 * never be the last match: leave it out of the index.
		 */
		if (dedup_key(&key, co->rules[r].section, co->rules[r].pattern) < 0 ||
		    !(ent = map_get(&seen, key.ptr, key.len, hash_bytes(key.ptr, key.len))))
			goto done;
		if (ent->l[L_EXACT].n)
			continue;
		if (list_push(&ent->l[L_EXACT], (uint32_t)r, 0, 0) < 0 ||
		    (err = index_rule(co, (uint32_t)r)) < 0)
			goto done;
	}
	if ((err = map_seal(&co->by_prefix)) < 0 || (err = map_seal(&co->by_comp)) < 0 ||
	    (err = map_seal(&co->by_ext)) < 0 || (err = map_seal(&co->by_head)) < 0 ||
	    (err = map_seal(&co->by_tail)) < 0)
		goto done;
	err = 0;
done:
	map_clear(&seen);
	pc_buf_release(&key);
	return err < 0 ? err : 0;
}

/* ------------------------------------------------------------------ */
/* Matching.                                                           */

static inline void offer(const pc_codeowners *co, pc_co_match *out, const co_ref *ref)
{
	const pc_co_rule *rule = &co->rules[ref->rule];
	pc_co_match *m = &out[ref->section];

	if (!m->rule || m->rule < rule)
		m->rule = rule;
}

/* 1 when a newer rule of the section already matched, so this one cannot change the outcome. */
static inline int beaten(const pc_codeowners *co, const pc_co_match *out, const co_ref *ref)
{
	const pc_co_match *m = &out[ref->section];

	return m->rule && m->rule >= &co->rules[ref->rule];
}

static void offer_all(const pc_codeowners *co, pc_co_match *out, const co_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		offer(co, out, &l->v[i]);
}

/* Candidate lists met while scanning a path, tried once all its components are known. */
struct pending {
	const co_list *l;
	size_t pos, j;		/* with a prefix: where the rest of the path starts, and its component */
	int prefix;
};

/* Paths with more components are matched without a table of their ends. */
#define MAX_ENDS 128

/* What pc_codeowners_match knows about the path it is matching. */
struct subject {
	const char *path;
	size_t len;
	const uint32_t *ends;	/* NULL when the path is too deep for the table */
	uint64_t bloom;		/* ~0 while not complete */
	uint64_t bytes;		/* byte_bit() of every byte of the path, 0 until needed */
};

#define MAX_PENDING 32

static void try_candidates(const pc_codeowners *co, pc_co_match *out, const struct pending *pd,
	struct subject *sj)
{
	const co_ref *ref;
	const co_pat *p;
	size_t i;

	for (i = 0; i < pd->l->n; i++) {
		ref = &pd->l->v[i];
		if ((ref->need & ~sj->bloom) || beaten(co, out, ref))
			continue;
		p = &co->pats[ref->rule];
		if (!may_match(p, sj->path, sj->len, &sj->bytes))
			continue;
		if (pd->prefix ? elems_match(p->elems + p->nlit, p->n - p->nlit, sj->path, sj->len,
			sj->ends, pd->pos, pd->j) :
		    elems_match(p->elems, p->n, sj->path, sj->len, sj->ends, 0, 0))
			offer(co, out, ref);
	}
}

static void add_pending(const pc_codeowners *co, pc_co_match *out, struct pending *pd, size_t *npd,
	const co_list *l, int prefix, size_t pos, size_t j, struct subject *sj)
{
	struct pending one = { l, pos, j, prefix };
	struct subject early = *sj;

	if (!l->n)
		return;
	if (*npd < MAX_PENDING) {
		pd[(*npd)++] = one;
		return;
	}
	/* Now, without the path's full component summary and table of ends. */
	early.bloom = ~0ULL;
	early.ends = NULL;
	try_candidates(co, out, &one, &early);
}

/* After the last '.' of s[0..n), or NULL. */
static inline const char *memrchr_dot(const char *s, size_t n)
{
	const char *dot = memrchr(s, '.', n);

	return dot ? dot + 1 : NULL;
}

static const co_entry *find_in(const co_map *m, const char *key, size_t n)
{
	return m->n ? map_find(m, hash_bytes(key, n), key, n) : NULL;
}

void pc_codeowners_match(const pc_codeowners *co, const char *path, pc_co_match *out)
{
	size_t len, i, s, k, n, a, pos = 0, depth = 0, npd = 0, elen;
	uint64_t ph = 0, ch, eh, bloom = 0;
	unsigned lens;
	struct pending pd[MAX_PENDING];
	uint32_t ends[MAX_ENDS];
	const co_entry *ent;
	const pc_co_rule *rule;
	const co_list *l;
	const char *comp, *slash, *ext;
	struct subject sj;
	int last;

	for (s = 0; s < co->nsections; s++) {
		out[s].section = s;
		out[s].rule = co->all[s] ? &co->rules[co->all[s] - 1] : NULL;
		out[s].owners = NULL;
	}
	len = strlen(path);
	if (!len || len > UINT32_MAX) {
		for (s = 0; s < co->nsections; s++)
			out[s].rule = NULL;
		return;
	}
	sj.path = path;
	sj.len = len;
	sj.ends = ends;
	sj.bloom = ~0ULL;
	sj.bytes = 0;
	/*
	 * Component by component: the hash of the component and of the prefix
	 * ending with it find the rules filed under them; candidates that need
	 * the full matcher wait until every component is known.
	 */
	for (;;) {
		comp = path + pos;
		slash = memchr(comp, '/', len - pos);
		n = slash ? (size_t)(slash - comp) : len - pos;
		last = !slash;
		if (depth < MAX_ENDS)
			ends[depth] = (uint32_t)(pos + n);
		else
			sj.ends = NULL;
		ch = hash_bytes(comp, n);
		ph = hash_prefix(ph, ch);
		bloom |= bloom_bit(ch);
		if ((ent = map_find(&co->by_prefix, ph, path, pos + n))) {
			offer_all(co, out, &ent->l[L_ANY]);
			if (last) {
				offer_all(co, out, &ent->l[L_EXACT]);
			} else {
				offer_all(co, out, &ent->l[L_BELOW]);
				add_pending(co, out, pd, &npd, &ent->l[L_CAND], 1, pos + n + 1, depth + 1, &sj);
			}
		}
		if ((ent = map_find(&co->by_comp, ch, comp, n))) {
			offer_all(co, out, &ent->l[L_ANY]);
			if (!last)
				offer_all(co, out, &ent->l[L_BELOW]);
			add_pending(co, out, pd, &npd, &ent->l[L_CAND], 0, 0, 0, &sj);
		}
		if ((ext = memrchr_dot(comp, n))) {
			elen = (size_t)(comp + n - ext);
			eh = hash_bytes(ext, elen);
			bloom |= bloom_bit(ext_hash_salt(eh));
			if ((ent = map_find(&co->by_ext, eh, ext, elen))) {
				offer_all(co, out, &ent->l[L_ANY]);
				if (!last)
					offer_all(co, out, &ent->l[L_BELOW]);
				add_pending(co, out, pd, &npd, &ent->l[L_CAND], 0, 0, 0, &sj);
			}
		}
		lens = (co->by_head.lens | co->by_tail.lens) & (n >= 31 ? ~0u : (2u << n) - 1);
		for (; lens; lens &= lens - 1) {
			a = (size_t)__builtin_ctz(lens);
			if ((co->by_head.lens & (1u << a)) && (ent = find_in(&co->by_head, comp, a)))
				add_pending(co, out, pd, &npd, &ent->l[L_CAND], 0, 0, 0, &sj);
			if ((co->by_tail.lens & (1u << a)) && (ent = find_in(&co->by_tail, comp + n - a, a)))
				add_pending(co, out, pd, &npd, &ent->l[L_CAND], 0, 0, 0, &sj);
		}
		if (last)
			break;
		pos += n + 1;
		depth++;
	}
	sj.bloom = bloom;
	for (k = 0; k < npd; k++)
		try_candidates(co, out, &pd[k], &sj);
	for (k = 0; k < co->nresidual_sections; k++) {
		l = &co->residual[co->residual_sections[k]];
		for (i = 0; i < l->n && !beaten(co, out, &l->v[i]); i++) {
			const co_pat *p = &co->pats[l->v[i].rule];
			if (!(l->v[i].need & ~bloom) && may_match(p, path, len, &sj.bytes) &&
			    elems_match(p->elems, p->n, path, len, sj.ends, 0, 0)) {
				offer(co, out, &l->v[i]);
				break;
			}
		}
	}
	/* Exclusions (rare) are tried in a list: any one of a section decides. */
	for (k = 0; k < co->nexcl; k++) {
		const co_pat *p = &co->pats[co->excl[k]];
		rule = &co->rules[co->excl[k]];
		if (!out[rule->section].rule || !out[rule->section].rule->exclude) {
			if (!(p->need & ~bloom) && may_match(p, path, len, &sj.bytes) &&
			    elems_match(p->elems, p->n, path, len, sj.ends, 0, 0))
				out[rule->section].rule = rule;
		}
	}
	for (s = 0; s < co->nsections; s++) {
		if (!(rule = out[s].rule) || rule->exclude)
			continue;
		if (rule->owners.n)
			out[s].owners = &rule->owners;
		else if (rule->defaults && rule->defaults->n)
			out[s].owners = rule->defaults;
	}
}

/* ------------------------------------------------------------------ */
/* Parsing.                                                            */

struct parser {
	pc_codeowners *co;
	pc_diag *diags;
	unsigned line;
	size_t nerr;
	int oom;
	size_t section;			/* current section */
	const pc_strlist *defaults;	/* of the current header, NULL when none */
};

__attribute__((format(printf, 3, 4)))
static void syntax_error(struct parser *ps, size_t col, const char *fmt, ...)
{
	va_list ap;
	int r;

	ps->nerr++;
	va_start(ap, fmt);
	r = pc_diag_vadd(ps->diags, ps->co->name, ps->line, (unsigned)col + 1, fmt, ap);
	va_end(ap);
	if (r == PC_ENOMEM)
		ps->oom = 1;
}

/* A token of hostile text, made safe to print: control bytes escaped, long ones cut. */
static void quote_token(char *out, size_t size, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == 60) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f || c >= 0x80)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '-' || c == '_' || c == '.';
}

static int valid_handle(const char *s, size_t n)
{
	size_t i, seglen = 0;

	/* @user or @org/team (GitLab also nests groups: @group/sub/team). */
	for (i = 1; i < n; i++) {
		if (s[i] == '/') {
			if (!seglen)
				return 0;
			seglen = 0;
		} else if (is_name_char((unsigned char)s[i])) {
			seglen++;
		} else {
			return 0;
		}
	}
	return seglen > 0;
}

static int valid_email(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t i, local, label = 0;

	if (!at || at == s || memchr(at + 1, '@', n - (size_t)(at + 1 - s)))
		return 0;
	local = (size_t)(at - s);
	for (i = 0; i < local; i++)
		if (!is_name_char((unsigned char)s[i]) && !strchr("!#$%&'*+/=?^`{|}~", s[i]))
			return 0;
	for (i = local + 1; i < n; i++) {
		if (s[i] == '.') {
			if (!label)
				return 0;
			label = 0;
		} else if (is_name_char((unsigned char)s[i]) && s[i] != '_') {
			label++;
		} else {
			return 0;
		}
	}
	return label > 0;
}

/* Owners from s[0..n) (column col0 on the line) into `into`, up to a '#' comment. */
static int parse_owners(struct parser *ps, const char *s, size_t n, size_t col0, pc_strlist *into)
{
	size_t i = 0, start;
	char shown[300], *tok;
	int r;

	while (i < n) {
		while (i < n && is_space(s[i]))
			i++;
		if (i == n || s[i] == '#')
			break;
		start = i;
		while (i < n && !is_space(s[i]))
			i++;
		if (s[start] == '@' ? !valid_handle(s + start, i - start) : !valid_email(s + start, i - start)) {
			quote_token(shown, sizeof(shown), s + start, i - start);
			syntax_error(ps, col0 + start, "bad owner '%s': expected @user, @org/team or an email address",
				shown);
			continue;
		}
		if (!(tok = pc_strndup(s + start, i - start)))
			return PC_ENOMEM;
		r = pc_strlist_has(into, tok) ? 0 : pc_strlist_add(into, tok);
		free(tok);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_section(pc_codeowners *co, const char *name, size_t n, size_t *idx)
{
	pc_co_section *sec;

	if (pc_grow((void **)&co->sections, &co->sections_alloc, co->nsections + 1, sizeof(*sec)) < 0)
		return PC_ENOMEM;
	sec = &co->sections[co->nsections];
	memset(sec, 0, sizeof(*sec));
	if (!(sec->name = pc_strndup(name, n)))
		return PC_ENOMEM;
	*idx = co->nsections++;
	return 0;
}

/* A section header at s[0..n), which starts at column col0 of the line. */
static int parse_header(struct parser *ps, const char *s, size_t n, size_t col0)
{
	pc_codeowners *co = ps->co;
	size_t i = 0, open, close, numstart, k, idx;
	unsigned long approvals = 0;
	int optional = 0, r = 0;
	pc_strlist defaults = PC_STRLIST_INIT, *block = NULL;
	pc_co_section *sec;
	co_entry *ent;
	char lower[PC_ERROR_MAX], shown[300];

	if (s[i] == '^') {
		optional = 1;
		i++;
	}
	open = i++;
	for (close = i; close < n && s[close] != ']'; close++)
		;
	if (close == n) {
		syntax_error(ps, col0 + open, "bad section header: missing ']'");
		return 0;
	}
	for (k = i; k < close && is_space(s[k]); k++)
		;
	if (k == close) {
		syntax_error(ps, col0 + open, "bad section header: empty section name");
		return 0;
	}
	for (k = i; k < close; k++) {
		if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f) {
			syntax_error(ps, col0 + k, "bad section header: control character in the section name");
			return 0;
		}
	}
	if (close - i >= sizeof(lower)) {
		syntax_error(ps, col0 + i, "bad section header: section name longer than %zu bytes", sizeof(lower) - 1);
		return 0;
	}
	k = close + 1;
	if (k < n && s[k] == '[') {
		numstart = ++k;
		while (k < n && s[k] >= '0' && s[k] <= '9') {
			if (approvals <= MAX_APPROVALS)
				approvals = approvals * 10 + (unsigned long)(s[k] - '0');
			k++;
		}
		if (k == numstart || k == n || s[k] != ']') {
			syntax_error(ps, col0 + numstart, "bad section header: approval count must be a number from 1 to %d",
				MAX_APPROVALS);
			return 0;
		}
		if (approvals < 1 || approvals > MAX_APPROVALS) {
			syntax_error(ps, col0 + numstart, "approval count %.*s is out of range; use 1 to %d",
				(int)(k - numstart > 12 ? 12 : k - numstart), s + numstart, MAX_APPROVALS);
			return 0;
		}
		k++;
	}
	if (k < n && !is_space(s[k])) {
		quote_token(shown, sizeof(shown), s + k, 1);
		syntax_error(ps, col0 + k, "bad section header: unexpected '%s' after ']'; separate default owners "
			"with a space (a pattern cannot start with '[': write /[...] or **/[...])", shown);
		return 0;
	}
	if ((r = parse_owners(ps, s + k, n - k, col0 + k, &defaults)) < 0)
		goto done;

	for (idx = 0; idx < close - i; idx++) {
		char c = s[i + idx];
		lower[idx] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	if (!(ent = map_get(&co->section_names, lower, close - i, hash_bytes(lower, close - i)))) {
		r = PC_ENOMEM;
		goto done;
	}
	if (ent->l[L_EXACT].n) {
		/* A repeated header (GitLab merges them): the stricter settings win. */
		sec = &co->sections[ent->l[L_EXACT].v[0].rule];
		sec->optional = sec->optional && optional;
		if ((int)approvals > sec->approvals)
			sec->approvals = (int)approvals;
	} else {
		if ((r = add_section(co, s + i, close - i, &idx)) < 0 ||
		    (r = list_push(&ent->l[L_EXACT], (uint32_t)idx, 0, 0)) < 0)
			goto done;
		sec = &co->sections[idx];
		sec->optional = optional;
		sec->approvals = (int)approvals;
		sec->line = ps->line;
	}
	for (k = 0; k < defaults.n; k++)
		if (!pc_strlist_has(&sec->default_owners, defaults.items[k]) &&
		    (r = pc_strlist_add(&sec->default_owners, defaults.items[k])) < 0)
			goto done;
	ps->section = (size_t)(sec - co->sections);
	ps->defaults = NULL;
	if (defaults.n) {
		if (pc_grow((void **)&co->blocks, &co->blocks_alloc, co->nblocks + 1, sizeof(*co->blocks)) < 0 ||
		    !(block = pc_malloc(sizeof(*block)))) {
			r = PC_ENOMEM;
			goto done;
		}
		*block = defaults;
		memset(&defaults, 0, sizeof(defaults)); /* transferred */
		co->blocks[co->nblocks++] = block;
		ps->defaults = block;
	}
	r = 0;
done:
	pc_strlist_clear(&defaults);
	return r;
}

static int parse_rule(struct parser *ps, const char *s, size_t n, size_t col0)
{
	pc_codeowners *co = ps->co;
	size_t end = 0, errcol;
	pc_co_rule *rule;
	pc_strlist ignored = PC_STRLIST_INIT;
	co_pat pat;
	char why[PC_ERROR_MAX / 2];
	int r, exclude = s[0] == '!';

	while (end < n && !is_space(s[end]))
		end += s[end] == '\\' && end + 1 < n ? 2 : 1;
	if ((r = pat_compile(&pat, s + exclude, end - (size_t)exclude, &errcol, why, sizeof(why))) < 0) {
		if (r == PC_ENOMEM)
			return r;
		syntax_error(ps, col0 + (size_t)exclude + errcol, "%s", why);
		/* Still check the owners, so that one run reports every error. */
		r = parse_owners(ps, s + end, n - end, col0 + end, &ignored);
		pc_strlist_clear(&ignored);
		return r;
	}
	if (pc_grow((void **)&co->rules, &co->rules_alloc, co->nrules + 1, sizeof(*co->rules)) < 0 ||
	    pc_grow((void **)&co->pats, &co->pats_alloc, co->nrules + 1, sizeof(*co->pats)) < 0) {
		pat_free(&pat);
		return PC_ENOMEM;
	}
	rule = &co->rules[co->nrules];
	memset(rule, 0, sizeof(*rule));
	co->pats[co->nrules] = pat;
	co->nrules++;		/* from here on freed with the rest */
	rule->section = ps->section;
	rule->line = ps->line;
	rule->defaults = ps->defaults;
	rule->exclude = exclude;
	if (!(rule->pattern = pc_strndup(s, end)))
		return PC_ENOMEM;
	if ((r = parse_owners(ps, s + end, n - end, col0 + end, &rule->owners)) < 0)
		return r;
	if (exclude && rule->owners.n) {
		/* GitLab ignores them; refusing is safer than freeing a path its author meant to own */
		while (end < n && is_space(s[end]))
			end++;
		syntax_error(ps, col0 + end, "an exclusion (!pattern) takes no owners: it frees the paths "
			"it matches from this section; remove the owners, or drop the '!' to own the paths");
		return 0;
	}
	if (exclude && pc_grow((void **)&co->excl, &co->excl_alloc, co->nexcl + 1, sizeof(*co->excl)) < 0)
		return PC_ENOMEM;
	if (exclude)
		co->excl[co->nexcl++] = (uint32_t)(co->nrules - 1);
	return 0;
}

static int parse_line(struct parser *ps, const char *line, size_t n)
{
	size_t i = 0;

	while (i < n && is_space(line[i]))
		i++;
	if (i == n || line[i] == '#')
		return 0;
	/* GitLab's rule: a line starting with '[' or '^[' is a section header. */
	if (line[i] == '[' || (line[i] == '^' && i + 1 < n && line[i + 1] == '['))
		return parse_header(ps, line + i, n - i, i);
	return parse_rule(ps, line + i, n - i, i);
}

int pc_codeowners_parse(pc_codeowners **out, const char *name, const char *text, size_t len,
	pc_diag *diags)
{
	struct parser ps;
	pc_codeowners *co = NULL;
	const char *nul, *line, *eol;
	size_t pos = 0, n, idx;
	int r = PC_ENOMEM;

	*out = NULL;
	if (!name)
		name = "CODEOWNERS";
	if (len > PC_CODEOWNERS_MAX_SIZE) {
		pc_diag_add(diags, name, 0, 0, "file is %zu bytes, over the limit of %zu bytes (3 MiB); "
			"use directory rules instead of listing files", len, PC_CODEOWNERS_MAX_SIZE);
		return PC_ELIMIT;
	}
	if ((nul = memchr(text, '\0', len))) {
		unsigned l = 1;
		const char *bol = text, *p;
		for (p = text; p < nul; p++)
			if (*p == '\n') {
				l++;
				bol = p + 1;
			}
		pc_diag_add(diags, name, l, (unsigned)(nul - bol) + 1,
			"NUL byte: CODEOWNERS must be a text file");
		return PC_EINVAL;
	}
	if (!(co = pc_calloc(1, sizeof(*co))) || !(co->name = pc_strdup(name)) ||
	    add_section(co, "", 0, &idx) < 0)
		goto done;
	memset(&ps, 0, sizeof(ps));
	ps.co = co;
	ps.diags = diags;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos = 3;	/* a UTF-8 byte order mark, as some editors write */
	while (pos < len) {
		line = text + pos;
		eol = memchr(line, '\n', len - pos);
		n = eol ? (size_t)(eol - line) : len - pos;
		pos += n + 1;
		if (n && line[n - 1] == '\r')
			n--;
		ps.line++;
		if (parse_line(&ps, line, n) < 0 || ps.oom)
			goto done;
	}
	if (ps.nerr) {
		r = PC_EINVAL;
		goto done;
	}
	if ((r = build_index(co)) < 0)
		goto done;
	*out = co;
	co = NULL; /* transferred */
	r = 0;
done:
	if (r == PC_ENOMEM)
		pc_diag_add(diags, name, 0, 0, "out of memory");
	pc_codeowners_free(co);
	return r;
}

/* ------------------------------------------------------------------ */
/* Reading from a repository.                                          */

int pc_codeowners_load(pc_codeowners **out, char **found, char *blob_id,
	git_repository *repo, const git_oid *commit, const pc_strlist *paths, size_t limit,
	pc_diag *diags, pc_error *err)
{
	const char *path;
	char *text = NULL;
	size_t len = 0, i, n;
	int r = PC_ENOTFOUND;

	*out = NULL;
	if (found)
		*found = NULL;
	if (!limit || limit > PC_CODEOWNERS_MAX_SIZE)
		limit = PC_CODEOWNERS_MAX_SIZE;
	n = paths && paths->n ? paths->n : PC_ARRAY_SIZE(pc_codeowners_default_paths);
	for (i = 0; i < n; i++) {
		path = paths && paths->n ? paths->items[i] : pc_codeowners_default_paths[i];
		r = pc_repo_read_file(&text, &len, blob_id, repo, commit, path, limit, err);
		if (r != PC_ENOTFOUND)
			break;
	}
	if (r == PC_ENOTFOUND) {
		pc_buf tried = PC_BUF_INIT;
		for (i = 0; i < n; i++)
			pc_buf_printf(&tried, "%s%s", i ? ", " : "",
				paths && paths->n ? paths->items[i] : pc_codeowners_default_paths[i]);
		pc_error_set(err, PC_ENOTFOUND, "no CODEOWNERS file in this commit (looked for %s)",
			tried.ptr);
		pc_buf_release(&tried);
		goto done;
	}
	if (r < 0)
		goto done;
	if ((r = pc_codeowners_parse(out, path, text, len, diags)) < 0) {
		if (diags->n)
			pc_diag_to_error(diags, err);
		pc_error_set(err, r, "%s", diags->n && err ? err->msg : "cannot parse CODEOWNERS");
		goto done;
	}
	if (found && !(*found = pc_strdup(path))) {
		pc_codeowners_free(*out);
		*out = NULL;
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	r = 0;
done:
	free(text);
	return r;
}

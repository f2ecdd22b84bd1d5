/*
 * Unit tests for the glob matcher (src/glob.c): the dialect of each user
 * (refs, OpenSSH pattern lists, CODEOWNERS components), pathological
 * patterns against 4 KiB names, and a comparison with straightforward
 * backtracking matchers on every small pattern and name over a small
 * alphabet.  No timing here: tests/bench/ measures the speed.
 */
#include "config.h"
#include "glob.h"
#include "util.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define REF PC_GLOB_REF
#define SSH PC_GLOB_SSH
#define CO PC_GLOB_CODEOWNERS

static const struct glob_case {
	const char *pattern, *name;
	unsigned flags;
	int want;
} cases[] = {
	/* refs and branch names: `*` within a component, `**` across */
	{ "feature/*", "feature/x", REF, 1 },
	{ "feature/*", "feature/x/y", REF, 0 },
	{ "feature/*", "feature/", REF, 1 },
	{ "feature/*", "feature", REF, 0 },
	{ "feature/**", "feature/x/y", REF, 1 },
	{ "feature/**", "feature/", REF, 1 },
	{ "feature/**", "featurex", REF, 0 },
	{ "**/x", "x", REF, 1 },
	{ "**/x", "a/b/x", REF, 1 },
	{ "**/x", "a/bx", REF, 0 },
	{ "a/**/b", "a/b", REF, 1 },
	{ "a/**/b", "a/x/y/b", REF, 1 },
	{ "a/**/b", "a/xb", REF, 0 },
	{ "a/**/b", "ab", REF, 0 },
	{ "a**b", "a/x/b", REF, 1 },
	{ "a***b", "a/x/b", REF, 1 },
	{ "**", "", REF, 1 },
	{ "*", "", REF, 1 },
	{ "*", "/", REF, 0 },
	{ "r*/*-*", "rel/1-2", REF, 1 },
	{ "r*/*-*", "r/x/1-2", REF, 0 },
	{ "**/v*-*", "x/y/v1-2", REF, 1 },
	{ "**/v*-*", "x/y/v1/-2", REF, 0 },
	{ "release-?", "release-1", REF, 1 },
	{ "release-?", "release-12", REF, 0 },
	{ "a?b", "a/b", REF, 0 },
	{ "rel-[0-9]", "rel-5", REF, 1 },
	{ "rel-[!0-9]", "rel-5", REF, 0 },
	{ "rel-[^0-9]", "rel-x", REF, 1 },
	{ "x[]]", "x]", REF, 1 },
	{ "x[!]]", "x]", REF, 0 },
	{ "x[a/b]", "x/", REF, 0 },
	{ "x[\\]]", "x]", REF, 1 },
	{ "x[ab", "x[ab", REF, 0 },
	{ "x[ab", "xa", REF, 0 },
	{ "\\*", "*", REF, 1 },
	{ "\\*", "x", REF, 0 },
	{ "a\\", "a\\", REF, 1 },
	{ "**/[a-c]x", "d/bx", REF, 1 },
	{ "**/[a-c]x", "d/dx", REF, 0 },
	{ "feature/*-*-*-*z", "feature/a-b-c-dz", REF, 1 },
	{ "feature/*-*-*-*z", "feature/a-b-c-d", REF, 0 },
	{ "main", "mainline", REF, 0 },
	/* OpenSSH: `*` and `?` only; everything else is an ordinary byte */
	{ "*@example.com", "alice@example.com", SSH, 1 },
	{ "*", "a/b", SSH, 1 },
	{ "a?c", "a/c", SSH, 1 },
	{ "[ab]", "a", SSH, 0 },
	{ "[ab]", "[ab]", SSH, 1 },
	{ "a\\*", "a\\xyz", SSH, 1 },
	{ "a\\*", "a*", SSH, 0 },
	{ "**", "x/y", SSH, 1 },
	{ "", "", SSH, 1 },
	{ "", "a", SSH, 0 },
	/* CODEOWNERS components: `[` and `]` are ordinary, `\` quotes */
	{ "[param]", "[param]", CO, 1 },
	{ "[param]", "p", CO, 0 },
	{ "*.[ch]", "x.[ch]", CO, 1 },
	{ "*.[ch]", "x.c", CO, 0 },
	{ "[[:digit:]]x", "[[:digit:]]x", CO, 1 },
	{ "page.[id].*", "page.[id].tsx", CO, 1 },
	{ "\\*", "*", CO, 1 },
	{ "\\*", "x", CO, 0 },
	{ "\\#x", "#x", CO, 1 },
	{ "*.js", "a.js", CO, 1 },
	{ "?.js", "ab.js", CO, 0 },
};

/* Straightforward (exponential) matchers: what the fast one must agree with. */
static int ref_class(const char *p, char c, int *matched, const char **end)
{
	int negate = 0, ok = 0;
	char lo;

	if (*p == '!' || *p == '^') {
		negate = 1;
		p++;
	}
	if (*p == ']') {
		ok |= c == ']';
		p++;
	}
	while (*p && *p != ']') {
		lo = *p;
		if (lo == '\\' && p[1])
			lo = *++p;
		if (p[1] == '-' && p[2] && p[2] != ']') {
			ok |= c >= lo && c <= p[2];
			p += 3;
		} else {
			ok |= c == lo;
			p++;
		}
	}
	if (*p != ']')
		return 0;
	*matched = ok ^ negate;
	*end = p + 1;
	return 1;
}

static int slow_ref(const char *p, const char *s)
{
	const char *end;
	int matched;

	for (; *p; p++, s++) {
		switch (*p) {
		case '*':
			if (p[1] == '*') {
				while (*p == '*')
					p++;
				if (*p == '/' && slow_ref(p + 1, s))
					return 1;
				for (;; s++) {
					if (slow_ref(p, s))
						return 1;
					if (!*s)
						return 0;
				}
			}
			for (p++;; s++) {
				if (slow_ref(p, s))
					return 1;
				if (!*s || *s == '/')
					return 0;
			}
		case '?':
			if (!*s || *s == '/')
				return 0;
			break;
		case '[':
			if (!*s || *s == '/' || !ref_class(p + 1, *s, &matched, &end) || !matched)
				return 0;
			p = end - 1;
			break;
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*p != *s)
				return 0;
		}
	}
	return !*s;
}

/* OpenSSH's match_pattern, and CODEOWNERS components (the same plus `\`). */
static int slow_plain(const char *p, const char *s, int escape)
{
	for (; *p; p++, s++) {
		if (*p == '*') {
			for (p++;; s++) {
				if (slow_plain(p, s, escape))
					return 1;
				if (!*s)
					return 0;
			}
		}
		if (*p == '?') {
			if (!*s)
				return 0;
			continue;
		}
		if (escape && *p == '\\' && p[1])
			p++;
		if (*p != *s)
			return 0;
	}
	return !*s;
}

static void test_cases(void)
{
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
		const struct glob_case *c = &cases[i];
		is_int(pc_glob_matchn(c->pattern, strlen(c->pattern), c->name, strlen(c->name),
			c->flags), c->want, "%s '%s' vs '%s'",
			c->flags == REF ? "ref" : c->flags == SSH ? "ssh" : "codeowners",
			c->pattern, c->name);
	}
}

/* Every string of length <= max over the alphabet, by index. */
static void nth_string(char *out, const char *alpha, size_t k, unsigned long idx)
{
	size_t i;

	for (i = 0; i < k; i++) {
		out[i] = alpha[idx % strlen(alpha)];
		idx /= strlen(alpha);
	}
	out[k] = '\0';
}

static unsigned long power(size_t b, size_t e)
{
	unsigned long r = 1;

	while (e--)
		r *= b;
	return r;
}

/* Every pattern up to 4 bytes against every name up to 4 bytes: the same answer as the slow matchers. */
static void test_exhaustive(void)
{
	static const char pat_ref[] = "a/*?[]!-\\", pat_plain[] = "a/*?[\\";
	static const char names[] = "ab/-]";
	char p[8], s[8];
	size_t pk, sk;
	unsigned long pi, si, n = 0, bad_ref = 0, bad_ssh = 0, bad_co = 0;

	for (pk = 0; pk <= 4; pk++)
		for (pi = 0; pi < power(strlen(pat_ref), pk); pi++) {
			nth_string(p, pat_ref, pk, pi);
			for (sk = 0; sk <= 4; sk++)
				for (si = 0; si < power(strlen(names), sk); si++) {
					nth_string(s, names, sk, si);
					n++;
					if (pc_glob_matchn(p, pk, s, sk, REF) != slow_ref(p, s) && !bad_ref++)
						diag("ref '%s' vs '%s': %d", p, s, slow_ref(p, s));
				}
		}
	for (pk = 0; pk <= 4; pk++)
		for (pi = 0; pi < power(strlen(pat_plain), pk); pi++) {
			nth_string(p, pat_plain, pk, pi);
			for (sk = 0; sk <= 4; sk++)
				for (si = 0; si < power(strlen(names), sk); si++) {
					nth_string(s, names, sk, si);
					if (pc_glob_matchn(p, pk, s, sk, SSH) != slow_plain(p, s, 0) && !bad_ssh++)
						diag("ssh '%s' vs '%s': %d", p, s, slow_plain(p, s, 0));
					if (pc_glob_matchn(p, pk, s, sk, CO) != slow_plain(p, s, 1) && !bad_co++)
						diag("codeowners '%s' vs '%s': %d", p, s, slow_plain(p, s, 1));
				}
		}
	ok(!bad_ref, "ref dialect agrees with backtracking on %lu pairs (%lu differ)", n, bad_ref);
	ok(!bad_ssh, "ssh dialect agrees with backtracking (%lu differ)", bad_ssh);
	ok(!bad_co, "codeowners dialect agrees with backtracking (%lu differ)", bad_co);
}

static char *repeat(const char *unit, size_t times, const char *tail)
{
	size_t u = strlen(unit), t = strlen(tail), i;
	char *s = malloc(u * times + t + 1);

	if (!s)
		abort();
	for (i = 0; i < times; i++)
		memcpy(s + i * u, unit, u);
	memcpy(s + u * times, tail, t + 1);
	return s;
}

/*
 * Patterns that make a backtracking matcher try every way to split the name
 * among the stars, against 4 KiB names.  These finish at once here; with the
 * old matcher the first one alone ran for hours.
 */
static void test_pathological(void)
{
	static const struct {
		const char *unit, *ptail, *name, *ntail;
		size_t times;
		unsigned flags;
		int want;
	} p[] = {
		{ "*a", "b", "a", "", 64, REF, 0 },
		{ "*a", "", "a", "", 64, REF, 1 },
		{ "*-", "z", "-", "", 32, REF, 0 },
		{ "**a", "b", "a", "", 64, REF, 0 },
		{ "**/*a", "b", "a", "", 32, REF, 0 },
		{ "*a*a*a*a*a*a*a*a", "*b", "a", "", 16, SSH, 0 },
		{ "*a", "*b", "a", "b", 64, SSH, 1 },
		{ "*?", "c", "ab", "", 100, CO, 0 },
		{ "*", "*x", "a", "", 2000, SSH, 0 },
	};
	char *pat, *name;
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(p); i++) {
		pat = repeat(p[i].unit, p[i].times, p[i].ptail);
		name = repeat(p[i].name, 4096 / strlen(p[i].name), p[i].ntail);
		is_int(pc_glob_matchn(pat, strlen(pat), name, strlen(name), p[i].flags), p[i].want,
			"(%s)x%zu%s against 4 KiB of '%s'%s", p[i].unit, p[i].times, p[i].ptail,
			p[i].name, p[i].ntail);
		free(pat);
		free(name);
	}
	name = repeat("-", 392, "");
	memcpy(name, "feature/", 8);
	is_int(pc_glob_match("feature/*-*-*-*z", name), 0, "feature/*-*-*-*z against a 400-byte ref");
	free(name);
	pat = repeat("*a", 600, "");
	is_int(pc_glob_match(pat, "aaa"), 0, "a ref pattern longer than the name");
	free(pat);
	pat = repeat("**/", 400, "x");
	is_int(pc_glob_match(pat, "a/b/x"), 0, "a 1201-byte ref pattern with ** matches nothing");
	free(pat);
	pat = repeat("**/", 300, "x");
	name = repeat("a/", 2048, "x");
	is_int(pc_glob_match(pat, name), 1, "(**/)x300 against 4 KiB of 'a/'");
	free(pat);
	free(name);
}

static void test_valid(void)
{
	static const struct { const char *pattern; int want; } v[] = {
		{ "feature/*", 1 }, { "feat[", 0 }, { "feat/[a-z]*", 1 }, { "", 0 },
		{ "a\\", 0 }, { "a\\*", 1 }, { "x[]]", 1 }, { "x[!", 0 },
	};
	const char *why;
	char *big;
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(v); i++) {
		why = NULL;
		is_int(pc_glob_valid(v[i].pattern, &why), v[i].want, "valid '%s'%s%s", v[i].pattern,
			why ? ": " : "", why ? why : "");
	}
	big = repeat("a", PC_GLOB_REF_MAX - 1, "");
	ok(pc_glob_valid(big, &why), "a 1023-byte ref pattern is valid");
	free(big);
	big = repeat("a", PC_GLOB_REF_MAX, "");
	ok(!pc_glob_valid(big, &why), "a 1024-byte ref pattern is refused");
	free(big);
}

/* OpenSSH's match_pattern_list, including its 1024-byte element buffer. */
static void test_list(void)
{
	static const struct { const char *s, *list; int want; } c[] = {
		{ "alice@example.com", "*@example.com,!alice@example.com", -1 },
		{ "bob@example.com", "*@example.com,!alice@example.com", 1 },
		{ "bob", "alice,bob", 1 },
		{ "bob", "alice,,bob", 1 },
		{ "", "", 0 },
		{ "", "a,", 0 },
		{ "", "a,,b", 1 },
		{ "b", "!a", 0 },
	};
	char *list;
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(c); i++)
		is_int(pc_glob_match_list(c[i].s, c[i].list), c[i].want, "list '%s' vs '%s'",
			c[i].s, c[i].list);

	list = repeat("x", 1022, ",bob");
	is_int(pc_glob_match_list("bob", list), 1, "an element of 1022 bytes is fine");
	free(list);
	list = repeat("x", 1023, ",bob");
	is_int(pc_glob_match_list("bob", list), 0, "an element of 1023 bytes: the list matches nothing");
	free(list);
	list = repeat("*", 1023, "");
	is_int(pc_glob_match_list("bob", list), 0, "1023 stars match nothing");
	free(list);
	list = repeat("x", 2000, "");
	memcpy(list, "bob,", 4);
	is_int(pc_glob_match_list("bob", list), 0, "a match before a long element is lost, as in OpenSSH");
	free(list);
	list = repeat("x", 2000, "");
	memcpy(list, "!bob,", 5);
	is_int(pc_glob_match_list("bob", list), -1, "a negated match before a long element stands");
	free(list);
	list = repeat("*", 1023, "");
	memcpy(list, "!bob", 4);
	is_int(pc_glob_match_list("bobx", list), -1, "'!' + 1022 bytes: the '!' does not count");
	free(list);
	list = repeat("*", 1024, "");
	memcpy(list, "!bob", 4);
	is_int(pc_glob_match_list("bobx", list), 0, "'!' + 1023 bytes matches nothing");
	free(list);
}

int main(void)
{
	test_cases();
	test_exhaustive();
	test_pathological();
	test_valid();
	test_list();
	return done_testing();
}

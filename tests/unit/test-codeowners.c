/*
 * Unit tests for CODEOWNERS: single patterns, whole files with sections,
 * syntax errors with their positions, and two property tests: the pattern
 * matcher against a direct transcription of the gitignore rules, and the
 * indexed matcher against trying every rule in order.
 */
#include "codeowners.h"
#include "buf.h"
#include "util.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */

static const struct pattern_case {
	const char *pattern, *path;
	int want;
} pattern_cases[] = {
	/* GitHub's documented examples */
	{ "*", "README.md", 1 },
	{ "*", "a/b/c.txt", 1 },
	{ "*", ".github/workflows/ci.yml", 1 },
	{ "*.js", "app.js", 1 },
	{ "*.js", "src/ui/app.js", 1 },
	{ "*.js", "app.jsx", 0 },
	{ "*.js", "app.js.map", 0 },
	{ "*.js", "lib.js/readme", 1 },		/* a directory named *.js owns what is below */
	{ "*.go", "main.go", 1 },
	{ "*.go", "cmd/tool/main.go", 1 },
	{ "*.go", "main.golang", 0 },
	{ "*.txt", "docs/notes.txt", 1 },
	{ "/build/logs/", "build/logs/a.log", 1 },
	{ "/build/logs/", "build/logs/deep/a.log", 1 },
	{ "/build/logs/", "build/logs", 0 },
	{ "/build/logs/", "src/build/logs/a.log", 0 },
	{ "docs/*", "docs/getting-started.md", 1 },
	{ "docs/*", "docs/build-app/troubleshooting.md", 0 },
	{ "docs/*", "src/docs/a.md", 0 },
	{ "docs/*", "docs", 0 },
	{ "apps/", "apps/web/index.js", 1 },
	{ "apps/", "src/apps/web/index.js", 1 },
	{ "apps/", "apps", 0 },
	{ "apps/", "myapps/x", 0 },
	{ "/docs/", "docs/a.md", 1 },
	{ "/docs/", "docs/deep/a.md", 1 },
	{ "/docs/", "src/docs/a.md", 0 },
	{ "/scripts/", "scripts/deploy.sh", 1 },
	{ "**/logs", "build/logs/a.log", 1 },
	{ "**/logs", "scripts/logs/a.log", 1 },
	{ "**/logs", "deeply/nested/logs/x", 1 },
	{ "**/logs", "logs/x", 1 },
	{ "**/logs", "logs", 1 },
	{ "**/logs", "catalogs/x", 0 },
	{ "/apps/github", "apps/github/x.go", 1 },
	{ "/apps/github", "apps/github", 1 },
	{ "/apps/github", "apps/githubx", 0 },
	/* * against ** */
	{ "a/*", "a/b", 1 },
	{ "a/*", "a/b/c", 0 },
	{ "a/**", "a/b", 1 },
	{ "a/**", "a/b/c", 1 },
	{ "a/**", "a", 0 },
	{ "**", "x", 1 },
	{ "**", "x/y/z", 1 },
	{ "/**", "x/y", 1 },
	{ "**/", "x", 0 },
	{ "**/", "x/y", 1 },
	{ "/*", "README", 1 },
	{ "/*", "a/b", 0 },
	{ "a/**/b", "a/b", 1 },
	{ "a/**/b", "a/x/b", 1 },
	{ "a/**/b", "a/x/y/b", 1 },
	{ "a/**/b", "a/x/b/c.txt", 1 },
	{ "a/**/b", "a/xb", 0 },
	{ "a/**/b", "b", 0 },
	{ "a/**/", "a/x", 0 },
	{ "a/**/", "a/x/y", 1 },
	{ "**/*.md", "a.md", 1 },
	{ "**/*.md", "x/y/a.md", 1 },
	{ "docs/**/*.md", "docs/a.md", 1 },
	{ "docs/**/*.md", "docs/x/y/a.md", 1 },
	{ "docs/**/*.md", "docs/a.txt", 0 },
	{ "docs/*.md", "docs/a.md", 1 },
	{ "docs/*.md", "docs/x/a.md", 0 },
	{ "/*.md", "a.md", 1 },
	{ "/*.md", "x/a.md", 0 },
	{ "a**b", "axyb", 1 },
	{ "a**b", "a/b", 0 },
	/* leading and trailing slashes, nesting */
	{ "/README.md", "README.md", 1 },
	{ "/README.md", "docs/README.md", 0 },
	{ "README.md", "docs/README.md", 1 },
	{ "logs/", "logs", 0 },
	{ "logs/", "logs/x", 1 },
	{ "logs/", "a/logs/x", 1 },
	{ "src/lib/", "src/lib/x.c", 1 },
	{ "src/lib/", "src/lib", 0 },
	{ "src/lib/", "lib/x.c", 0 },
	{ "src/lib/", "x/src/lib/y.c", 0 },
	{ "a/b/c", "a/b/c", 1 },
	{ "a/b/c", "a/b/c/d", 1 },
	{ "a/b/c", "a/b/cd", 0 },
	{ "a/b/c", "a/b", 0 },
	{ "a//b", "a/b", 1 },
	{ "Makefile", "Makefile", 1 },
	{ "Makefile", "src/Makefile", 1 },
	{ "Makefile", "Makefile.am", 0 },
	{ "/Docs/", "docs/a", 0 },
	/* dot files */
	{ "*", ".env", 1 },
	{ ".github/", ".github/workflows/ci.yml", 1 },
	{ "*.md", ".md", 1 },
	{ ".*", ".gitignore", 1 },
	{ ".*", "x/.env", 1 },
	{ ".*", "a.b", 0 },
	{ ".env", "deploy/.env", 1 },
	/* escapes */
	{ "My\\ Documents/", "My Documents/a.txt", 1 },
	{ "My\\ Documents/", "My/a.txt", 0 },
	{ "file\\ name.txt", "dir/file name.txt", 1 },
	{ "\\#notes", "#notes", 1 },
	{ "\\#notes", "a/#notes", 1 },
	{ "\\!important", "!important", 1 },
	{ "\\*", "*", 1 },
	{ "\\*", "a", 0 },
	{ "a\\?", "a?", 1 },
	{ "a\\?", "ab", 0 },
	/* ? ; [ and ] are ordinary characters, as on GitHub (no character ranges) */
	{ "?.txt", "a.txt", 1 },
	{ "?.txt", "ab.txt", 0 },
	{ "a?c", "abc", 1 },
	{ "a?c", "a/c", 0 },
	{ "*.[ch]", "x.c", 0 },
	{ "*.[ch]", "x.[ch]", 1 },
	{ "**/[a-c]x", "bx", 0 },
	{ "**/[a-c]x", "d/[a-c]x", 1 },
	{ "/[Dd]ocs/", "docs/a", 0 },
	{ "/[Dd]ocs/", "[Dd]ocs/a", 1 },
	{ "apps/[param]/file.ts", "apps/[param]/file.ts", 1 },
	{ "apps/[param]/file.ts", "apps/p/file.ts", 0 },
	{ "/apps/[id]/", "apps/[id]/page.tsx", 1 },
	{ "/apps/[id]/", "apps/i/page.tsx", 0 },
	{ "**/[...slug]/*.ts", "web/app/[...slug]/x.ts", 1 },
	{ "*[id]*", "a/page[id].js", 1 },
	{ "/x[!a]", "x[!a]", 1 },
	{ "/x[!a]", "xb", 0 },
	{ "/x]", "x]", 1 },
	{ "/[[:digit:]]x", "1x", 0 },
	{ "/[[:digit:]]x", "[[:digit:]]x", 1 },
	{ "/x[ab", "x[ab", 1 },
	{ "/x[a/b]", "x[a/b]", 1 },
	/* other wildcards inside a component */
	{ "a*/b", "abc/b", 1 },
	{ "a*/b", "a/b", 1 },
	{ "a*/b", "x/a/b", 0 },
	{ "foo*", "foobar", 1 },
	{ "foo*", "foo", 1 },
	{ "foo*", "xfoo", 0 },
	{ "*.tar.gz", "x.tar.gz", 1 },
	{ "*.tar.gz", "x.gz", 0 },
	{ "*_test.go", "a/b_test.go", 1 },
	{ "*_test.go", "a/b.go", 0 },
	{ "/données/", "données/x", 1 },
	/* an exclusion matches the paths it frees */
	{ "!x", "x", 1 },
	{ "!/a/", "a/b", 1 },
	{ "!/a/", "b/a", 0 },
	/* invalid patterns match nothing */
	{ "/", "x", 0 },
	{ "a\\/b", "a/b", 0 },
};

static void test_patterns(void)
{
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(pattern_cases); i++) {
		const struct pattern_case *c = &pattern_cases[i];
		is_int(pc_codeowners_pattern_match(c->pattern, c->path), c->want,
			"pattern '%s' %s '%s'", c->pattern, c->want ? "matches" : "does not match", c->path);
	}
}

/* ------------------------------------------------------------------ */

/* "[name] owner owner (L3); [other] unowned (L5); [x] -" for one path. */
static char *describe(const pc_codeowners *co, const char *path)
{
	size_t n = pc_codeowners_nsections(co), s, k;
	pc_co_match *m = calloc(n, sizeof(*m));
	pc_buf b = PC_BUF_INIT;

	pc_codeowners_match(co, path, m);
	for (s = 0; s < n; s++) {
		pc_buf_printf(&b, "%s[%s]", s ? "; " : "", pc_codeowners_section(co, s)->name);
		if (!m[s].rule) {
			pc_buf_puts(&b, " -");
			continue;
		}
		if (!m[s].owners)
			pc_buf_puts(&b, " unowned");
		else
			for (k = 0; k < m[s].owners->n; k++)
				pc_buf_printf(&b, " %s", m[s].owners->items[k]);
		pc_buf_printf(&b, " (L%u)", m[s].rule->line);
	}
	free(m);
	return pc_buf_detach(&b);
}

static pc_codeowners *parse_ok(const char *text, const char *what)
{
	pc_codeowners *co = NULL;
	pc_diag d = PC_DIAG_INIT;
	int r = pc_codeowners_parse(&co, "CODEOWNERS", text, strlen(text), &d);

	if (!ok(r == 0 && co, "%s parses", what))
		pc_diag_print(&d, stdout);
	pc_diag_clear(&d);
	return co;
}

static const char github_example[] =
	"# This is a comment.\n"				/* 1 */
	"*       @global-owner1 @global-owner2\n"		/* 2 */
	"*.js    @js-owner #This is an inline comment.\n"	/* 3 */
	"*.go docs@example.com\n"				/* 4 */
	"*.txt @octo-org/octocats\n"				/* 5 */
	"/build/logs/ @doctocat\n"				/* 6 */
	"docs/*  docs@example.com\n"				/* 7 */
	"apps/ @octocat\n"					/* 8 */
	"/docs/ @doctocat\n"					/* 9 */
	"/scripts/ @doctocat @octocat\n"			/* 10 */
	"**/logs @octocat\n"					/* 11 */
	"\n"							/* 12 */
	"/apps/ @octocat\n"					/* 13 */
	"/apps/github\n";					/* 14 */

static const char sections_example[] =
	"* @default\n"						/* 1 */
	"[Docs][2] @docs-team\n"				/* 2 */
	"docs/\n"						/* 3 */
	"*.md @writer\n"					/* 4 */
	"[Ops]\n"						/* 5 */
	"/ops/ @ops @ops-lead\n"				/* 6 */
	"/ops/README.md\n"					/* 7 */
	"^[Optional] @opt\n"					/* 8 */
	"README.md\n"						/* 9 */
	"[docs]\n"						/* 10 */
	"/guide/ @guide\n"					/* 11 */
	"  # an indented comment\n"				/* 12 */
	"/docs/legacy/\n"					/* 13 */
	"^[OPS][3]\n";						/* 14 */

static const struct file_case {
	const char *text, *path, *want;
} file_cases[] = {
	{ github_example, "README.md", "[] @global-owner1 @global-owner2 (L2)" },
	{ github_example, "src/app.js", "[] @js-owner (L3)" },
	{ github_example, "main.go", "[] docs@example.com (L4)" },
	{ github_example, "notes/a.txt", "[] @octo-org/octocats (L5)" },
	{ github_example, "build/logs/x.log", "[] @octocat (L11)" },
	{ github_example, "docs/getting-started.md", "[] @doctocat (L9)" },
	{ github_example, "apps/web/x.js", "[] @octocat (L13)" },
	{ github_example, "apps/github/x.js", "[] unowned (L14)" },
	{ github_example, "apps/githubber/x", "[] @octocat (L13)" },
	{ github_example, "lib/apps/x", "[] @octocat (L8)" },
	{ github_example, "scripts/deploy.sh", "[] @doctocat @octocat (L10)" },
	{ sections_example, "README.md",
	  "[] @default (L1); [Docs] @writer (L4); [Ops] -; [Optional] @opt (L9)" },
	{ sections_example, "docs/a.txt",
	  "[] @default (L1); [Docs] @docs-team (L3); [Ops] -; [Optional] -" },
	{ sections_example, "docs/README.md",
	  "[] @default (L1); [Docs] @writer (L4); [Ops] -; [Optional] @opt (L9)" },
	{ sections_example, "guide/x.txt",
	  "[] @default (L1); [Docs] @guide (L11); [Ops] -; [Optional] -" },
	/* the [docs] header has no default owners: its un-owning line stays un-owned */
	{ sections_example, "docs/legacy/x.txt",
	  "[] @default (L1); [Docs] unowned (L13); [Ops] -; [Optional] -" },
	{ sections_example, "ops/run.sh",
	  "[] @default (L1); [Docs] -; [Ops] @ops @ops-lead (L6); [Optional] -" },
	/* [Ops] has no default owners, so its line without owners un-owns */
	{ sections_example, "ops/README.md",
	  "[] @default (L1); [Docs] @writer (L4); [Ops] unowned (L7); [Optional] @opt (L9)" },
	/* last line wins inside a section, whatever the specificity */
	{ "/a/b/c.txt @specific\n/a/ @general\n", "a/b/c.txt", "[] @general (L2)" },
	{ "/a/ @general\n/a/b/c.txt @specific\n", "a/b/c.txt", "[] @specific (L2)" },
	{ "*.js @js\n/src/ @src\n", "src/x.js", "[] @src (L2)" },
	{ "/src/ @src\n*.js @js\n", "src/x.js", "[] @js (L2)" },
	{ "/src/ @src\n/src/gen/\n", "src/gen/x.c", "[] unowned (L2)" },
	{ "/src/ @src\n/src/gen/\n", "src/main.c", "[] @src (L1)" },
	{ "/src/ @a\n", "other/x", "[] -" },
	{ "", "x", "[] -" },
	{ "# only comments\n\n   \n", "x", "[] -" },
	/* CRLF line ends and a byte order mark */
	{ "\xef\xbb\xbf* @bom\r\n/x/ @crlf\r\n", "x/y", "[] @crlf (L2)" },
	{ "\xef\xbb\xbf* @bom\r\n/x/ @crlf\r\n", "z", "[] @bom (L1)" },
	/* owners are kept as written, without duplicates */
	{ "* @a @b @a first.last+tag@sub.example.com @org/team @g/sub/team\n", "x",
	  "[] @a @b first.last+tag@sub.example.com @org/team @g/sub/team (L1)" },
	/* a tab separates as well as a space */
	{ "*.c\t@c\n", "x.c", "[] @c (L1)" },
	/* a header followed by a comment */
	{ "[S] @s # the S team\nx/\n", "x/y", "[] -; [S] @s (L2)" },
};

static void test_files(void)
{
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(file_cases); i++) {
		const struct file_case *c = &file_cases[i];
		pc_diag d = PC_DIAG_INIT;
		pc_codeowners *co = NULL;
		char *got;

		if (pc_codeowners_parse(&co, "CODEOWNERS", c->text, strlen(c->text), &d) < 0) {
			ok(0, "file case %zu parses", i);
			pc_diag_print(&d, stdout);
			pc_diag_clear(&d);
			continue;
		}
		got = describe(co, c->path);
		is_str(got, c->want, "file case %zu: %s", i, c->path);
		free(got);
		pc_codeowners_free(co);
	}
}

static void test_sections(void)
{
	pc_codeowners *co = parse_ok(sections_example, "the sections example");
	const pc_co_section *s;
	const pc_co_rule *r;

	if (!co)
		return;
	is_int((long long)pc_codeowners_nsections(co), 4, "four sections: unnamed, Docs, Ops, Optional");
	is_int((long long)pc_codeowners_nrules(co), 8, "eight rules");
	s = pc_codeowners_section(co, 0);
	ok(s && !strcmp(s->name, "") && !s->optional && !s->approvals, "section 0 is unnamed");
	s = pc_codeowners_section(co, 1);
	ok(s && !strcmp(s->name, "Docs") && s->approvals == 2 && !s->optional && s->line == 2,
		"[Docs][2] keeps its first spelling, 2 approvals, line 2");
	ok(s && s->default_owners.n == 1 && !strcmp(s->default_owners.items[0], "@docs-team"),
		"[Docs] default owners");
	s = pc_codeowners_section(co, 2);
	ok(s && !strcmp(s->name, "Ops") && s->approvals == 3 && !s->optional,
		"[Ops] merged with ^[OPS][3]: the larger count, and required since one header is");
	s = pc_codeowners_section(co, 3);
	ok(s && !strcmp(s->name, "Optional") && s->optional && s->approvals == 0,
		"^[Optional] is optional");
	r = pc_codeowners_rule(co, 6);
	ok(r && !strcmp(r->pattern, "/guide/") && r->section == 1 && r->line == 11 && !r->defaults,
		"a rule under the repeated [docs] header lands in Docs, without defaults");
	r = pc_codeowners_rule(co, 1);
	ok(r && r->defaults && r->defaults->n == 1, "a rule under [Docs][2] @docs-team has its defaults");
	ok(!pc_codeowners_section(co, 4) && !pc_codeowners_rule(co, 8), "out of range is NULL");
	is_str(pc_codeowners_name(co), "CODEOWNERS", "the name is kept");
	pc_codeowners_free(co);
	pc_codeowners_free(NULL);

	co = parse_ok("[A] @a-default\nx/\n[a]\ny/\n", "two headers of one section, different defaults");
	if (co) {
		char *got = describe(co, "y/f");
		is_str(got, "[] -; [A] unowned (L4)", "defaults apply per header, as GitLab does");
		free(got);
		got = describe(co, "x/f");
		is_str(got, "[] -; [A] @a-default (L2)", "the first header's defaults apply under it");
		free(got);
		pc_codeowners_free(co);
	}
	co = parse_ok("\\[literal] @a\n/[ab]x @b\n", "patterns with brackets that are not headers");
	if (co) {
		char *got = describe(co, "[literal]");
		is_str(got, "[] @a (L1)", "an escaped [ is a literal bracket");
		free(got);
		got = describe(co, "[ab]x");
		is_str(got, "[] @b (L2)", "brackets after a leading / are literal");
		free(got);
		got = describe(co, "bx");
		is_str(got, "[] -", "brackets are not a character class");
		free(got);
		pc_codeowners_free(co);
	}
	co = parse_ok("* @all\n!*.lock\n/vendor/ @v\n[Docs] @writers\n*.md\n!/CHANGELOG.md\n"
		"[Docs]\n/docs/ @docs\n", "GitLab exclusions");
	if (co) {
		char *got = describe(co, "a/yarn.lock");
		is_str(got, "[] unowned (L2); [Docs] -", "an exclusion frees a path from its section");
		free(got);
		got = describe(co, "vendor/x.lock");
		is_str(got, "[] unowned (L2); [Docs] -", "an exclusion wins over a later rule (GitLab)");
		free(got);
		got = describe(co, "vendor/x.c");
		is_str(got, "[] @v (L3); [Docs] -", "other paths keep their owners");
		free(got);
		got = describe(co, "CHANGELOG.md");
		is_str(got, "[] @all (L1); [Docs] unowned (L6)", "an exclusion frees only its own section");
		free(got);
		got = describe(co, "docs/CHANGELOG.md");
		is_str(got, "[] @all (L1); [Docs] @docs (L8)", "an anchored exclusion");
		free(got);
		ok(pc_codeowners_rule(co, 1)->exclude && !strcmp(pc_codeowners_rule(co, 1)->pattern, "!*.lock"),
			"an exclusion keeps its '!' and is marked");
		pc_codeowners_free(co);
	}
}

/* ------------------------------------------------------------------ */

static const struct error_case {
	const char *text, *want;
} error_cases[] = {
	{ "*.js @ok bad-owner\n",
	  "CODEOWNERS:1:10: bad owner 'bad-owner': expected @user, @org/team or an email address" },
	{ "# fine\n  /x @b @@c\n",
	  "CODEOWNERS:2:9: bad owner '@@c': expected @user, @org/team or an email address" },
	{ "[Docs] @a, @b\n",
	  "CODEOWNERS:1:8: bad owner '@a,': expected @user, @org/team or an email address" },
	{ "* user@\n", "CODEOWNERS:1:3: bad owner 'user@': expected @user, @org/team or an email address" },
	{ "* @org/\n", "CODEOWNERS:1:3: bad owner '@org/': expected @user, @org/team or an email address" },
	{ "* a@b..c\n", "CODEOWNERS:1:3: bad owner 'a@b..c': expected @user, @org/team or an email address" },
	{ "* @a\x01z\n", "CODEOWNERS:1:3: bad owner '@a\\x01z': expected @user, @org/team or an email address" },
	{ "!secret.txt @a\n",
	  "CODEOWNERS:1:13: an exclusion (!pattern) takes no owners: it frees the paths it matches from "
	  "this section; remove the owners, or drop the '!' to own the paths" },
	{ "!/ \n", "CODEOWNERS:1:2: pattern names no path; use * to match every file" },
	{ "foo\\\n",
	  "CODEOWNERS:1:4: pattern ends with a backslash; escape a trailing space as '\\ ' or remove the backslash" },
	{ "a\\/b @x\n", "CODEOWNERS:1:2: '\\/' is not allowed in a pattern; write '/' without the backslash" },
	{ "/ @a\n", "CODEOWNERS:1:1: pattern names no path; use * to match every file" },
	{ "[Docs\n", "CODEOWNERS:1:1: bad section header: missing ']'" },
	{ "  ^[Docs @a\n", "CODEOWNERS:1:4: bad section header: missing ']'" },
	{ "[]\n", "CODEOWNERS:1:1: bad section header: empty section name" },
	{ "[  ] @a\n", "CODEOWNERS:1:1: bad section header: empty section name" },
	{ "[Docs][0]\n", "CODEOWNERS:1:8: approval count 0 is out of range; use 1 to 100" },
	{ "[Docs][101]\n", "CODEOWNERS:1:8: approval count 101 is out of range; use 1 to 100" },
	{ "[Docs][99999999999999999999]\n",
	  "CODEOWNERS:1:8: approval count 999999999999 is out of range; use 1 to 100" },
	{ "[Docs][x]\n", "CODEOWNERS:1:8: bad section header: approval count must be a number from 1 to 100" },
	{ "[Docs][]\n", "CODEOWNERS:1:8: bad section header: approval count must be a number from 1 to 100" },
	{ "[Docs][2\n", "CODEOWNERS:1:8: bad section header: approval count must be a number from 1 to 100" },
	{ "[Docs]x @a\n",
	  "CODEOWNERS:1:7: bad section header: unexpected 'x' after ']'; separate default owners with a space "
	  "(a pattern cannot start with '[': write /[...] or **/[...])" },
	{ "[Dd]ocs/ @a\n",
	  "CODEOWNERS:1:5: bad section header: unexpected 'o' after ']'; separate default owners with a space "
	  "(a pattern cannot start with '[': write /[...] or **/[...])" },
	{ "[Do\tcs]\n", "CODEOWNERS:1:4: bad section header: control character in the section name" },
	{ "* @a\nx\0y @b\n", "CODEOWNERS:2:2: NUL byte: CODEOWNERS must be a text file" },
};

static void test_errors(void)
{
	size_t i;
	char line[PC_ERROR_MAX + 256];

	for (i = 0; i < PC_ARRAY_SIZE(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		pc_codeowners *co = (pc_codeowners *)1;
		pc_diag d = PC_DIAG_INIT;
		size_t len = strlen(c->text);
		int r;

		if (strstr(c->want, "NUL byte"))
			len = strlen(c->text) + 1 + strlen(c->text + strlen(c->text) + 1);
		r = pc_codeowners_parse(&co, "CODEOWNERS", c->text, len, &d);
		ok(r == PC_EINVAL && co == NULL, "error case %zu fails with PC_EINVAL", i);
		if (d.n) {
			pc_diag_item *it = &d.items[0];
			snprintf(line, sizeof(line), "%s:%u:%u: %s", it->file, it->line, it->column, it->message);
			is_str(line, c->want, "error case %zu: the message and its position", i);
		} else {
			ok(0, "error case %zu: a diagnostic was recorded", i);
		}
		pc_diag_clear(&d);
	}
}

static void test_error_collection(void)
{
	static const char text[] = "* @ok\n!neg @a\n/x @bad,\n[S][0]\n/y @a\n";
	pc_codeowners *co = NULL;
	pc_diag d = PC_DIAG_INIT;
	char *big;
	size_t n;

	is_int(pc_codeowners_parse(&co, ".github/CODEOWNERS", text, strlen(text), &d), PC_EINVAL,
		"a file with three errors fails");
	is_int((long long)d.n, 3, "and reports all three");
	ok(d.n == 3 && d.items[0].line == 2 && d.items[1].line == 3 && d.items[2].line == 4,
		"in line order");
	ok(d.n && !strcmp(d.items[0].file, ".github/CODEOWNERS"), "naming the file as given");
	pc_diag_clear(&d);

	n = PC_CODEOWNERS_MAX_SIZE + 1;
	big = malloc(n);
	memset(big, '#', n);
	is_int(pc_codeowners_parse(&co, "CODEOWNERS", big, n, &d), PC_ELIMIT, "over 3 MiB is refused");
	ok(d.n == 1 && strstr(d.items[0].message, "over the limit of 3145728 bytes"),
		"with a message naming the limit");
	pc_diag_clear(&d);
	big[n - 2] = '\n';
	is_int(pc_codeowners_parse(&co, "CODEOWNERS", big, n - 1, &d), 0, "exactly 3 MiB is accepted");
	pc_codeowners_free(co);
	pc_diag_clear(&d);
	free(big);
}

/* ------------------------------------------------------------------ */
/* Property tests.                                                     */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static const char *const lit_pool[] = { "a", "b", "docs", "x.js", "a.md", ".env", "ab", "src" };
static const char *const glob_pool[] = {
	"*", "**", "*.js", "*.md", "a*", "?", "[ab]", "*a*", "[!a]*", "b?", "*.tar.gz", "?b", "a[bc]"
};
static const char *const comp_pool[] = {
	"a", "b", "docs", "x.js", "a.md", ".env", "ab", "ba", "src", "y.tar.gz", "bb", "ac"
};
/* Path components: the pattern components, and brackets, which CODEOWNERS takes literally. */
static const char *const path_pool[] = {
	"a", "b", "docs", "x.js", "a.md", ".env", "ab", "ba", "src", "y.tar.gz", "bb", "ac", "[ab]"
};

static void gen_pattern(pc_buf *b)
{
	uint32_t nseg = 1 + rnd(4), i;

	pc_buf_clear(b);
	if (rnd(3) == 0)
		pc_buf_putc(b, '/');
	for (i = 0; i < nseg; i++) {
		if (i)
			pc_buf_putc(b, '/');
		pc_buf_puts(b, rnd(2) ? lit_pool[rnd(PC_ARRAY_SIZE(lit_pool))] :
			glob_pool[rnd(PC_ARRAY_SIZE(glob_pool))]);
	}
	if (rnd(4) == 0)
		pc_buf_putc(b, '/');
}

static void gen_path(pc_buf *b)
{
	uint32_t n = 1 + rnd(5), i;

	pc_buf_clear(b);
	for (i = 0; i < n; i++) {
		if (i)
			pc_buf_putc(b, '/');
		pc_buf_puts(b, path_pool[rnd(PC_ARRAY_SIZE(path_pool))]);
	}
}

/*
 * The rules written down directly: trailing '/' = directories only; a
 * leading or middle '/' anchors; otherwise any depth; a whole "**" is zero
 * or more directories (one or more at the end); the pattern may match the
 * path itself or a leading directory of it (which then owns what is below),
 * except that a last "*" (GitHub's docs/ + "*") does not reach deeper.
 * Components are matched with glob.h's matcher in its CODEOWNERS dialect.
 */
static int def_whole(char **seg, size_t n, size_t i, char **comp, size_t j, size_t k)
{
	size_t t;

	if (i == n)
		return j == k;
	if (!strcmp(seg[i], "**")) {
		if (i == n - 1)
			return k > j;
		for (t = j; t <= k; t++)
			if (def_whole(seg, n, i + 1, comp, t, k))
				return 1;
		return 0;
	}
	return j < k && pc_glob_matchn(seg[i], strlen(seg[i]), comp[j], strlen(comp[j]), PC_GLOB_CODEOWNERS) &&
		def_whole(seg, n, i + 1, comp, j + 1, k);
}

static size_t split(char *s, char **out)
{
	size_t n = 0;
	char *tok;

	for (tok = strtok(s, "/"); tok; tok = strtok(NULL, "/"))
		out[n++] = tok;
	return n;
}

static int def_match(const char *pattern, const char *path)
{
	char pat[256], pth[256], *seg[64], *comp[64];
	size_t plen = strlen(pattern), n, m, k;
	int dir_only = 0, anchored, star_last, hit = 0;

	snprintf(pat, sizeof(pat), "%s", pattern);
	snprintf(pth, sizeof(pth), "%s", path);
	if (plen && pat[plen - 1] == '/') {
		dir_only = 1;
		pat[--plen] = '\0';
	}
	anchored = pat[0] == '/' || strchr(pat + 1, '/') != NULL;
	n = split(pat, seg + 1);
	if (!anchored && strcmp(seg[1], "**")) {
		seg[0] = "**";
		n++;
	} else {
		memmove(seg, seg + 1, n * sizeof(*seg));
	}
	m = split(pth, comp);
	star_last = !strcmp(seg[n - 1], "*");
	for (k = 1; k <= m && !hit; k++) {
		int allowed = k == m ? !dir_only : dir_only || !star_last;
		hit = allowed && def_whole(seg, n, 0, comp, 0, k);
	}
	return hit;
}

static void test_pattern_property(void)
{
	pc_buf pat = PC_BUF_INIT, path = PC_BUF_INIT;
	size_t i, j, bad = 0, matches = 0, total = 0;
	int got, want;

	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < 2000; i++) {
		gen_pattern(&pat);
		for (j = 0; j < 30; j++) {
			gen_path(&path);
			got = pc_codeowners_pattern_match(pat.ptr, path.ptr);
			want = def_match(pat.ptr, path.ptr);
			total++;
			matches += (size_t)want;
			if (got != want && bad++ < 10)
				diag("pattern '%s' path '%s': got %d, want %d", pat.ptr, path.ptr, got, want);
		}
	}
	is_int((long long)bad, 0, "pattern matcher agrees with the written-down rules on %zu pairs", total);
	ok(matches > total / 20 && matches < total * 9 / 10,
		"the generated pairs exercise both outcomes (%zu of %zu match)", matches, total);
	pc_buf_release(&pat);
	pc_buf_release(&path);
}

/* A CODEOWNERS file of random rules of every shape, in random sections. */
static void gen_file(pc_buf *out, size_t nrules, int with_sections)
{
	static const char *const headers[] = {
		"[Alpha] @alpha-default", "[Beta][2]", "^[Gamma]", "[alpha]", "[BETA] @beta-default"
	};
	pc_buf pat = PC_BUF_INIT;
	unsigned i;

	pc_buf_clear(out);
	for (i = 0; i < nrules; i++) {
		const char *l1 = lit_pool[rnd(PC_ARRAY_SIZE(lit_pool))];
		const char *l2 = comp_pool[rnd(PC_ARRAY_SIZE(comp_pool))];
		const char *l3 = comp_pool[rnd(PC_ARRAY_SIZE(comp_pool))];

		if (with_sections && rnd(25) == 0)
			pc_buf_printf(out, "%s\n", headers[rnd(PC_ARRAY_SIZE(headers))]);
		/* Every shape the index knows, plus ones it must leave to the matcher. */
		switch (rnd(19)) {
		case 0: pc_buf_printf(out, "/%s/%s/ @d%u", l1, l2, i); break;
		case 1: pc_buf_printf(out, "/%s/%s @e%u", l1, l2, i); break;
		case 2: pc_buf_printf(out, "%s @b%u", l2, i); break;
		case 3: pc_buf_printf(out, "%s/ @bd%u", l2, i); break;
		case 4: pc_buf_printf(out, "*.md @x%u", i); break;
		case 5: pc_buf_printf(out, "*.tar.gz @x%u", i); break;
		case 6: pc_buf_printf(out, "*.js/ @x%u", i); break;
		case 7: pc_buf_printf(out, "* @all%u", i); break;
		case 8: pc_buf_printf(out, "** @all%u", i); break;
		case 9: pc_buf_printf(out, "/%s/*.md @c%u", l1, i); break;
		case 10: pc_buf_printf(out, "**/%s/* @g%u", l2, i); break;
		case 11: pc_buf_printf(out, "/*.js @r%u", i); break;
		case 12: pc_buf_printf(out, "a* @r%u", i); break;
		case 13: pc_buf_printf(out, "/%s/**/%s @m%u", l1, l3, i); break;
		case 14: pc_buf_printf(out, "%s/*/%s @m%u", l1, l2, i); break;
		case 15: pc_buf_printf(out, "?b @r%u", i); break;
		case 16:	/* no owners: un-owns, or takes the header's defaults */
			pc_buf_printf(out, "/%s/%s/%s", l1, l2, l3);
			break;
		case 17:	/* a GitLab exclusion */
			gen_pattern(&pat);
			pc_buf_printf(out, "!%s", pat.ptr);
			break;
		default:
			/* a fully random pattern, never starting with '[' (that is a header) */
			gen_pattern(&pat);
			pc_buf_printf(out, "%s%s", pat.ptr[0] == '[' ? "/" : "", pat.ptr);
			if (rnd(4))
				pc_buf_printf(out, " @p%u", i);
		}
		pc_buf_putc(out, '\n');
	}
	pc_buf_release(&pat);
}

static void test_index_property(void)
{
	pc_buf text = PC_BUF_INIT, path = PC_BUF_INIT;
	size_t f, p, s, r, bad = 0, checked = 0, owned = 0, nsec;
	pc_co_match *got = NULL;
	const pc_co_rule **want = NULL, **excl = NULL;

	rng_state = 0x2545f4914f6cdd1dULL;
	for (f = 0; f < 40; f++) {
		pc_codeowners *co = NULL;
		pc_diag d = PC_DIAG_INIT;

		gen_file(&text, 20 + rnd(300), f % 4 != 0);
		if (pc_codeowners_parse(&co, "CODEOWNERS", text.ptr, text.len, &d) < 0) {
			pc_diag_print(&d, stdout);
			ok(0, "generated file %zu parses", f);
			pc_diag_clear(&d);
			continue;
		}
		nsec = pc_codeowners_nsections(co);
		got = realloc(got, nsec * sizeof(*got));
		want = realloc(want, nsec * sizeof(*want));
		excl = realloc(excl, nsec * sizeof(*excl));
		for (p = 0; p < 250; p++) {
			gen_path(&path);
			/*
			 * The reference: every rule in order, the last match of a
			 * section wins, unless an exclusion of the section matches.
			 */
			for (s = 0; s < nsec; s++)
				want[s] = excl[s] = NULL;
			for (r = 0; r < pc_codeowners_nrules(co); r++) {
				const pc_co_rule *rule = pc_codeowners_rule(co, r);
				if (!pc_codeowners_pattern_match(rule->pattern, path.ptr))
					continue;
				if (!rule->exclude)
					want[rule->section] = rule;
				else if (!excl[rule->section])
					excl[rule->section] = rule;
			}
			for (s = 0; s < nsec; s++)
				if (excl[s])
					want[s] = excl[s];
			pc_codeowners_match(co, path.ptr, got);
			for (s = 0; s < nsec; s++) {
				const pc_strlist *wo = NULL;
				checked++;
				if (want[s] && !want[s]->exclude)
					wo = want[s]->owners.n ? &want[s]->owners :
						want[s]->defaults && want[s]->defaults->n ? want[s]->defaults : NULL;
				owned += wo != NULL;
				if ((got[s].rule != want[s] || got[s].owners != wo || got[s].section != s) &&
				    bad++ < 10)
					diag("file %zu path '%s' section %zu: got line %u, want line %u", f,
						path.ptr, s, got[s].rule ? got[s].rule->line : 0,
						want[s] ? want[s]->line : 0);
			}
		}
		pc_codeowners_free(co);
	}
	is_int((long long)bad, 0, "indexed matcher agrees with trying every rule (%zu section results)", checked);
	ok(owned > checked / 10 && owned < checked, "both owned and unowned results occur (%zu owned)", owned);
	free(got);
	free(want);
	free(excl);
	pc_buf_release(&text);
	pc_buf_release(&path);
}

int main(void)
{
	test_patterns();
	test_files();
	test_sections();
	test_errors();
	test_error_collection();
	test_pattern_property();
	test_index_property();
	return done_testing();
}

/*
 * bench-gen: write a git fast-import stream for the benchmark repository
 * (tests/bench/run.sh), deterministically: the same arguments give the
 * same commit ids on every machine.
 *
 *   bench-gen [--files N] [--history N] [--rules N] [--users N] [CHAIN]...
 *   bench-gen --paths N            (print the N file paths, one a line)
 *
 * The history is refs/bench/main: a first commit with N files shaped like
 * a GitOps monorepo (apps/teamT/svcS/..., overlays/ENV/appA/, base/,
 * terraform/modules/, docs/) and a CODEOWNERS of --rules rules, then
 * history-1 commits that each change 1 to 4 files.  Each CHAIN is
 * NAME:KIND:COUNT and starts at the tip of the history, on refs/bench/NAME:
 *
 *   linear   COUNT commits, each changing one file (a work branch)
 *   small    3 commits changing 20 distinct files (7 + 7 + 6)
 *   develop  COUNT commits as feature merges: 4 commits on a feature
 *            branched from the develop tip of two merges earlier, then a
 *            clean --no-ff merge of it, so every merge is a real
 *            three-way merge (COUNT is rounded down to a multiple of 5)
 *   oldfork  NAME:oldfork:FEATURES:COMMITS: FEATURES features of COMMITS
 *            commits each, all branched from the tip of the history (one
 *            old point), each merged --no-ff in turn: every merge's base
 *            is that old point, below all the merges before it
 *
 * Authors are users u10..u(USERS-1); u00..u09 author nothing, so they can
 * approve every push (self_approval: false).  Every CODEOWNERS rule names
 * at least one group, and every group has u00 and u01 as members, so two
 * approvals by u00 and u01 meet every requirement, [Section][2] ones too.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEAMS 40
#define SERVICES 25
#define APPS 25
#define MODULES 60
#define T0 1700000000L

static uint64_t rng;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void seed(uint64_t s)
{
	rng = 0x9e3779b97f4a7c15ULL ^ (s * 0xbf58476d1ce4e5b9ULL);
	if (!rng)
		rng = 1;
	rnd(2);
}

static const char *const envs[] = { "dev", "stg", "prd" };
static const char *const svc_files[] = {
	"README.md", "Makefile", "Dockerfile", "go.mod", "main.go",
	"src/handler.go", "src/store.go", "src/api.go", "src/metrics.go",
	"internal/config.go", "internal/cache.go", "internal/cache_test.go",
	"config/values.yaml", "config/app.json", "test/e2e_test.go", "test/fixtures.json",
	"scripts/build.sh"
};
static const char *const overlay_files[] = { "kustomization.yaml", "deployment-patch.yaml", "configmap.yaml", "hpa.yaml" };
static const char *const base_files[] = { "kustomization.yaml", "deployment.yaml", "service.yaml", "configmap.yaml" };
static const char *const tf_files[] = { "main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md" };
static const char *const doc_dirs[] = { "adr", "runbooks", "howto", "reference", "onboarding", "security", "oncall", "design" };
static const char *const dirs[] = { "src", "internal", "config", "test", "scripts" };
static const char *const exts[] = { "go", "yaml", "md", "tf", "json", "sh" };
static const char *const basenames[] = { "Makefile", "Dockerfile", "go.mod", "main.tf", "values.yaml", "kustomization.yaml" };

static char **paths;
static unsigned npaths;
static unsigned long counter;	/* commits written, for dates and unique contents */
static unsigned long mark;

static void add_path(char *p)
{
	paths[npaths++] = p;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, f);
	vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return strdup(buf);
}

/* Exactly n distinct paths, the same for the same n. */
static void gen_paths(unsigned n)
{
	unsigned t, s, e, a, m, f, d, i;

	paths = calloc(n, sizeof(*paths));
	npaths = 0;
	for (t = 0; t < TEAMS; t++)
		for (s = 0; s < SERVICES; s++)
			for (f = 0; f < sizeof(svc_files) / sizeof(*svc_files); f++)
				if (npaths < n)
					add_path(fmt("apps/team%u/svc%u/%s", t, s, svc_files[f]));
	for (e = 0; e < 3; e++)
		for (a = 0; a < APPS; a++)
			for (f = 0; f < 4; f++)
				if (npaths < n)
					add_path(fmt("overlays/%s/app%u/%s", envs[e], a, overlay_files[f]));
	for (a = 0; a < APPS; a++)
		for (f = 0; f < 4; f++)
			if (npaths < n)
				add_path(fmt("base/app%u/%s", a, base_files[f]));
	for (m = 0; m < MODULES; m++)
		for (f = 0; f < 5; f++)
			if (npaths < n)
				add_path(fmt("terraform/modules/mod%u/%s", m, tf_files[f]));
	for (i = 0; npaths < n; i++) {
		d = i % 8;
		add_path(fmt("docs/%s/page%u.md", doc_dirs[d], i / 8));
	}
}

/* Owners always include a group (every group has u00 and u01). */
static void gen_codeowners(FILE *out, unsigned nrules, unsigned nusers)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	unsigned i, t, s;

	fprintf(fp, "# generated by bench-gen: %u rules\n* @platform\n", nrules);
	for (i = 1; i < nrules; i++) {
		t = rnd(TEAMS);
		s = rnd(SERVICES);
		if (i % 250 == 0)
			fprintf(fp, "[Section%u][%u] @platform\n", i / 250, 1 + i / 250 % 2);
		switch (rnd(20)) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			fprintf(fp, "/apps/team%u/svc%u/ @team%u\n", t, s, t);
			break;
		case 6:
			fprintf(fp, "/overlays/%s/app%u/ @org/env-%s\n", envs[rnd(3)], s, envs[rnd(3)]);
			break;
		case 7:
			fprintf(fp, "/apps/team%u/svc%u/%s @team%u u%02u@example.com\n", t, s,
				svc_files[rnd(17)], t, 10 + rnd(nusers - 10));
			break;
		case 8:
			fprintf(fp, "/terraform/modules/mod%u/ @infra\n", rnd(MODULES));
			break;
		case 9:
			fprintf(fp, "%s @build\n", basenames[rnd(6)]);
			break;
		case 10:
			fprintf(fp, "svc%u/ @team%u\n", s, t);
			break;
		case 11:
			fprintf(fp, "*.%s @platform\n", exts[rnd(6)]);
			break;
		case 12:
			fprintf(fp, "/apps/team%u/*.md @docs-writers\n", t);
			break;
		case 13:
			fprintf(fp, "/apps/team%u/**/%s @team%u\n", t, dirs[rnd(5)], t);
			break;
		case 14:
			fprintf(fp, "**/%s/*.%s @team%u @qa\n", dirs[rnd(5)], exts[rnd(6)], t);
			break;
		case 15:
			fprintf(fp, "/apps/team%u/svc%u/test/\n", t, s);	/* un-owns */
			break;
		case 16:
			fprintf(fp, "docs/**/*.md @docs-writers\n");
			break;
		case 17:
			fprintf(fp, "*_test.go @qa\n");
			break;
		case 18:
			fprintf(fp, "/base/app%u/ @platform @org/env-prd\n", rnd(APPS));
			break;
		default:
			switch (rnd(4)) {
			case 0: fprintf(fp, "svc%u* @team%u\n", s, t); break;
			case 1: fprintf(fp, "?akefile @build\n"); break;
			case 2: fprintf(fp, "/apps/*/svc%u/ @team%u\n", s, t); break;
			default: fprintf(fp, "/docs/%s/ @docs-writers\n", doc_dirs[rnd(8)]); break;
			}
		}
	}
	fclose(fp);
	fprintf(out, "M 100644 inline CODEOWNERS\ndata %zu\n%s\n", len, text);
	free(text);
}

static void commit_header(FILE *out, const char *ref, unsigned author, const char *msg)
{
	long when = T0 + (long)counter * 10;

	counter++;
	fprintf(out, "commit %s\nmark :%lu\n", ref, ++mark);
	fprintf(out, "author u%02u <u%02u@example.com> %ld +0000\n", author, author, when);
	fprintf(out, "committer u%02u <u%02u@example.com> %ld +0000\n", author, author, when);
	fprintf(out, "data %zu\n%s\n", strlen(msg), msg);
}

/* A new version of file `f`, unique to this commit and change `k`. */
static void modify(FILE *out, unsigned f, unsigned long version)
{
	char data[320];
	int n = snprintf(data, sizeof(data), "%s\nversion %lu\n", paths[f], version);

	fprintf(out, "M 100644 inline %s\ndata %d\n%s\n", paths[f], n, data);
}

static unsigned author(unsigned nusers)
{
	return 10 + rnd(nusers - 10);
}

static unsigned long gen_history(FILE *out, unsigned history, unsigned nrules, unsigned nusers)
{
	char msg[128];
	unsigned i, k, nmod;

	fprintf(out, "commit refs/bench/main\nmark :%lu\n", ++mark);
	fprintf(out, "author u02 <u02@example.com> %ld +0000\ncommitter u02 <u02@example.com> %ld +0000\n",
		T0, T0);
	fprintf(out, "data 21\nchore: initial import\n");
	counter++;
	for (i = 0; i < npaths; i++)
		modify(out, i, 0);
	gen_codeowners(out, nrules, nusers);
	for (i = 1; i < history; i++) {
		snprintf(msg, sizeof(msg), "feat(history): change %u", i);
		commit_header(out, "refs/bench/main", author(nusers), msg);
		for (k = 0, nmod = 1 + rnd(4); k < nmod; k++)
			modify(out, rnd(npaths), counter * 4 + k);
	}
	return mark;
}

static void gen_linear(FILE *out, const char *name, unsigned count, unsigned long from, unsigned nusers)
{
	char ref[256], msg[256];
	unsigned i;

	snprintf(ref, sizeof(ref), "refs/bench/%s", name);
	for (i = 0; i < count; i++) {
		snprintf(msg, sizeof(msg), "feat(%s): change %u", name, i);
		commit_header(out, ref, author(nusers), msg);
		if (i == 0)
			fprintf(out, "from :%lu\n", from);
		modify(out, rnd(npaths), counter * 4);
	}
}

static void gen_small(FILE *out, const char *name, unsigned long from, unsigned nusers)
{
	static const unsigned per_commit[] = { 7, 7, 6 };
	char ref[256], msg[256];
	unsigned c, k, f, used[20], nused = 0, j;

	snprintf(ref, sizeof(ref), "refs/bench/%s", name);
	for (c = 0; c < 3; c++) {
		snprintf(msg, sizeof(msg), "feat(%s): step %u of 3", name, c + 1);
		commit_header(out, ref, author(nusers), msg);
		if (c == 0)
			fprintf(out, "from :%lu\n", from);
		for (k = 0; k < per_commit[c]; k++) {
			do {
				f = rnd(npaths);
				for (j = 0; j < nused && used[j] != f; j++)
					;
			} while (j < nused);
			used[nused++] = f;
			modify(out, f, counter * 4 + k);
		}
	}
}

/*
 * Feature j changes files perm(4j..4j+3): distinct from the two features
 * merged between its base and its merge, so the merge is clean, and its
 * tree is the develop tip plus the feature's four changes.
 */
static void gen_develop(FILE *out, const char *name, unsigned count, unsigned long from, unsigned nusers)
{
	char ref[256], fref[256], msg[256];
	unsigned long tips[3] = { from, from, from }, base, ver[4];
	unsigned nfeat = count / 5, j, k, files[4], a, stride = 7919;

	snprintf(ref, sizeof(ref), "refs/bench/%s", name);
	snprintf(fref, sizeof(fref), "refs/bench/%s-feature", name);
	for (j = 0; j < nfeat; j++) {
		base = tips[0];	/* develop as it was two merges ago */
		a = author(nusers);
		for (k = 0; k < 4; k++) {
			files[k] = (unsigned)(((unsigned long)(4 * j + k) * stride + 13) % npaths);
			snprintf(msg, sizeof(msg), "feat(%s-f%u): part %u", name, j, k + 1);
			commit_header(out, fref, a, msg);
			if (k == 0)
				fprintf(out, "from :%lu\n", base);
			ver[k] = counter * 4;
			modify(out, files[k], ver[k]);
		}
		snprintf(msg, sizeof(msg), "Merge branch 'feature/%s-f%u' into develop", name, j);
		commit_header(out, ref, a, msg);
		fprintf(out, "from :%lu\nmerge :%lu\n", tips[2], mark - 1);
		for (k = 0; k < 4; k++)
			modify(out, files[k], ver[k]);
		tips[0] = tips[1];
		tips[1] = tips[2];
		tips[2] = mark;
	}
}

/*
 * Features all branched from `from`: feature j changes files
 * perm(j * per .. j * per + per - 1), one a commit, distinct from every
 * other feature's, so every merge is clean and its tree is the develop
 * tip plus the feature's changes.
 */
static void gen_oldfork(FILE *out, const char *name, unsigned nfeat, unsigned per, unsigned long from,
	unsigned nusers)
{
	char ref[256], fref[256], msg[256];
	unsigned long tip = from, *ver = calloc(per, sizeof(*ver));
	unsigned *files = calloc(per, sizeof(*files)), j, k, a, stride = 7919;

	if (!ver || !files || (unsigned long)nfeat * per > npaths) {
		fprintf(stderr, "bench-gen: %u features of %u commits need more than %u files\n", nfeat, per, npaths);
		exit(2);
	}
	snprintf(ref, sizeof(ref), "refs/bench/%s", name);
	snprintf(fref, sizeof(fref), "refs/bench/%s-feature", name);
	for (j = 0; j < nfeat; j++) {
		a = author(nusers);
		for (k = 0; k < per; k++) {
			files[k] = (unsigned)(((unsigned long)(j * per + k) * stride + 13) % npaths);
			snprintf(msg, sizeof(msg), "feat(%s-f%u): part %u", name, j, k + 1);
			commit_header(out, fref, a, msg);
			if (k == 0)
				fprintf(out, "from :%lu\n", from);
			ver[k] = counter * 4;
			modify(out, files[k], ver[k]);
		}
		snprintf(msg, sizeof(msg), "Merge branch 'feature/%s-f%u' into develop", name, j);
		commit_header(out, ref, a, msg);
		fprintf(out, "from :%lu\nmerge :%lu\n", tip, mark - 1);
		for (k = 0; k < per; k++)
			modify(out, files[k], ver[k]);
		tip = mark;
	}
	free(ver);
	free(files);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-gen [--files N] [--history N] [--rules N] [--users N] [NAME:linear|small|develop:COUNT]\n"
		"                 [NAME:oldfork:FEATURES:COMMITS]...\n"
		"       bench-gen --paths N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned files = 20000, history = 5000, rules = 1000, users = 50, count, per;
	unsigned long tip;
	char name[64], kind[32];
	int i, nf, first_chain = argc;
	FILE *out = stdout;
	static char obuf[1 << 16];

	setvbuf(out, obuf, _IOFBF, sizeof(obuf));
	for (i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (!strncmp(o, "--", 2) && i + 1 >= argc)
			usage();
		if (!strcmp(o, "--paths")) {
			gen_paths((unsigned)atoi(argv[++i]));
			for (count = 0; count < npaths; count++)
				printf("%s\n", paths[count]);
			return 0;
		} else if (!strcmp(o, "--files"))
			files = (unsigned)atoi(argv[++i]);
		else if (!strcmp(o, "--history"))
			history = (unsigned)atoi(argv[++i]);
		else if (!strcmp(o, "--rules"))
			rules = (unsigned)atoi(argv[++i]);
		else if (!strcmp(o, "--users"))
			users = (unsigned)atoi(argv[++i]);
		else if (!strncmp(o, "--", 2))
			usage();
		else {
			first_chain = i;
			break;
		}
	}
	if (files < 1000 || history < 1 || rules < 2 || users < 12 || users > 100)
		usage();
	seed(1);
	gen_paths(files);
	fprintf(out, "feature done\n");
	tip = gen_history(out, history, rules, users);
	for (i = first_chain; i < argc; i++) {
		kind[0] = '\0';
		nf = sscanf(argv[i], "%63[^:]:%31[^:]:%u:%u", name, kind, &count, &per);
		if (nf < 3 || nf != 3 + !strcmp(kind, "oldfork"))
			usage();
		seed(1000 + (uint64_t)i);
		if (!strcmp(kind, "linear"))
			gen_linear(out, name, count, tip, users);
		else if (!strcmp(kind, "small"))
			gen_small(out, name, tip, users);
		else if (!strcmp(kind, "develop"))
			gen_develop(out, name, count, tip, users);
		else if (!strcmp(kind, "oldfork") && count && per)
			gen_oldfork(out, name, count, per, tip, users);
		else
			usage();
	}
	fprintf(out, "done\n");
	return fflush(out) ? 1 : 0;
}

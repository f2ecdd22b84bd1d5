/*
 * test-merge-bases: the one-pass merge bases of a promotion
 * (src/engine/merge-bases.c) against libgit2's git_merge_bases, merge by
 * merge, on named hostile graphs and on thousands of random promotions:
 * features forked from an old point, from the chain, from below the
 * update; criss-cross merges with two bases; commit dates in order,
 * reversed, or anywhere between 1970 and 2038; and update lists that are
 * exact, hold commits below OLD (as libgit2's revwalk returns on skewed
 * dates) or miss some.  Whatever the pass settles must be libgit2's one
 * base; it may leave a merge unknown, never answer differently.
 */
#include "merge-bases.h"
#include "util.h"
#include "tap.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXC 600
#define MAXP 3

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* The graph under construction: commit i has np[i] parents par[i][]. */
static git_repository *repo;
static git_oid empty_tree;
static git_oid ids[MAXC];
static int np[MAXC], par[MAXC][MAXP];
static int ncommits, date_mode;
static unsigned serial;

static int64_t date_of(int i)
{
	switch (date_mode) {
	case 0: return 1000000000 + (int64_t)i * 60;		/* in order */
	case 1: return 2000000000 - (int64_t)i * 3600;		/* backwards */
	default: return (int64_t)rnd(2147483000u);		/* anywhere */
	}
}

/* A new commit with the given parents; its index. */
static int mk(int n, const int *parents)
{
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	const git_commit *pc[MAXP];
	git_commit *owned[MAXP];
	char msg[64];
	int i, k = ncommits, r;

	if (k >= MAXC)
		return -1;
	for (i = 0; i < n; i++) {
		if (git_commit_lookup(&owned[i], repo, &ids[parents[i]]) < 0)
			return -1;
		pc[i] = owned[i];
		par[k][i] = parents[i];
	}
	np[k] = n;
	snprintf(msg, sizeof(msg), "c%u\n", serial++);
	r = git_signature_new(&sig, "t", "t@example.com", date_of(k), 0) < 0 ||
		git_tree_lookup(&tree, repo, &empty_tree) < 0 ||
		git_commit_create(&ids[k], repo, NULL, sig, sig, NULL, msg, tree, (size_t)n, pc) < 0;
	for (i = 0; i < n; i++)
		git_commit_free(owned[i]);
	git_tree_free(tree);
	git_signature_free(sig);
	if (r)
		return -1;
	return ncommits++;
}

static int mk1(int p)
{
	return p < 0 ? mk(0, NULL) : mk(1, &p);
}

static int mk2(int a, int b)
{
	int p[2] = { a, b };

	return mk(2, p);
}

/* mark[] |= bit for every ancestor of c (c included). */
static void mark_anc(unsigned char *mark, int c, unsigned char bit)
{
	int stack[MAXC * MAXP + 1], n = 0, i;

	stack[n++] = c;
	while (n) {
		c = stack[--n];
		if (mark[c] & bit)
			continue;
		mark[c] |= bit;
		for (i = 0; i < np[c]; i++)
			stack[n++] = par[c][i];
	}
}

/*
 * The update NEW --not OLD, exact (skew 0), with commits below OLD added
 * (skew 1, what a revwalk misled by dates returns), or with some commits
 * left out (skew 2).
 */
static size_t update_list(git_oid *out, int tip, int old, int skew)
{
	unsigned char mark[MAXC];
	size_t n = 0;
	int i;

	memset(mark, 0, sizeof(mark));
	mark_anc(mark, tip, 1);
	if (old >= 0)
		mark_anc(mark, old, 2);
	for (i = 0; i < ncommits; i++) {
		if (mark[i] == 1 && !(skew == 2 && rnd(8) == 0))
			git_oid_cpy(&out[n++], &ids[i]);
		else if (mark[i] == 3 && skew == 1 && rnd(3) == 0)
			git_oid_cpy(&out[n++], &ids[i]);
	}
	return n;
}

/* Whether the pass settled commit i, from the last compare(). */
static int settled[MAXC];

/*
 * Compare every two-parent merge of the graph with libgit2.  Returns the
 * number of mismatches; *known and *merges count what the pass settled.
 */
static int compare(int tip, const git_oid *update, size_t nupdate, size_t *known, size_t *merges,
	const char *name)
{
	pc_merge_bases *mb = NULL;
	git_oidarray bases = { NULL, 0 };
	git_oid base;
	char hex[GIT_OID_HEXSZ + 1];
	int c, bad = 0, have, e;

	*known = *merges = 0;
	if (pc_merge_bases_compute(&mb, repo, &ids[tip], update, nupdate, NULL) < 0)
		return 1;
	for (c = 0; c < ncommits; c++) {
		settled[c] = 0;
		if (np[c] != 2)
			continue;
		have = settled[c] = pc_merge_bases_one(mb, &ids[c], &base);
		e = git_merge_bases(&bases, repo, &ids[par[c][0]], &ids[par[c][1]]);
		(*merges)++;
		*known += have;
		if (have && (e < 0 || bases.count != 1 || !git_oid_equal(&bases.ids[0], &base))) {
			git_oid_tostr(hex, sizeof(hex), &ids[c]);
			diag("%s: merge %d (%s): one pass says one base, libgit2 %d base(s)", name, c, hex,
				e < 0 ? 0 : (int)bases.count);
			bad++;
		}
		git_error_clear();
		git_oidarray_dispose(&bases);
		memset(&bases, 0, sizeof(bases));
	}
	if (*known != pc_merge_bases_known(mb))
		bad++;
	pc_merge_bases_free(mb);
	return bad;
}

static void reset_graph(int mode)
{
	ncommits = 0;
	date_mode = mode;
}

/* `history` commits of main, linear; the index of its tip. */
static int main_line(int history)
{
	int tip = mk1(-1), i;

	for (i = 1; i < history; i++)
		tip = mk1(tip);
	return tip;
}

/* A feature of n commits from `from`; its tip. */
static int feature(int from, int n)
{
	while (n-- > 0)
		from = mk1(from);
	return from;
}

static void test_named(void)
{
	git_oid up[MAXC];
	size_t nup, known, merges;
	int mode, x, old, tip, f, i, c1, f1, m1, f2, m2, below;
	static const char *const modes[] = { "dates in order", "dates backwards", "dates anywhere" };

	for (mode = 0; mode < 3; mode++) {
		/* 20 features of 5 commits, all from main's old tip X. */
		reset_graph(mode);
		x = old = main_line(10);
		tip = x;
		for (i = 0; i < 20; i++) {
			f = feature(x, 5);
			tip = mk2(tip, f);
		}
		nup = update_list(up, tip, old, 0);
		is_int(compare(tip, up, nup, &known, &merges, "old fork"), 0, "old fork, %s: libgit2's bases", modes[mode]);
		ok(known == 20 && merges == 20, "old fork, %s: all 20 merges settled in one pass (%zu)", modes[mode], known);
		nup = update_list(up, tip, old, 1);
		is_int(compare(tip, up, nup, &known, &merges, "old fork, skewed"), 0,
			"old fork, %s, an update holding commits below OLD: libgit2's bases", modes[mode]);

		/* The same develop promoted --no-ff: its merges are on the second parent's line. */
		tip = mk2(old, tip);
		nup = update_list(up, tip, old, 0);
		is_int(compare(tip, up, nup, &known, &merges, "no-ff promotion"), 0,
			"a --no-ff promotion of the old forks, %s: libgit2's bases", modes[mode]);
		ok(known == 21, "a --no-ff promotion of the old forks, %s: all 21 merges settled (%zu)", modes[mode], known);

		/* Features from develop two merges back, as bench-gen's develop chains. */
		reset_graph(mode);
		x = old = main_line(5);
		{
			int hist[3] = { x, x, x };
			tip = x;
			for (i = 0; i < 15; i++) {
				f = feature(hist[0], 3);
				tip = mk2(tip, f);
				hist[0] = hist[1];
				hist[1] = hist[2];
				hist[2] = tip;
			}
		}
		nup = update_list(up, tip, old, 0);
		is_int(compare(tip, up, nup, &known, &merges, "develop"), 0, "features from develop, %s: libgit2's bases", modes[mode]);
		ok(known == 15, "features from develop, %s: all 15 settled (%zu)", modes[mode], known);

		/* Criss-cross: the feature merged develop after develop merged it. */
		reset_graph(mode);
		x = old = main_line(3);
		c1 = mk1(x);
		f1 = feature(x, 2);
		m1 = mk2(c1, f1);
		f2 = mk2(f1, c1);
		f2 = mk1(f2);
		m2 = mk2(m1, f2);
		tip = m2;
		nup = update_list(up, tip, old, 0);
		is_int(compare(tip, up, nup, &known, &merges, "criss-cross"), 0, "criss-cross, %s: libgit2's bases", modes[mode]);
		ok(settled[m1] && !settled[m2], "criss-cross, %s: the merge with two bases is left to libgit2", modes[mode]);

		/* A second parent forked from below X, not on the target. */
		reset_graph(mode);
		below = main_line(6);
		x = old = feature(below, 3);
		m1 = mk2(x, feature(x, 2));
		m2 = mk2(m1, feature(below, 2));
		tip = mk2(m2, feature(x, 2));
		nup = update_list(up, tip, old, 0);
		is_int(compare(tip, up, nup, &known, &merges, "forked below"), 0,
			"a side forked below the update, %s: libgit2's bases", modes[mode]);
		ok(settled[m1] && !settled[m2] && !settled[tip],
			"a side forked below the update, %s: it and what follows left to libgit2", modes[mode]);

		/* Two roots: a feature with no history in common. */
		reset_graph(mode);
		x = old = main_line(4);
		tip = mk2(x, feature(-1, 3));
		nup = update_list(up, tip, old, 0);
		is_int(compare(tip, up, nup, &known, &merges, "unrelated"), 0, "an unrelated history, %s: libgit2's bases", modes[mode]);
		ok(known == 0, "an unrelated history, %s: left to libgit2", modes[mode]);
	}
}

/* Random promotions: a chain of merges and commits over a main line. */
static void test_random(void)
{
	git_oid up[MAXC];
	size_t nup, known, merges, total_known = 0, total_merges = 0;
	int round, rounds, bad = 0, i, k, from, tip, old, x, f, feats[64], nfeats, steps, chain[64], nchain, main_tip;

	/*
	 * Under valgrind (contrib/test.sh sets PC_UNIT_VALGRIND) a tenth of
	 * the rounds: they look for memory errors, which the first rounds
	 * reach as well as the last; make check runs them all.
	 */
	rounds = getenv("PC_UNIT_VALGRIND") ? 300 : 3000;
	for (round = 0; round < rounds; round++) {
		reset_graph(rnd(3));
		main_tip = main_line(2 + (int)rnd(8));
		/* Some side history on main, merged. */
		if (rnd(2))
			main_tip = mk2(main_tip, feature(main_tip - (int)rnd((unsigned)main_tip + 1), 1 + (int)rnd(3)));
		x = tip = main_tip - (int)rnd(2);
		nchain = nfeats = 0;
		chain[nchain++] = tip;
		steps = 3 + (int)rnd(20);
		for (k = 0; k < steps && ncommits < MAXC - 40; k++) {
			if (rnd(5) == 0) {
				tip = mk1(tip);
				chain[nchain++] = tip;
				continue;
			}
			switch (rnd(6)) {
			case 0: case 1: from = x; break;				/* the old point */
			case 2: from = chain[rnd((unsigned)nchain)]; break;		/* develop */
			case 3: from = nfeats ? feats[rnd((unsigned)nfeats)] : x; break;	/* another feature */
			case 4: from = (int)rnd((unsigned)main_tip + 1); break;	/* anywhere on main */
			default: from = rnd(8) ? x : -1; break;			/* rarely: no common history */
			}
			f = feature(from, (int)rnd(4));
			if (f < 0)
				f = mk1(-1);
			if (rnd(4) == 0)	/* the feature merges develop: criss-cross */
				f = mk2(f, chain[rnd((unsigned)nchain)]);
			if (rnd(6) == 0 && nfeats)	/* or another feature */
				f = mk2(f, feats[rnd((unsigned)nfeats)]);
			f = feature(f, (int)rnd(2));
			if (nfeats < 64)
				feats[nfeats++] = f;
			tip = f == tip ? mk1(tip) : mk2(tip, f);
			if (nchain < 64)
				chain[nchain++] = tip;
		}
		/* OLD: main's tip, or a commit of the chain (an earlier promotion). */
		old = rnd(3) ? main_tip : chain[rnd((unsigned)nchain)];
		for (i = 0; i < 3; i++) {
			nup = update_list(up, tip, old, i);
			bad += compare(tip, up, nup, &known, &merges, "random");
			total_known += known;
			total_merges += merges;
		}
	}
	is_int(bad, 0, "%d random promotions, exact and skewed update lists: every merge base settled is libgit2's",
		rounds);
	diag("%zu of %zu merges settled in one pass", total_known, total_merges);
	ok(total_known * 10 > total_merges, "the pass settles merges of random promotions too");
}

int main(void)
{
	char tmpl[] = "/tmp/test-merge-bases.XXXXXX", *dir, *cmd;
	git_odb_backend *mempack = NULL;
	git_treebuilder *tb = NULL;
	git_odb *odb = NULL;

	git_libgit2_init();
	if (!(dir = mkdtemp(tmpl)) || git_repository_init(&repo, dir, 1) < 0) {
		ok(0, "temporary repository");
		return done_testing();
	}
	if (git_repository_odb(&odb, repo) < 0 || git_mempack_new(&mempack) < 0 ||
	    git_odb_add_backend(odb, mempack, 1000) < 0 ||
	    git_treebuilder_new(&tb, repo, NULL) < 0 || git_treebuilder_write(&empty_tree, tb) < 0) {
		ok(0, "in-memory object database");
		return done_testing();
	}
	git_treebuilder_free(tb);
	git_odb_free(odb);
	test_named();
	test_random();
	git_repository_free(repo);
	if ((cmd = pc_asprintf("rm -rf '%s'", dir))) {
		if (system(cmd) != 0)
			diag("cannot remove %s", dir);
		free(cmd);
	}
	git_libgit2_shutdown();
	return done_testing();
}

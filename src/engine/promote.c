/*
 * promote.c: the branch strategies (doc/DESIGN.md section 5): promotion paths
 * (`from`), the merge-omission check (`require`), clean merges, and the
 * Pattern3 environment rules over overlay directories.
 */
#include "engine.h"
#include "overlay.h"
#include "merge-bases.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 5
/* Revert candidates recomputed per check: each may walk the branch's history. */
#define MAX_REVERTS 16

static int pattern_list_match(const pc_strlist *patterns, const char *name)
{
	size_t i;

	for (i = 0; i < patterns->n; i++)
		if (pc_glob_match(patterns->items[i], name))
			return 1;
	return 0;
}

/* Add the commit `id` peels to, once; a tip that is no commit-ish reaches no commit. */
static int add_tip(git_oid **tips, size_t *n, size_t *alloc, pc_oidset *seen, pc_ctx *ctx,
	const git_oid *id, pc_error *err)
{
	git_object *obj = NULL, *commit = NULL;
	int r = 0;

	if (git_object_lookup(&obj, ctx->repo, id, GIT_OBJECT_ANY) < 0 ||
	    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		git_error_clear();
		goto done;
	}
	if (seen && (r = pc_oidset_add(seen, git_object_id(commit))) <= 0)
		goto done;
	if (pc_grow((void **)tips, alloc, *n + 1, sizeof(**tips)) < 0) {
		r = PC_ENOMEM;
		goto done;
	}
	git_oid_cpy(&(*tips)[(*n)++], git_object_id(commit));
	r = 0;
done:
	git_object_free(commit);
	git_object_free(obj);
	return r < 0 ? pc_error_set(err, PC_ENOMEM, "out of memory") : 0;
}

/* Walk from `tips` down to OLD into `set`: inside NEW --not OLD when the tips are. */
static int walk_into(pc_oidset *set, pc_ctx *ctx, pc_change *c, const git_oid *tips, size_t ntips,
	pc_error *err)
{
	const git_oid *old = git_oid_is_zero(&c->u->old_id) ? NULL : &c->u->old_id;
	git_oid *ids = NULL;
	size_t n = 0, i;
	int r;

	if (!ntips)
		return 0;
	r = pc_repo_walk_many(&ids, &n, ctx->repo, tips, ntips, old, old ? 1 : 0,
		(size_t)ctx->policy->limits.max_commits, err);
	for (i = 0; r == 0 && i < n; i++)
		if (pc_oidset_add(set, &ids[i]) < 0)
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
	free(ids);
	return r;
}

static int is_merge(pc_ctx *ctx, const git_oid *id, int *merge, pc_error *err);

/* 1 when every non-merge commit of the update is in `set`. */
static int covers(pc_ctx *ctx, pc_change *c, const pc_oidset *set, pc_error *err)
{
	size_t i;
	int merge, r;

	for (i = 0; i < c->nbranch_new; i++) {
		if (pc_oidset_has(set, &c->branch_new[i]))
			continue;
		if ((r = is_merge(ctx, &c->branch_new[i], &merge, err)) < 0)
			return r;
		if (!merge)
			return 0;
	}
	return 1;
}

/*
 * The commits of the update (NEW --not OLD) that a branch matching
 * `patterns` reaches after this push: the only ones we ask about.  The
 * walks stay inside NEW --not OLD, which the push already bounds, so
 * their cost and limits.max_commits follow what the push brings, not how
 * long or how many the matching branches are (one walk per branch down to
 * OLD, each counted against the limit, let a feature branch longer than
 * the limit lock out every promotion).
 *
 * The usual promotion merges branches whose tips the update itself
 * reaches: a walk from those tips answers.  Otherwise (a branch that moved
 * on after it was merged, or a commit on no branch) a commit of the update
 * is on a branch exactly when it is below a merge base of NEW and that
 * branch: the merge bases of NEW and all the tips at once
 * (git_merge_bases_many), and a walk from them down to OLD.  Finding
 * those bases reads the branches' own commits down to where they meet
 * NEW's history, once for all of them.
 *
 * With `except`, branches matching it and the updated branch itself are
 * left out (the hotfix check asks what other branches reach).
 */
static int reachable_from(pc_oidset *set, pc_ctx *ctx, pc_change *c, const pc_strlist *patterns,
	const pc_strlist *except, pc_error *err)
{
	const pc_push *push = ctx->push;
	const git_oid *tip;
	git_oidarray bases = { NULL, 0 };
	pc_oidset seen = PC_OIDSET_INIT, update = PC_OIDSET_INIT;
	git_oid *tips = NULL, *inside = NULL;
	size_t ntips = 0, alloc = 0, ninside = 0, i;
	int r, e;

	/*
	 * tips[0] is NEW, for git_merge_bases_many: NEW against all the others
	 * (a branch at NEW itself is one of them, and reaches all of NEW).
	 */
	if ((r = add_tip(&tips, &ntips, &alloc, NULL, ctx, &c->u->new_id, err)) < 0 || !ntips)
		goto done;
	for (i = 0; i < ctx->refs.n; i++) {
		const char *name = ctx->refs.names[i];
		if (strncmp(name, "refs/heads/", 11) || !pattern_list_match(patterns, name + 11) ||
		    (except && (pattern_list_match(except, name + 11) || !strcmp(name, c->u->ref))))
			continue;
		if ((tip = pc_ctx_tip_after(ctx, name)) &&
		    (r = add_tip(&tips, &ntips, &alloc, &seen, ctx, tip, err)) < 0)
			goto done;
	}
	/* Branches created by this same push. */
	for (i = 0; i < push->nupdates; i++) {
		const char *name = push->updates[i].ref;
		if (strncmp(name, "refs/heads/", 11) || !pattern_list_match(patterns, name + 11) ||
		    pc_refs_get(&ctx->refs, name) || git_oid_is_zero(&push->updates[i].new_id) ||
		    !pc_ctx_applies(ctx, i) ||
		    (except && (pattern_list_match(except, name + 11) || !strcmp(name, c->u->ref))))
			continue;
		if ((r = add_tip(&tips, &ntips, &alloc, &seen, ctx, &push->updates[i].new_id, err)) < 0)
			goto done;
	}
	if (ntips < 2)
		goto done;
	/* The tips inside the update. */
	for (i = 0; i < c->nbranch_new; i++)
		if (pc_oidset_add(&update, &c->branch_new[i]) < 0) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
	if (!(inside = pc_calloc(ntips, sizeof(*inside)))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 1; i < ntips; i++)
		if (pc_oidset_has(&update, &tips[i]))
			git_oid_cpy(&inside[ninside++], &tips[i]);
	if ((r = walk_into(set, ctx, c, inside, ninside, err)) < 0 ||
	    (r = covers(ctx, c, set, err)) != 0)
		goto done;
	e = git_merge_bases_many(&bases, ctx->repo, ntips, tips);
	if (e == GIT_ENOTFOUND) {
		git_error_clear();
		goto done;
	}
	if (e < 0) {
		r = pc_error_set(err, PC_EIO, "cannot find what the branches share: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
		goto done;
	}
	r = walk_into(set, ctx, c, bases.ids, bases.count, err);
done:
	free(inside);
	free(tips);
	pc_oidset_clear(&seen);
	pc_oidset_clear(&update);
	git_oidarray_dispose(&bases);
	return r < 0 ? r : 0;
}

int pc_promote_reachable(pc_oidset *set, pc_ctx *ctx, pc_change *c, const pc_strlist *patterns,
	const pc_strlist *except, pc_error *err)
{
	return reachable_from(set, ctx, c, patterns, except, err);
}

static const char *list_text(pc_buf *b, const pc_strlist *l)
{
	size_t i;

	pc_buf_clear(b);
	for (i = 0; i < l->n; i++)
		pc_buf_printf(b, "%s%s", i ? ", " : "", l->items[i]);
	return b->ptr;
}

/* The promotion chain ending at `branch`, oldest stage first: "develop -> staging -> main". */
static void promotion_hint(pc_buf *hint, const pc_policy *p, const pc_branch *branch)
{
	const pc_branch *chain[16];
	size_t n = 0, i;
	const pc_branch *b = branch;

	while (b && n < PC_ARRAY_SIZE(chain)) {
		chain[n++] = b;
		if (b->from.n != 1 || pc_is_glob(b->from.items[0]))
			break;
		b = pc_policy_branch(p, b->from.items[0]);
		for (i = 0; b && i < n; i++)
			if (chain[i] == b)
				b = NULL;
	}
	pc_buf_clear(hint);
	if (n == 1) {
		pc_buf_printf(hint, "commit it on a branch matching %s and merge that branch",
			branch->from.n ? branch->from.items[0] : "work_branches");
		return;
	}
	pc_buf_printf(hint, "merge it to %s", chain[n - 1]->name);
	for (i = n - 1; i > 0; i--)
		pc_buf_printf(hint, "%s%s -> %s", i == 1 ? (n > 2 ? ", then " : ", then promote ") :
			(i == n - 1 ? ", promote " : ", "), chain[i]->name, chain[i - 1]->name);
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The conflicting paths of a merge's index, listed into `out`, and every
 * path a conflict involves on any side (ancestor, ours, theirs: a rename
 * conflict names up to three) into `all`, sorted for in_set().
 */
static int conflict_paths(pc_buf *out, pc_strlist *all, git_index *index)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *anc, *ours, *theirs;
	size_t n = 0;
	int r = 0;

	if (git_index_conflict_iterator_new(&it, index) < 0)
		return PC_EIO;
	while (r == 0 && git_index_conflict_next(&anc, &ours, &theirs, it) == 0) {
		const char *path = ours ? ours->path : theirs ? theirs->path : anc->path;
		if (n++ < MAX_LISTED)
			pc_buf_printf(out, "%s%s", n > 1 ? ", " : "", path);
		if ((anc && pc_strlist_add(all, anc->path) < 0) ||
		    (ours && pc_strlist_add(all, ours->path) < 0) ||
		    (theirs && pc_strlist_add(all, theirs->path) < 0))
			r = PC_ENOMEM;
	}
	if (n > MAX_LISTED)
		pc_buf_printf(out, " and %zu more", n - MAX_LISTED);
	git_index_conflict_iterator_free(it);
	if (all->n)
		qsort(all->items, all->n, sizeof(*all->items), strp_cmp);
	return r;
}

static int in_set(const pc_strlist *set, const char *path)
{
	return !path || (set->n && bsearch(&path, set->items, set->n, sizeof(*set->items), strp_cmp));
}

/* The file-level changes between two trees, with their new side. */
typedef struct path_change {
	char *path;
	git_oid id;		/* zero when deleted */
	uint32_t mode;		/* 0 when deleted */
	int side;		/* which change set, for disjoint() */
} path_change;

typedef struct change_set {
	path_change *items;
	size_t n, alloc;
	int side;
} change_set;

static void change_set_clear(change_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->items[i].path);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static int collect_change(const pc_tree_change *ch, void *payload)
{
	change_set *s = payload;
	path_change *pc;

	if (pc_grow((void **)&s->items, &s->alloc, s->n + 1, sizeof(*s->items)) < 0)
		return PC_ENOMEM;
	pc = &s->items[s->n];
	if (!(pc->path = pc_strdup(ch->path)))
		return PC_ENOMEM;
	git_oid_cpy(&pc->id, &ch->new_id);
	pc->mode = ch->new_mode;
	pc->side = s->side;
	s->n++;
	return 0;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(((const path_change *)a)->path, ((const path_change *)b)->path);
}

/*
 * 1 when no path is changed by both sets, and no path changed by one is a
 * directory above a path changed by the other (a directory/file conflict).
 */
static int disjoint(const change_set *x, const change_set *y)
{
	path_change *all, key, *hit;
	size_t n = x->n + y->n, i;
	const char *slash;
	pc_buf dir = PC_BUF_INIT;
	int ok = 1;

	if (!x->n || !y->n)
		return 1;
	if (!(all = pc_calloc(n, sizeof(*all))))
		return 0;
	memcpy(all, x->items, x->n * sizeof(*all));
	memcpy(all + x->n, y->items, y->n * sizeof(*all));
	qsort(all, n, sizeof(*all), path_cmp);
	for (i = 0; ok && i < n; i++) {
		if (i + 1 < n && !strcmp(all[i].path, all[i + 1].path))
			ok = 0;
		for (slash = strchr(all[i].path, '/'); ok && slash; slash = strchr(slash + 1, '/')) {
			pc_buf_clear(&dir);
			if (pc_buf_put(&dir, all[i].path, (size_t)(slash - all[i].path)) < 0) {
				ok = 0;
				break;
			}
			key.path = dir.ptr;
			hit = bsearch(&key, all, n, sizeof(*all), path_cmp);
			if (hit && hit->side != all[i].side)
				ok = 0;
		}
	}
	pc_buf_release(&dir);
	free(all);
	return ok;
}

static int same_changes(const change_set *x, const change_set *y)
{
	size_t i;

	if (x->n != y->n)
		return 0;
	for (i = 0; i < x->n; i++)
		if (strcmp(x->items[i].path, y->items[i].path) || x->items[i].mode != y->items[i].mode ||
		    !git_oid_equal(&x->items[i].id, &y->items[i].id))
			return 0;
	return 1;
}


/*
 * 1 when `tree` is well formed for lookups by name: names without '/',
 * in git's order, each once (a file and a directory of one name sort
 * apart, with only names continuing it by a byte below '/' between).
 * Checked once per tree of a merge, in `seen`.
 */
static int well_formed(pc_oidset *seen, const git_tree *tree)
{
	size_t n, i, j;
	const git_tree_entry *e, *f;
	const char *name;
	size_t len;

	if (!tree || pc_oidset_has(seen, git_tree_id(tree)))
		return 1;
	n = git_tree_entrycount(tree);
	for (i = 0; i < n; i++) {
		e = git_tree_entry_byindex(tree, i);
		name = git_tree_entry_name(e);
		if (!*name || strchr(name, '/') ||
		    (i && pc_tree_entry_cmp(git_tree_entry_byindex(tree, i - 1), e) >= 0))
			return 0;
		if (!pc_tree_entry_is_tree(e))
			continue;
		len = strlen(name);
		for (j = i; j-- > 0 && i - j <= 64;) {
			f = git_tree_entry_byindex(tree, j);
			if (strncmp(git_tree_entry_name(f), name, len))
				break;
			if (!git_tree_entry_name(f)[len])
				return 0;
		}
		if (j < i && i - j > 64)
			return 0;
	}
	return pc_oidset_add(seen, git_tree_id(tree)) >= 0;
}

static int any_change(const pc_tree_change *ch, void *payload)
{
	(void)ch;
	(void)payload;
	return 1;
}

static int same_leaf(const git_tree_entry *a, const git_tree_entry *b)
{
	return git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)) &&
		git_tree_entry_filemode(a) == git_tree_entry_filemode(b);
}

/*
 * Whether the changes from `base` to `ours` (d1 below) collide with the
 * path `path` the other side changed, as disjoint() would find with d1
 * listed: 1 when d1 has `path`, a directory above it, or a path below it;
 * 0 when not; -1 when unsure (a tree that is not well formed, an error):
 * then the caller lists d1.  It reads the trees along `path` alone, where
 * listing d1 reads everything the first parent changed since the base,
 * which grows with every merge of a promotion.
 */
static int collides(git_repository *repo, pc_oidset *seen, const git_tree *base, const git_tree *ours,
	const char *path)
{
	const git_tree *tb = base, *t1 = ours;
	git_tree *own_b = NULL, *own_1 = NULL, *next_b = NULL, *next_1 = NULL;
	const git_tree_entry *eb, *e1;
	pc_buf name = PC_BUF_INIT;
	const char *p = path, *slash;
	pc_error ignored = PC_ERROR_INIT;
	int r = -1, last;

	for (;;) {
		if (!well_formed(seen, tb) || !well_formed(seen, t1))
			goto done;
		slash = strchr(p, '/');
		last = !slash;
		pc_buf_clear(&name);
		if (pc_buf_put(&name, p, last ? strlen(p) : (size_t)(slash - p)) < 0)
			goto done;
		eb = tb ? git_tree_entry_byname(tb, name.ptr) : NULL;
		e1 = t1 ? git_tree_entry_byname(t1, name.ptr) : NULL;
		if ((eb && !pc_tree_entry_is_tree(eb)) || (e1 && !pc_tree_entry_is_tree(e1))) {
			/* A file here on a side: d1 has this path unless both have the same file. */
			r = !(eb && e1 && same_leaf(eb, e1));
			goto done;
		}
		if (!eb && !e1) {
			r = 0;
			goto done;
		}
		if (eb && e1 && git_oid_equal(git_tree_entry_id(eb), git_tree_entry_id(e1))) {
			r = 0;	/* the same subtree: nothing of d1 is in it */
			goto done;
		}
		if ((eb && git_tree_lookup(&next_b, repo, git_tree_entry_id(eb)) < 0) ||
		    (e1 && git_tree_lookup(&next_1, repo, git_tree_entry_id(e1)) < 0))
			goto done;
		git_tree_free(own_b);
		git_tree_free(own_1);
		tb = own_b = next_b;
		t1 = own_1 = next_1;
		next_b = next_1 = NULL;
		if (last) {
			/* A directory on a side where the other side changed a file: d1 below it? */
			r = pc_repo_diff_trees(repo, tb, t1, any_change, NULL, &ignored);
			r = r == 1 ? 1 : r == 0 ? 0 : -1;
			goto done;
		}
		p = slash + 1;
	}
done:
	git_error_clear();
	pc_buf_release(&name);
	git_tree_free(next_b);
	git_tree_free(next_1);
	git_tree_free(own_b);
	git_tree_free(own_1);
	return r;
}

/* The key of a pair of trees in the cache of well-formed pairs. */
static int pair_key(git_oid *key, const git_tree *a, const git_tree *b)
{
	unsigned char raw[2 * GIT_OID_RAWSZ];

	memset(raw, 0, sizeof(raw));
	if (a)
		memcpy(raw, git_tree_id(a)->id, GIT_OID_RAWSZ);
	if (b)
		memcpy(raw + GIT_OID_RAWSZ, git_tree_id(b)->id, GIT_OID_RAWSZ);
	return git_odb_hash(key, raw, sizeof(raw), GIT_OBJECT_BLOB);
}

/*
 * 1 when every tree that listing the changes from `a` to `b` reads is
 * well formed (the pairs of subtrees that differ, and everything under a
 * subtree one side lacks): then the listing holds each path once, joined
 * from names without '/', and collides() answers what disjoint() would.
 * Pairs found well formed are kept in `cache`: a promotion's merges share
 * most of them, so each is read once per push.
 */
static int well_formed_pair(git_repository *repo, pc_oidset *cache, const git_tree *a, const git_tree *b,
	unsigned depth)
{
	size_t i = 0, j = 0, na = a ? git_tree_entrycount(a) : 0, nb = b ? git_tree_entrycount(b) : 0;
	const git_tree_entry *ea, *eb;
	git_tree *sa = NULL, *sb = NULL;
	git_oid key;
	int c, ok = 1;

	if ((!a && !b) || (a && b && git_oid_equal(git_tree_id(a), git_tree_id(b))))
		return 1;
	if (depth >= PC_TREE_DEPTH_MAX || pair_key(&key, a, b) < 0)
		return 0;
	if (pc_oidset_has(cache, &key))
		return 1;
	if (!well_formed(cache, a) || !well_formed(cache, b))
		return 0;
	while (ok && (i < na || j < nb)) {
		ea = i < na ? git_tree_entry_byindex(a, i) : NULL;
		eb = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		c = !ea ? 1 : !eb ? -1 : pc_tree_entry_cmp(ea, eb);
		if (c == 0) {
			i++;
			j++;
			if (same_leaf(ea, eb))
				continue;
		} else if (c < 0) {
			i++;
			eb = NULL;
		} else {
			j++;
			ea = NULL;
		}
		if (!pc_tree_entry_is_tree(ea) && !pc_tree_entry_is_tree(eb))
			continue;
		if ((pc_tree_entry_is_tree(ea) && git_tree_lookup(&sa, repo, git_tree_entry_id(ea)) < 0) ||
		    (pc_tree_entry_is_tree(eb) && git_tree_lookup(&sb, repo, git_tree_entry_id(eb)) < 0))
			ok = 0;
		else
			ok = well_formed_pair(repo, cache, sa, sb, depth + 1);
		git_tree_free(sa);
		git_tree_free(sb);
		sa = sb = NULL;
	}
	git_error_clear();
	return ok && pc_oidset_add(cache, &key) >= 0;
}

static int strp_path_cmp(const void *a, const void *b)
{
	return strcmp((*(const path_change *const *)a)->path, (*(const path_change *const *)b)->path);
}

/* 1 when a path is listed twice (a tree with a name twice): disjoint() refuses that. */
static int has_twice(const change_set *s)
{
	const path_change **v;
	size_t i;
	int twice = 0;

	if (s->n < 2)
		return 0;
	if (!(v = pc_calloc(s->n, sizeof(*v))))
		return 1;
	for (i = 0; i < s->n; i++)
		v[i] = &s->items[i];
	qsort(v, s->n, sizeof(*v), strp_path_cmp);
	for (i = 1; i < s->n && !twice; i++)
		twice = !strcmp(v[i - 1]->path, v[i]->path);
	free(v);
	return twice;
}

/*
 * disjoint(d1, d2) without listing d1, the changes from `base` to `ours`:
 * 1 disjoint, 0 not, -1 unsure (a tree not well formed, an error): then
 * the caller lists d1.
 */
static int disjoint_from(git_repository *repo, pc_oidset *cache, const git_tree *base,
	const git_tree *ours, const change_set *theirs)
{
	size_t i;
	int r = 1, c;

	if (has_twice(theirs) || !well_formed_pair(repo, cache, base, ours, 0))
		return -1;
	for (i = 0; r == 1 && i < theirs->n; i++)
		if ((c = collides(repo, cache, base, ours, theirs->items[i].path)) != 0)
			r = c < 0 ? -1 : 0;
	return r;
}

static int diff_into(change_set *out, int side, git_repository *repo, const git_tree *a, const git_tree *b)
{
	pc_error ignored = PC_ERROR_INIT;

	out->side = side;
	return pc_repo_diff_trees(repo, a, b, collect_change, out, &ignored);
}

/*
 * When the two sides of a merge changed disjoint sets of paths since their
 * only merge base, the automatic merge is the base with both sets applied,
 * whatever the merge options: no content merge, no rename pairing and no
 * directory/file conflict can involve a path that one side alone touched.
 * The merge is then clean exactly when its tree differs from the first
 * parent's by the second side's changes.  This costs what the two sides
 * changed, where libgit2's merge reads every entry of all three trees (tens
 * of milliseconds per merge in a repository of 20,000 files).  It only
 * ever says "clean": several or no merge bases, overlapping changes, a
 * difference or any error leave the decision (and the message) to libgit2.
 * `known` is the one merge base when the caller knows it
 * (pc_merge_bases_one), else NULL: libgit2 finds the bases.  `cache`
 * keeps the trees found well formed, across the merges of a push.
 */
static int trivially_clean(git_repository *repo, const git_oid *known, pc_oidset *cache,
	git_commit *p1, git_commit *p2, const git_tree *merged)
{
	git_oidarray bases = { NULL, 0 };
	git_commit *base = NULL;
	git_tree *tb = NULL, *t1 = NULL, *t2 = NULL;
	change_set d1, d2, dm;
	int clean = 0, apart;

	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	memset(&dm, 0, sizeof(dm));
	if (!known) {
		if (git_merge_bases(&bases, repo, git_commit_id(p1), git_commit_id(p2)) < 0 || bases.count != 1)
			goto done;
		known = &bases.ids[0];
	}
	if (git_commit_lookup(&base, repo, known) < 0 || git_commit_tree(&tb, base) < 0 ||
	    git_commit_tree(&t1, p1) < 0 || git_commit_tree(&t2, p2) < 0)
		goto done;
	/*
	 * The second side's changes are few (one feature); the first parent's
	 * since the base grow with every merge before: they are looked up
	 * at the second side's paths only, and listed only when that is unsure.
	 */
	if (diff_into(&d2, 2, repo, tb, t2) || !(apart = disjoint_from(repo, cache, tb, t1, &d2)) ||
	    (apart < 0 && (diff_into(&d1, 1, repo, tb, t1) || !disjoint(&d1, &d2))) ||
	    diff_into(&dm, 2, repo, t1, merged))
		goto done;
	clean = same_changes(&dm, &d2);
done:
	git_error_clear();
	change_set_clear(&d1);
	change_set_clear(&d2);
	change_set_clear(&dm);
	git_tree_free(tb);
	git_tree_free(t1);
	git_tree_free(t2);
	git_commit_free(base);
	git_oidarray_dispose(&bases);
	return clean;
}

int pc_merge_trivially_clean(git_repository *repo, git_commit *p1, git_commit *p2, const git_tree *merged)
{
	pc_oidset cache = PC_OIDSET_INIT;
	int clean = trivially_clean(repo, NULL, &cache, p1, p2, merged);

	pc_oidset_clear(&cache);
	return clean;
}

/*
 * *on is 1 when commit `id` is reachable from the tip of a work branch, or
 * of a protected branch (which judged it already), as it stands before
 * this push (branches this push creates or moves do not count with their
 * new value): `id` is then its own merge base with all those tips at once,
 * which one git_merge_bases_many() finds.
 */
static int on_a_branch(pc_ctx *ctx, const git_oid *id, int *on, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	git_oidarray bases = { NULL, 0 };
	pc_oidset seen = PC_OIDSET_INIT;
	git_oid *tips = NULL;
	size_t ntips = 0, alloc = 0, i;
	int r, e;

	*on = 0;
	if ((r = add_tip(&tips, &ntips, &alloc, NULL, ctx, id, err)) < 0 || !ntips)
		goto done;
	for (i = 0; i < ctx->refs.n; i++) {
		const char *name = ctx->refs.names[i];
		if (strncmp(name, "refs/heads/", 11) ||
		    (!pc_policy_branch(p, name + 11) && !pc_policy_is_work_branch(p, name + 11)))
			continue;
		if ((r = add_tip(&tips, &ntips, &alloc, &seen, ctx, &ctx->refs.ids[i], err)) < 0)
			goto done;
	}
	if (ntips < 2)
		goto done;
	e = git_merge_bases_many(&bases, ctx->repo, ntips, tips);
	if (e == GIT_ENOTFOUND) {
		git_error_clear();
		goto done;
	}
	if (e < 0) {
		r = pc_error_set(err, PC_EIO, "cannot find what the branches share: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
		goto done;
	}
	for (i = 0; i < bases.count; i++)
		if (git_oid_equal(&bases.ids[i], &tips[0]))
			*on = 1;
done:
	free(tips);
	pc_oidset_clear(&seen);
	git_oidarray_dispose(&bases);
	return r < 0 ? r : 0;
}

/*
 * A merge whose automatic merge conflicts: accepted as a resolution only
 * when its tree differs from the automatic merge in conflicting paths
 * alone, and it is on a work branch already (pushed there first, where
 * reviewers fetch it and the first-pusher index records who resolved
 * it), or on a protected branch that accepted it (a promotion from
 * develop after the work branch is gone).  Its content then counts like
 * a commit's: the changed paths need their approvals, and its resolver
 * cannot approve it (approve.c reads c->resolutions).  `from` and
 * `require` still judge every non-merge commit it brings.  doc/DESIGN.md
 * section 11.
 */
static int check_resolution(pc_ctx *ctx, pc_change *c, const git_oid *id, const char *label,
	git_commit *p1, git_commit *p2, const git_tree *tree, git_index *index, pc_error *err)
{
	const git_oid *old = &c->u->old_id, *side = git_commit_id(p2);
	git_diff *diff = NULL;
	pc_strlist conflicts = PC_STRLIST_INIT;
	pc_buf paths = PC_BUF_INIT, extra = PC_BUF_INIT, hint = PC_BUF_INIT;
	char merged[8];
	size_t i, n, nextra = 0;
	int on, r;

	if ((r = conflict_paths(&paths, &conflicts, index)) < 0) {
		r = r == PC_ENOMEM ? pc_error_set(err, r, "out of memory") :
			pc_error_set(err, PC_EIO, "cannot read the conflicts of merge %s", label);
		goto done;
	}
	if (git_diff_tree_to_index(&diff, ctx->repo, (git_tree *)tree, index, NULL) < 0) {
		r = pc_error_set(err, PC_EIO, "cannot check merge %s: %s", label,
			git_error_last() ? git_error_last()->message : "unknown error");
		goto done;
	}
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		if (in_set(&conflicts, d->old_file.path) && in_set(&conflicts, d->new_file.path))
			continue;
		if (nextra++ < MAX_LISTED)
			pc_buf_printf(&extra, "%s%s", nextra > 1 ? ", " : "",
				d->new_file.path ? d->new_file.path : d->old_file.path);
	}
	if (nextra > MAX_LISTED)
		pc_buf_printf(&extra, " and %zu more", nextra - MAX_LISTED);
	if (nextra && (r = pc_verdict_reject(c->v, "promotion",
			"redo the resolution changing only the conflicting paths, and make other changes in commits of their own on a work branch",
			"merge commit %s resolves conflicts in %s but also changes %s, which did not conflict",
			label, paths.ptr, extra.ptr)) < 0)
		goto done;
	if ((r = on_a_branch(ctx, id, &on, err)) < 0)
		goto done;
	if (!on) {
		/* What was merged: the side the branch does not have (the target merged into a feature: p1). */
		if (!git_oid_is_zero(old) && (git_oid_equal(old, side) ||
		    git_graph_descendant_of(ctx->repo, old, side) == 1))
			side = git_commit_id(p1);
		git_error_clear();
		pc_oid_short(merged, side);
		pc_buf_printf(&hint, "resolve it on a new work branch: create one from %s (what was merged), "
			"merge %s into it there, commit the resolution and push that branch alone, "
			"then merge that branch into %s", merged, c->short_name, c->short_name);
		r = pc_verdict_reject(c->v, "promotion", hint.ptr,
			"merge commit %s resolves conflicts in %s, and no work branch has it; "
			"a conflict is resolved on a work branch first", label, paths.ptr);
		goto done;
	}
	if (!nextra) {
		if (pc_grow((void **)&c->resolutions, &c->aresolutions, c->nresolutions + 1,
				sizeof(*c->resolutions)) < 0) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		git_oid_cpy(&c->resolutions[c->nresolutions++], id);
	}
	r = 0;
done:
	git_diff_free(diff);
	pc_strlist_clear(&conflicts);
	pc_buf_release(&paths);
	pc_buf_release(&extra);
	pc_buf_release(&hint);
	return r;
}

/*
 * A merge is clean when its tree is exactly libgit2's automatic merge of
 * its two parents.  Anything else hides a change no branch below ever had,
 * except a conflict's resolution made on a work branch (check_resolution).
 * `mb` holds the merge bases found in one pass (may be NULL), `cache` the
 * trees found well formed.
 */
static int check_merge(pc_ctx *ctx, pc_change *c, const git_oid *id, const pc_merge_bases *mb,
	pc_oidset *cache, pc_error *err)
{
	git_commit *m = NULL, *p1 = NULL, *p2 = NULL;
	git_tree *tree = NULL;
	git_index *index = NULL;
	git_diff *diff = NULL;
	git_merge_options opts = GIT_MERGE_OPTIONS_INIT;
	pc_buf paths = PC_BUF_INIT;
	git_oid base;
	char label[128];
	size_t i, n;
	int r = PC_ERROR;

	pc_commit_label(label, sizeof(label), ctx->repo, id);
	if (git_commit_lookup(&m, ctx->repo, id) < 0)
		goto git_error;
	if (git_commit_parentcount(m) != 2) {
		r = pc_verdict_reject(c->v, "promotion", "merge the branches one at a time",
			"merge commit %s has %u parents; only two-parent merges can be checked",
			label, git_commit_parentcount(m));
		goto done;
	}
	if (git_commit_parent(&p1, m, 0) < 0 || git_commit_parent(&p2, m, 1) < 0 ||
	    git_commit_tree(&tree, m) < 0)
		goto git_error;
	if (trivially_clean(ctx->repo, pc_merge_bases_one(mb, id, &base) ? &base : NULL, cache, p1, p2, tree)) {
		r = 0;
		goto done;
	}
	if (git_merge_commits(&index, ctx->repo, p1, p2, &opts) < 0)
		goto git_error;
	if (git_index_has_conflicts(index)) {
		r = check_resolution(ctx, c, id, label, p1, p2, tree, index, err);
		goto done;
	}
	if (git_diff_tree_to_index(&diff, ctx->repo, tree, index, NULL) < 0)
		goto git_error;
	n = git_diff_num_deltas(diff);
	if (n) {
		for (i = 0; i < n && i < MAX_LISTED; i++) {
			const git_diff_delta *d = git_diff_get_delta(diff, i);
			pc_buf_printf(&paths, "%s%s", i ? ", " : "",
				d->new_file.path ? d->new_file.path : d->old_file.path);
		}
		if (n > MAX_LISTED)
			pc_buf_printf(&paths, " and %zu more", n - MAX_LISTED);
		r = pc_verdict_reject(c->v, "promotion",
			"redo the merge without extra changes and make those changes on a work branch",
			"merge commit %s is not a clean merge of its parents: %s differ%s from the automatic merge",
			label, paths.ptr, n == 1 ? "s" : "");
		goto done;
	}
	r = 0;
	goto done;
git_error:
	r = pc_error_set(err, PC_EIO, "cannot check merge %s: %s", label,
		git_error_last() ? git_error_last()->message : "unknown error");
done:
	pc_buf_release(&paths);
	git_diff_free(diff);
	git_index_free(index);
	git_tree_free(tree);
	git_commit_free(p1);
	git_commit_free(p2);
	git_commit_free(m);
	return r;
}

static int is_merge(pc_ctx *ctx, const git_oid *id, int *merge, pc_error *err)
{
	git_commit *commit = NULL;

	if (git_commit_lookup(&commit, ctx->repo, id) < 0)
		return pc_error_set(err, PC_EIO, "cannot read commit: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
	*merge = git_commit_parentcount(commit) > 1;
	git_commit_free(commit);
	return 0;
}

/* Report up to MAX_LISTED offending commits, then a count. */
static int report_missing(pc_ctx *ctx, pc_change *c, const git_oid *ids, size_t n,
	const char *what, const char *hint)
{
	char label[128];
	size_t i;
	int r = 0;

	for (i = 0; i < n && i < MAX_LISTED && r == 0; i++) {
		pc_commit_label(label, sizeof(label), ctx->repo, &ids[i]);
		r = pc_verdict_reject(c->v, "promotion", hint, "commit %s %s", label, what);
	}
	if (n > MAX_LISTED && r == 0)
		r = pc_verdict_reject(c->v, "promotion", hint, "and %zu more commits %s",
			n - MAX_LISTED, what);
	return r;
}

/*
 * 1 when `id` is a clean revert of a commit already on the branch: git's
 * own message names the reverted commit ("This reverts commit <id>."),
 * but the message is only where to look.  The named commit must be
 * reachable from the branch's OLD, and the revert's tree must be exactly
 * what libgit2's revert of that commit on the revert's parent gives,
 * without conflicts: it then undoes a change the branch already took, and
 * nothing else.  A commit with one parent is reverted against it; a merge
 * (a promotion) only against its first parent, as "git revert -m 1" does
 * and says ("This reverts commit <id>, reversing\nchanges made to
 * <first parent>."): it undoes what the merge brought to the branch.  Any
 * doubt or error says "not a revert", and the commit is judged as an
 * ordinary one; so does every candidate after the first MAX_REVERTS of a
 * check, which bounds the history walks a push of many "reverts" can ask
 * for.
 */
static int is_clean_revert(pc_ctx *ctx, pc_change *c, const git_oid *id, size_t *tried)
{
	static const char marker[] = "This reverts commit ";
	static const char merge_marker[] = ", reversing\nchanges made to ";
	git_commit *rv = NULL, *parent = NULL, *target = NULL;
	git_tree *tree = NULL;
	git_index *index = NULL;
	git_diff *diff = NULL;
	git_revert_options opts = GIT_REVERT_OPTIONS_INIT;
	git_oid tid, mid;
	const char *msg, *at, *end = NULL;
	unsigned int mainline = 0;
	int clean = 0;

	if (git_oid_is_zero(&c->u->old_id) || git_commit_lookup(&rv, ctx->repo, id) < 0 ||
	    git_commit_parentcount(rv) != 1 || !(msg = git_commit_message(rv)))
		goto done;
	for (at = strstr(msg, marker); at; at = strstr(at + 1, marker)) {
		end = at + sizeof(marker) - 1;
		if (git_oid_fromstrn(&tid, end, GIT_OID_HEXSZ) < 0)
			continue;
		end += GIT_OID_HEXSZ;
		if (*end == '.') {
			mainline = 0;
			break;
		}
		if (!strncmp(end, merge_marker, sizeof(merge_marker) - 1) &&
		    git_oid_fromstrn(&mid, end + sizeof(merge_marker) - 1, GIT_OID_HEXSZ) == 0 &&
		    end[sizeof(merge_marker) - 1 + GIT_OID_HEXSZ] == '.') {
			mainline = 1;
			break;
		}
	}
	if (!at || ++*tried > MAX_REVERTS)
		goto done;
	if (git_commit_lookup(&target, ctx->repo, &tid) < 0)
		goto done;
	if (mainline == 0 ? git_commit_parentcount(target) != 1 :
	    git_commit_parentcount(target) < 2 ||
	    !git_oid_equal(&mid, git_commit_parent_id(target, 0)))
		goto done;
	if (!git_oid_equal(&tid, &c->u->old_id) &&
	    git_graph_descendant_of(ctx->repo, &c->u->old_id, &tid) != 1)
		goto done;
	if (git_commit_parent(&parent, rv, 0) < 0 || git_commit_tree(&tree, rv) < 0 ||
	    git_revert_commit(&index, ctx->repo, target, parent, mainline, &opts.merge_opts) < 0 ||
	    git_index_has_conflicts(index) ||
	    git_diff_tree_to_index(&diff, ctx->repo, tree, index, NULL) < 0)
		goto done;
	clean = git_diff_num_deltas(diff) == 0;
done:
	git_error_clear();
	git_diff_free(diff);
	git_index_free(index);
	git_tree_free(tree);
	git_commit_free(parent);
	git_commit_free(target);
	git_commit_free(rv);
	return clean;
}

/* Non-merge commits of the update that are not in `set`. */
static int missing_from(git_oid **out, size_t *nout, pc_ctx *ctx, pc_change *c,
	const pc_oidset *set, pc_error *err)
{
	git_oid *miss = NULL;
	size_t n = 0, alloc = 0, i, reverts = 0;
	int merge, r;

	for (i = 0; i < c->nbranch_new; i++) {
		if ((r = is_merge(ctx, &c->branch_new[i], &merge, err)) < 0) {
			free(miss);
			return r;
		}
		if (merge || pc_oidset_has(set, &c->branch_new[i]) ||
		    is_clean_revert(ctx, c, &c->branch_new[i], &reverts))
			continue;
		if (pc_grow((void **)&miss, &alloc, n + 1, sizeof(*miss)) < 0) {
			free(miss);
			return pc_error_set(err, PC_ENOMEM, "out of memory");
		}
		git_oid_cpy(&miss[n++], &c->branch_new[i]);
	}
	*out = miss;
	*nout = n;
	return 0;
}

int pc_promote_check(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_branch *b = c->branch;
	pc_oidset set = PC_OIDSET_INIT;
	pc_buf what = PC_BUF_INIT, hint = PC_BUF_INIT, list = PC_BUF_INIT;
	git_oid *miss = NULL;
	size_t nmiss = 0, i;
	pc_hotfix_state hot = PC_HOTFIX_STATE_INIT;
	pc_merge_bases *mb = NULL;
	pc_oidset trees = PC_OIDSET_INIT;
	git_object *tip = NULL;
	int merge, tried = 0, r = 0;

	if (b->from.n) {
		if ((r = reachable_from(&set, ctx, c, &b->from, NULL, err)) < 0 ||
		    (r = missing_from(&miss, &nmiss, ctx, c, &set, err)) < 0)
			goto done;
		if (nmiss) {
			list_text(&list, &b->from);
			pc_buf_printf(&what, "is not on %s; %s takes changes only from %s",
				list.ptr, b->name, list.ptr);
			promotion_hint(&hint, ctx->policy, b);
			if ((r = report_missing(ctx, c, miss, nmiss, what.ptr, hint.ptr)) < 0)
				goto done;
		}
		free(miss);
		miss = NULL;
	}
	for (i = 0; i < b->require.n; i++) {
		pc_strlist one = PC_STRLIST_INIT;

		pc_oidset_clear(&set);
		one.items = &b->require.items[i];
		one.n = 1;
		if ((r = reachable_from(&set, ctx, c, &one, NULL, err)) < 0 ||
		    (r = missing_from(&miss, &nmiss, ctx, c, &set, err)) < 0 ||
		    (nmiss && b->hotfix_from.n &&
		     (r = pc_hotfix_skip(&hot, ctx, c, b->require.items[i], miss, &nmiss, err)) < 0))
			goto done;
		if (nmiss) {
			pc_buf_clear(&what);
			pc_buf_clear(&hint);
			pc_buf_printf(&what, "is not on %s yet; %s takes only changes already on %s",
				b->require.items[i], b->name, b->require.items[i]);
			pc_buf_printf(&hint, "merge the feature branch into %s first, then into %s",
				b->require.items[i], b->name);
			if ((r = report_missing(ctx, c, miss, nmiss, what.ptr, hint.ptr)) < 0)
				goto done;
		}
		free(miss);
		miss = NULL;
	}
	/*
	 * Every merge new to a protected branch must be clean.  Their merge
	 * bases come from one pass over the update, made at the first merge.
	 */
	for (i = 0; i < c->nbranch_new; i++) {
		if ((r = is_merge(ctx, &c->branch_new[i], &merge, err)) < 0)
			goto done;
		if (merge && !tried) {
			tried = 1;
			if (git_object_lookup(&tip, ctx->repo, &c->u->new_id, GIT_OBJECT_COMMIT) < 0)
				git_error_clear();
			else if ((r = pc_merge_bases_compute(&mb, ctx->repo, git_object_id(tip),
					c->branch_new, c->nbranch_new, err)) < 0)
				goto done;
		}
		if (merge && (r = check_merge(ctx, c, &c->branch_new[i], mb, &trees, err)) < 0)
			goto done;
	}
	if (hot.ready && (r = pc_hotfix_follow_ups(&hot, ctx, c, err)) < 0)
		goto done;
done:
	pc_merge_bases_free(mb);
	pc_oidset_clear(&trees);
	git_object_free(tip);
	pc_hotfix_state_release(&hot);
	free(miss);
	pc_oidset_clear(&set);
	pc_buf_release(&what);
	pc_buf_release(&hint);
	pc_buf_release(&list);
	return r;
}

int pc_environment_check(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	pc_buf touched = PC_BUF_INIT, shared = PC_BUF_INIT;
	pc_strlist bad = PC_STRLIST_INIT;
	size_t i, j, ntouched = 0;
	unsigned char *hits = NULL, *shared_hit = NULL, *hit = NULL;
	int r;

	if ((r = pc_overlay_path_envs(&hits, &shared_hit, &bad, ctx, c, err)) < 0)
		goto done;
	for (i = 0; i < bad.n; i++)
		if ((r = pc_verdict_reject(c->v, "environment",
				"point it at a file inside the repository under an environment or shared path",
				"%s", bad.items[i])) < 0)
			goto done;
	if (!(hit = pc_calloc(p->nenvironments + 1, 1))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < c->paths.n; i++) {
		if (shared_hit[i] && !shared.len)
			pc_buf_puts(&shared, c->paths.items[i]);
		for (j = 0; j < p->nenvironments; j++)
			hit[j] |= hits[i * p->nenvironments + j];
	}
	for (j = 0; j < p->nenvironments; j++)
		if (hit[j]) {
			pc_buf_printf(&touched, "%s%s", ntouched ? ", " : "", p->environments[j].name);
			ntouched++;
		}
	if (p->one_environment_per_push && ntouched > 1 &&
	    (r = pc_verdict_reject(c->v, "environment",
			"push the change for one environment at a time, in promotion order",
			"push changes the overlays of %zu environments (%s); one environment per push",
			ntouched, touched.ptr)) < 0)
		goto done;
	if (p->one_environment_per_push && ntouched && shared.len &&
	    (r = pc_verdict_reject(c->v, "environment",
			"push the shared change on its own, then the overlay change",
			"push changes shared path %s and the overlay of %s; a shared change reaches every environment and must be pushed alone",
			shared.ptr, touched.ptr)) < 0)
		goto done;
	if ((r = pc_overlay_first_parent_check(ctx, c, err)) < 0)
		goto done;
	for (j = 0; j < p->nenvironments; j++)
		if ((r = pc_overlay_after_check(ctx, c, &p->environments[j], err)) < 0)
			goto done;
	r = 0;
done:
	free(hit);
	free(hits);
	free(shared_hit);
	pc_strlist_clear(&bad);
	pc_buf_release(&touched);
	pc_buf_release(&shared);
	return r;
}

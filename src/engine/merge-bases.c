/*
 * merge-bases.c: the merge bases of a promotion's merges in one pass
 * (doc/DESIGN.md section 11).
 *
 * A promotion's merges form a chain: each merge's first parent is the
 * merge before it, down to the commit X where NEW's first-parent line
 * leaves the update.  Asking libgit2 for each merge's bases walks, for
 * every merge, the sides merged before it down to their common point:
 * quadratic in the number of merges when the features all start low (200
 * features forked from one old commit).  Here the chain is walked once,
 * oldest first, growing A, the commits known to be below the current
 * first parent, and for each merge its second parent is walked down to A
 * or X only, so every commit is read once.
 *
 * Nothing here trusts commit dates (the pusher writes them) nor that the
 * update list is exact (libgit2's revwalk stops early on skewed dates): a
 * walk stops at X or at a commit of A, and gives up at anything else (a
 * commit outside the update, a root).  So every downward path from a
 * commit walked reaches X, every commit walked is a descendant of X, and
 * none is an ancestor of X (the graph has no cycles).  For a merge with
 * first parent P (whose ancestors are A and X's) and second parent S,
 * walked down to the commits H of A it meets and to X:
 *
 *   ancestors(S) = N + ancestors(H) [+ ancestors(X)], N disjoint from A
 *                  and from ancestors(X)
 *   common       = ancestors(H) + ancestors(X)
 *
 * so the merge bases are X when H is empty, else the maximal elements of
 * H (X is below each).  H's one maximal element is found without a walk:
 * a commit joined A while the walk of chain commit C_s ran (its "step"
 * s), so it is below C_s, and the chain commits are ordered; when that
 * does not settle H, the merge is left to libgit2.
 *
 * Each merge's second parent then starts a chain of its own, walked the
 * same way afterwards: a promotion merged --no-ff has the develop merges
 * on its second parent's line.  All the chains together visit at most
 * 4 commits per commit of the update (plus 1024); what is left when that
 * budget is spent goes to libgit2, as today, so no push costs more here
 * than a bounded multiple of what it brings.
 */
#include "merge-bases.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

typedef struct mb_node {
	git_oid id;
	unsigned owner;		/* the chain whose walk set step and chain */
	int step;		/* the chain step it joined A at; -1: not in A */
	int chain;		/* 1 on that chain's first-parent line */
	int queued;		/* already the tip of a chain */
	int known;		/* a merge whose one base is `base` */
	unsigned stamp;		/* the walk that last reached it */
	git_oid base;
} mb_node;

struct pc_merge_bases {
	mb_node *nodes;
	size_t n;
	uint32_t *slots;	/* node index + 1; 0 empty */
	size_t cap;
	size_t known;
};

static size_t mb_hash(const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h;
}

static mb_node *mb_find(const pc_merge_bases *mb, const git_oid *id)
{
	size_t i;

	if (!mb->cap)
		return NULL;
	for (i = mb_hash(id) & (mb->cap - 1); mb->slots[i]; i = (i + 1) & (mb->cap - 1))
		if (git_oid_equal(&mb->nodes[mb->slots[i] - 1].id, id))
			return &mb->nodes[mb->slots[i] - 1];
	return NULL;
}

static int mb_index(pc_merge_bases *mb, const git_oid *ids, size_t n)
{
	size_t i, j;

	for (mb->cap = 64; mb->cap < 2 * n; mb->cap *= 2)
		;
	if (n > UINT32_MAX - 1 || !(mb->nodes = pc_calloc(n ? n : 1, sizeof(*mb->nodes))) ||
	    !(mb->slots = pc_calloc(mb->cap, sizeof(*mb->slots))))
		return PC_ENOMEM;
	for (i = 0; i < n; i++) {
		if (mb_find(mb, &ids[i]))
			continue;
		git_oid_cpy(&mb->nodes[mb->n].id, &ids[i]);
		for (j = mb_hash(&ids[i]) & (mb->cap - 1); mb->slots[j]; j = (j + 1) & (mb->cap - 1))
			;
		mb->slots[j] = (uint32_t)++mb->n;
	}
	return 0;
}

/* A growable list of ids: the walk's stack, the chains to walk. */
typedef struct id_stack {
	git_oid *ids;
	size_t n, alloc;
} id_stack;

static int push_id(id_stack *s, const git_oid *id)
{
	if (pc_grow((void **)&s->ids, &s->alloc, s->n + 1, sizeof(*s->ids)) < 0)
		return PC_ENOMEM;
	git_oid_cpy(&s->ids[s->n++], id);
	return 0;
}

typedef struct mb_walk {
	git_repository *repo;
	git_oid x;		/* where the chain's first-parent line leaves the update */
	unsigned owner;		/* the chain being walked */
	unsigned stamp;
	size_t budget;		/* commits the walks may still visit */
	id_stack stack, tips;
	mb_node **chain, **hit, **fresh;	/* the line; H: commits of A met; N: commits walked */
	size_t nchain, achain, nhit, ahit, nfresh, afresh;
} mb_walk;

static int in_a(const mb_walk *w, const mb_node *node)
{
	return node->owner == w->owner && node->step >= 0;
}

/*
 * Walk down from the parents of `c` after the first to X and A.  0 done,
 * 1 given up (a commit outside the update, a root, an unreadable commit,
 * the budget spent), <0 out of memory.
 */
static int walk_sides(pc_merge_bases *mb, mb_walk *w, git_commit *c)
{
	git_commit *commit = NULL;
	unsigned i, np = git_commit_parentcount(c);
	mb_node *node;
	git_oid id;

	w->stamp++;
	w->stack.n = w->nhit = w->nfresh = 0;
	for (i = 1; i < np; i++)
		if (push_id(&w->stack, git_commit_parent_id(c, i)) < 0)
			return PC_ENOMEM;
	while (w->stack.n) {
		git_oid_cpy(&id, &w->stack.ids[--w->stack.n]);
		if (git_oid_equal(&id, &w->x))
			continue;
		if (!(node = mb_find(mb, &id)))
			return 1;
		if (node->stamp == w->stamp)
			continue;
		node->stamp = w->stamp;
		if (!w->budget)
			return 1;
		w->budget--;
		if (in_a(w, node)) {
			if (pc_grow((void **)&w->hit, &w->ahit, w->nhit + 1, sizeof(*w->hit)) < 0)
				return PC_ENOMEM;
			w->hit[w->nhit++] = node;
			continue;
		}
		if (pc_grow((void **)&w->fresh, &w->afresh, w->nfresh + 1, sizeof(*w->fresh)) < 0)
			return PC_ENOMEM;
		w->fresh[w->nfresh++] = node;
		if (git_commit_lookup(&commit, w->repo, &id) < 0) {
			git_error_clear();
			return 1;
		}
		np = git_commit_parentcount(commit);
		for (i = 0; i < np; i++)
			if (push_id(&w->stack, git_commit_parent_id(commit, i)) < 0) {
				git_commit_free(commit);
				return PC_ENOMEM;
			}
		git_commit_free(commit);
		if (!np)
			return 1;
	}
	return 0;
}

/*
 * The one maximal element of H, or NULL when the steps do not settle it:
 * the chain commit of H with the highest step is above every commit of H
 * that joined A at that step or before.
 */
static const mb_node *top_of(const mb_walk *w)
{
	const mb_node *top = NULL;
	size_t i;

	if (w->nhit == 1)
		return w->hit[0];
	for (i = 0; i < w->nhit; i++)
		if (w->hit[i]->chain && (!top || w->hit[i]->step > top->step))
			top = w->hit[i];
	for (i = 0; top && i < w->nhit; i++)
		if (w->hit[i]->step > top->step)
			top = NULL;
	return top;
}

/*
 * One chain: the first-parent line from `tip` inside the update, walked
 * oldest first.  Each merge's second parent becomes the tip of a chain of
 * its own, walked afterwards (a promotion merged --no-ff: the develop
 * merges are on its second parent's line).  0 done or given up, <0 out
 * of memory.
 */
static int walk_chain(pc_merge_bases *mb, mb_walk *w, const git_oid *tip)
{
	git_commit *c = NULL;
	mb_node *node;
	const mb_node *top;
	git_oid id;
	size_t k, i;
	int r = 0, step;

	w->owner++;
	w->nchain = 0;
	git_oid_cpy(&id, tip);
	while ((node = mb_find(mb, &id)) && !(node->owner == w->owner && node->chain)) {
		if (git_commit_lookup(&c, w->repo, &id) < 0 || !git_commit_parentcount(c))
			goto done;	/* a root or an unreadable commit: no X */
		if (!w->budget)
			goto done;
		w->budget--;
		if (pc_grow((void **)&w->chain, &w->achain, w->nchain + 1, sizeof(*w->chain)) < 0) {
			r = PC_ENOMEM;
			goto done;
		}
		node->owner = w->owner;
		node->chain = 1;
		node->step = -1;
		w->chain[w->nchain++] = node;
		git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_commit_free(c);
		c = NULL;
	}
	if (node || !w->nchain)
		goto done;
	git_oid_cpy(&w->x, &id);
	for (k = w->nchain, step = 1; k-- > 0; step++) {
		node = w->chain[k];
		if (git_commit_lookup(&c, w->repo, &node->id) < 0 || (r = walk_sides(mb, w, c)) != 0)
			goto done;
		if (git_commit_parentcount(c) == 2) {
			top = w->nhit ? top_of(w) : NULL;
			if (!node->known && (!w->nhit || top)) {
				git_oid_cpy(&node->base, top ? &top->id : &w->x);
				node->known = 1;
				mb->known++;
			}
			if ((node = mb_find(mb, git_commit_parent_id(c, 1))) && !node->queued) {
				node->queued = 1;
				if (push_id(&w->tips, &node->id) < 0) {
					r = PC_ENOMEM;
					goto done;
				}
			}
		}
		for (i = 0; i < w->nfresh; i++) {
			w->fresh[i]->owner = w->owner;
			w->fresh[i]->chain = 0;
			w->fresh[i]->step = step;
		}
		w->chain[k]->step = step;
		git_commit_free(c);
		c = NULL;
	}
done:
	git_error_clear();
	git_commit_free(c);
	return r < 0 ? r : 0;
}

int pc_merge_bases_compute(pc_merge_bases **out, git_repository *repo, const git_oid *tip,
	const git_oid *update, size_t nupdate, pc_error *err)
{
	pc_merge_bases *mb = NULL;
	mb_walk w;
	git_oid id;
	size_t t;
	int r = PC_ENOMEM;

	memset(&w, 0, sizeof(w));
	*out = NULL;
	if (!(mb = pc_calloc(1, sizeof(*mb))) || mb_index(mb, update, nupdate) < 0)
		goto done;
	w.repo = repo;
	/* Every chain may read the update again: a bound on the total. */
	w.budget = 4 * mb->n + 1024;
	if (push_id(&w.tips, tip) < 0)
		goto done;
	for (t = 0; t < w.tips.n && w.budget; t++) {
		git_oid_cpy(&id, &w.tips.ids[t]);
		if ((r = walk_chain(mb, &w, &id)) < 0)
			goto done;
	}
	r = 0;
	*out = mb;
	mb = NULL;	/* transferred */
done:
	free(w.stack.ids);
	free(w.tips.ids);
	free(w.chain);
	free(w.hit);
	free(w.fresh);
	pc_merge_bases_free(mb);
	return r < 0 ? pc_error_set(err, PC_ENOMEM, "out of memory") : 0;
}

int pc_merge_bases_one(const pc_merge_bases *mb, const git_oid *merge, git_oid *base)
{
	const mb_node *node = mb ? mb_find(mb, merge) : NULL;

	if (!node || !node->known)
		return 0;
	git_oid_cpy(base, &node->base);
	return 1;
}

size_t pc_merge_bases_known(const pc_merge_bases *mb)
{
	return mb ? mb->known : 0;
}

void pc_merge_bases_free(pc_merge_bases *mb)
{
	if (!mb)
		return;
	free(mb->nodes);
	free(mb->slots);
	free(mb);
}

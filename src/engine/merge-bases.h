/*
 * merge-bases.h: the merge bases of a promotion's merges, found in one
 * pass over the commits the update brings (merge-bases.c).
 */
#ifndef PC_MERGE_BASES_H
#define PC_MERGE_BASES_H

#include <git2.h>
#include "common.h"

typedef struct pc_merge_bases pc_merge_bases;

/*
 * Walk the first-parent line of `tip` down to where it leaves `update`
 * (the commits the update brings, a hint for where to stop only: nothing
 * here trusts it, nor any commit date), and learn the one merge base of
 * each two-parent merge on that line wherever the graph settles it.  A
 * merge it cannot settle is left unknown: the caller asks libgit2.  Fails
 * only for want of memory; free *out with pc_merge_bases_free().
 */
int pc_merge_bases_compute(pc_merge_bases **out, git_repository *repo, const git_oid *tip,
	const git_oid *update, size_t nupdate, pc_error *err);

/*
 * 1 with *base when the two parents of `merge` have exactly one merge base
 * (what `git merge-base --all` prints), 0 when this pass did not settle it.
 */
int pc_merge_bases_one(const pc_merge_bases *mb, const git_oid *merge, git_oid *base);

/* How many merges the pass settled (for tests and the benchmark notes). */
size_t pc_merge_bases_known(const pc_merge_bases *mb);

void pc_merge_bases_free(pc_merge_bases *mb);

#endif

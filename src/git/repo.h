/*
 * repo.h: libgit2 access for the engine: opening the repository the way a
 * hook must (quarantine), the set of commits new to a ref or to the
 * repository, and changed paths.
 */
#ifndef PC_REPO_H
#define PC_REPO_H

#include "common.h"
#include "util.h"

#include <git2.h>

/*
 * Open the repository a hook runs in: GIT_DIR (default ".") opened bare,
 * plus GIT_QUARANTINE_PATH as an alternate object directory when set, so
 * that objects of the push being received are found.  The environment is
 * read directly (not with GIT_REPOSITORY_OPEN_FROM_ENV, which breaks on
 * paths containing ':').
 */
int pc_repo_open_hook(git_repository **out, pc_error *err);
/*
 * Open a repository for the CLI: DIR may be a work tree or a bare repository.
 * A repository another user owns opens only as git would let it (git-config(1),
 * safe.directory); otherwise PC_EUNSAFE, with git's hint in err.
 */
int pc_repo_open(git_repository **out, const char *dir, pc_error *err);

/*
 * git_oid_tostr() without a call into libgit2: the reference-transaction
 * hook, which does not link it, shares this code (so does pc_oid_is_zero).
 */
static inline void pc_oid_hex(char out[GIT_OID_HEXSZ + 1], const git_oid *id)
{
	pc_hex(out, id->id, GIT_OID_RAWSZ);
}

/* A tree entry that is a subtree (NULL is none). */
int pc_tree_entry_is_tree(const git_tree_entry *e);
/* git's tree order: a directory's name sorts as if it ended with '/'. */
int pc_tree_entry_cmp(const git_tree_entry *a, const git_tree_entry *b);

/* A set of object ids (open addressing), used for reachability checks. */
typedef struct pc_oidset {
	git_oid *slots;
	unsigned char *used;
	size_t n, cap;
} pc_oidset;
#define PC_OIDSET_INIT { NULL, NULL, 0, 0 }
int pc_oidset_add(pc_oidset *s, const git_oid *id);	/* 1 added, 0 present, <0 error */
int pc_oidset_has(const pc_oidset *s, const git_oid *id);
void pc_oidset_clear(pc_oidset *s);

/*
 * The direct refs of the repository before the push: name -> target, and
 * the commit it peels to (the target itself when it is no commit-ish).
 */
typedef struct pc_refs {
	char **names;
	git_oid *ids;		/* peeled to commits, for walks */
	git_oid *targets;	/* what the ref points at (a tag object for annotated tags) */
	size_t n, alloc;
} pc_refs;
#define PC_REFS_INIT { NULL, NULL, NULL, 0, 0 }
int pc_refs_load(pc_refs *refs, git_repository *repo, pc_error *err);
/*
 * The same for a server whose refs this repository mirrors under `view`
 * (ending with '/'): its ref <view>X is loaded as refs/X, and refs outside
 * `view` are left out.  A NULL view is pc_refs_load.
 */
int pc_refs_load_view(pc_refs *refs, git_repository *repo, const char *view, pc_error *err);
/* The name `ref` (refs/...) has in the repository under `view` (NULL: itself); free it. */
char *pc_refs_view_name(const char *view, const char *ref);
const git_oid *pc_refs_get(const pc_refs *refs, const char *name);	/* peeled */
void pc_refs_clear(pc_refs *refs);

/*
 * Commits reachable from `tip` but from none of `hide` (ids, may include
 * zero ids which are skipped), in topological order, oldest last.  Stops
 * with PC_ELIMIT when more than `limit` commits would be returned.
 */
int pc_repo_walk(git_oid **out, size_t *n, git_repository *repo, const git_oid *tip,
	const git_oid *hide, size_t nhide, size_t limit, pc_error *err);
/* The same from several tips at once: reachable from any of `tips`. */
int pc_repo_walk_many(git_oid **out, size_t *n, git_repository *repo, const git_oid *tips,
	size_t ntips, const git_oid *hide, size_t nhide, size_t limit, pc_error *err);

/*
 * Paths that differ between two commits' trees (a zero `from` means the
 * empty tree), without rename detection, in git's order.  Stops with
 * PC_ELIMIT past `limit` paths.
 */
int pc_repo_changed_paths(pc_strlist *out, git_repository *repo, const git_oid *from,
	const git_oid *to, size_t limit, pc_error *err);

/*
 * One file-level difference between two trees: a path whose entry was
 * added (old_mode 0), deleted (new_mode 0) or changed in id or mode.  A
 * path that turns from a file into a directory (or back) is one deletion
 * and the additions under it, as with `git diff-tree -r`.
 */
typedef struct pc_tree_change {
	const char *path;
	git_oid old_id, new_id;		/* zero when absent */
	uint32_t old_mode, new_mode;	/* git_filemode_t; 0 when absent */
} pc_tree_change;

/* Returns 0 to go on; anything else stops the walk and is returned by it. */
typedef int (*pc_tree_change_cb)(const pc_tree_change *change, void *payload);

/*
 * Call `cb` for every difference between trees `a` and `b` (either may be
 * NULL: the empty tree), in git's order.  Subtrees with the same id on both
 * sides are skipped without being read, so the cost follows the size of
 * the change, not of the trees (libgit2's tree-to-tree diff reads every
 * subtree of both).  Trees nested deeper than PC_TREE_DEPTH_MAX are
 * refused with PC_ELIMIT.
 */
#define PC_TREE_DEPTH_MAX 4096
int pc_repo_diff_trees(git_repository *repo, const git_tree *a, const git_tree *b,
	pc_tree_change_cb cb, void *payload, pc_error *err);

/*
 * Call `cb` for every file of `tree` that none of `parents` (nparents trees,
 * any of them NULL: the empty tree) has at the same path with the same id
 * and mode: what a commit with these parents brings of its own, merges
 * included.  The change has no old side.  A subtree equal to one parent's
 * at its path is skipped without being read.  Trees nested deeper than
 * PC_TREE_DEPTH_MAX are refused with PC_ELIMIT.
 */
int pc_repo_new_files(git_repository *repo, const git_tree *tree, const git_tree *const *parents,
	size_t nparents, pc_tree_change_cb cb, void *payload, pc_error *err);

/*
 * pc_repo_new_files for many commits of one push: a walker keeps the
 * trees it read in a bounded cache (a chain of commits reads its parents'
 * trees again), and remembers each subtree it passed to `cb` whole (no
 * file of it was a parent's) with its path: the same tree at the same path
 * is not walked again.  So one walker is for one callback and one verdict:
 * what the callback saw once it is not shown again.  Trees are given by id
 * (zero ids of parents: the empty tree).
 */
typedef struct pc_newfiles pc_newfiles;
int pc_newfiles_new(pc_newfiles **out, git_repository *repo);	/* PC_ENOMEM */
int pc_newfiles_run(pc_newfiles *nf, const git_oid *tree, const git_oid *parents, size_t nparents,
	pc_tree_change_cb cb, void *payload, pc_error *err);
void pc_newfiles_free(pc_newfiles *nf);

/*
 * Read the blob at `path` in commit `commit`.  PC_ENOTFOUND when absent.
 * *blob_id (optional) receives the blob id in hex.  Refuses blobs over limit.
 */
int pc_repo_read_file(char **out, size_t *len, char blob_id[PC_HEX_MAX],
	git_repository *repo, const git_oid *commit, const char *path, size_t limit,
	pc_error *err);

int pc_oid_is_zero(const git_oid *id);
void pc_oid_short(char out[8], const git_oid *id);

#endif

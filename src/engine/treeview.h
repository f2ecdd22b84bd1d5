/*
 * treeview.h: a commit's tree as a checkout sees it, for reading
 * Kustomize overlays: symbolic links (blobs of mode 120000) are followed
 * like a file system would, but never out of the repository.
 */
#ifndef PC_TREEVIEW_H
#define PC_TREEVIEW_H

#include "common.h"
#include "buf.h"
#include "util.h"

#include <git2.h>

/* A tree read once, by id: libgit2 does not cache trees over 4 KiB. */
typedef struct pc_treeview_slot {
	git_oid id;
	git_tree *tree;		/* NULL: free slot */
} pc_treeview_slot;

/* A commit's tree, and the paths looked at in it (when `seen` is set). */
typedef struct pc_treeview {
	git_repository *repo;
	git_tree *root;
	pc_strlist *seen;
	pc_treeview_slot *slots;	/* open addressing, cap a power of two */
	size_t n, cap;
} pc_treeview;

/* Open the tree of `commit` (a zero id: the empty tree).  Close with pc_treeview_close. */
int pc_treeview_open(pc_treeview *tv, git_repository *repo, const git_oid *commit, pc_error *err);
void pc_treeview_close(pc_treeview *tv);

/*
 * out = dir joined with rel, with "." and ".." applied lexically.  A
 * result above the top of the repository, or an absolute rel, is
 * PC_EINVAL: it leaves the repository.
 */
int pc_path_join(pc_buf *out, const char *dir, const char *rel);

/* A blob of at most `limit` bytes, NUL-terminated; `path` names it in errors. */
int pc_treeview_read_blob(char **out, size_t *len, git_repository *repo, const git_oid *id,
	size_t limit, const char *path, pc_error *err);

/*
 * Find `path`, following symbolic links at every component as a checkout
 * would.  *final receives the path it lands on ("" is the top); *out
 * (optional) a copy of its entry (NULL for the top).  PC_ENOTFOUND when
 * nothing is there; PC_EINVAL, with a message, for a link that leaves
 * the repository, a loop or too many links.  Every link followed and the
 * final path are added to tv->seen when it is set.
 */
int pc_treeview_lookup(git_tree_entry **out, pc_buf *final, pc_treeview *tv, const char *path,
	pc_error *err);

/*
 * Walk directory `dir` (following links to it when `follow`; nothing when
 * it is not a directory or does not resolve): the directories, relative
 * to it, that hold a file named as a kustomization (kdirs, optional) and
 * its symbolic links (links, optional: full paths, or relative to `dir`
 * with rel_links).  PC_ELIMIT past 100,000 entries.
 */
int pc_treeview_scan(pc_treeview *tv, const char *dir, int follow, pc_strlist *kdirs,
	pc_strlist *links, int rel_links, pc_error *err);

#endif

/*
 * treeview.c: look paths up in a commit's tree as a checkout would,
 * following symbolic links inside the repository only, and reading each
 * tree once.
 */
#include "treeview.h"
#include "kustomize.h"

#include <stdlib.h>
#include <string.h>

#define LINK_HOPS_MAX 40		/* as Linux's MAXSYMLINKS */
#define LINK_TARGET_MAX 4096
#define SCAN_ENTRIES_MAX 100000		/* tree entries per scan */
#define VIEW_TREES_MAX (1 << 20)	/* slots of a view's tree cache */

void pc_treeview_close(pc_treeview *tv)
{
	size_t i;

	for (i = 0; i < tv->cap; i++)
		git_tree_free(tv->slots[i].tree);
	free(tv->slots);
	git_tree_free(tv->root);
	memset(tv, 0, sizeof(*tv));
}

static size_t slot_of(const pc_treeview_slot *slots, size_t cap, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	for (h &= cap - 1; slots[h].tree && !git_oid_equal(&slots[h].id, id); h = (h + 1) & (cap - 1))
		;
	return h;
}

/* The tree `id`, owned by the view. */
static int view_tree(git_tree **out, pc_treeview *tv, const git_oid *id, pc_error *err)
{
	size_t i, h;

	if (tv->n + 1 > tv->cap / 2) {
		size_t cap = tv->cap ? tv->cap * 2 : 256;
		pc_treeview_slot *slots;

		if (cap > VIEW_TREES_MAX)
			return pc_error_set(err, PC_ELIMIT, "more than %d directories read", VIEW_TREES_MAX / 2);
		if (!(slots = pc_calloc(cap, sizeof(*slots))))
			return pc_error_set(err, PC_ENOMEM, "out of memory");
		for (i = 0; i < tv->cap; i++)
			if (tv->slots[i].tree)
				slots[slot_of(slots, cap, &tv->slots[i].id)] = tv->slots[i];
		free(tv->slots);
		tv->slots = slots;
		tv->cap = cap;
	}
	h = slot_of(tv->slots, tv->cap, id);
	if (!tv->slots[h].tree) {
		if (git_tree_lookup(&tv->slots[h].tree, tv->repo, id) < 0)
			return pc_error_set(err, PC_EIO, "cannot read a tree: %s",
				git_error_last() ? git_error_last()->message : "unknown error");
		git_oid_cpy(&tv->slots[h].id, id);
		tv->n++;
	}
	*out = tv->slots[h].tree;
	return 0;
}

int pc_treeview_open(pc_treeview *tv, git_repository *repo, const git_oid *commit, pc_error *err)
{
	git_commit *c = NULL;
	int r = 0;

	memset(tv, 0, sizeof(*tv));
	tv->repo = repo;
	if (git_oid_is_zero(commit))
		return 0;
	if (git_commit_lookup(&c, repo, commit) < 0 || git_commit_tree(&tv->root, c) < 0)
		r = pc_error_set(err, PC_EIO, "cannot read the tree of a commit: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
	git_commit_free(c);
	return r;
}

static int see(pc_treeview *tv, const char *path)
{
	/* Repeats are harmless and cheaper than looking for them. */
	if (!tv->seen || (tv->seen->n && !strcmp(tv->seen->items[tv->seen->n - 1], path)))
		return 0;
	return pc_strlist_add(tv->seen, path) < 0 ? PC_ENOMEM : 0;
}

int pc_path_join(pc_buf *out, const char *dir, const char *rel)
{
	const char *p = rel, *end;
	size_t n;

	pc_buf_clear(out);
	if (*rel == '/')
		return PC_EINVAL;
	pc_buf_puts(out, dir);
	while (*p) {
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash;
			if (!out->len)
				return PC_EINVAL;
			slash = strrchr(out->ptr, '/');
			pc_buf_truncate(out, slash ? (size_t)(slash - out->ptr) : 0);
		} else if (n && !(n == 1 && p[0] == '.')) {
			if (out->len)
				pc_buf_putc(out, '/');
			pc_buf_put(out, p, n);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return pc_buf_error(out) ? PC_ENOMEM : 0;
}

static void dir_of(pc_buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');

	pc_buf_clear(out);
	if (slash)
		pc_buf_put(out, path, (size_t)(slash - path));
}

int pc_treeview_read_blob(char **out, size_t *len, git_repository *repo, const git_oid *id,
	size_t limit, const char *path, pc_error *err)
{
	git_blob *blob = NULL;
	int r = 0;

	*out = NULL;
	if (git_blob_lookup(&blob, repo, id) < 0)
		return pc_error_set(err, PC_EIO, "cannot read %s: %s", path,
			git_error_last() ? git_error_last()->message : "unknown error");
	if (git_blob_rawsize(blob) > limit)
		r = pc_error_set(err, PC_ELIMIT, "%s is over %zu bytes", path, limit);
	else if (!(*out = pc_strndup(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob))))
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
	else
		*len = (size_t)git_blob_rawsize(blob);
	git_blob_free(blob);
	return r;
}

int pc_treeview_lookup(git_tree_entry **out, pc_buf *final, pc_treeview *tv, const char *path,
	pc_error *err)
{
	pc_buf cur = PC_BUF_INIT, next = PC_BUF_INIT, dir = PC_BUF_INIT, link = PC_BUF_INIT;
	const git_tree_entry *ce = NULL;
	git_tree *tree;
	char *target = NULL;
	size_t pos, len, hops = 0;
	int r;

	if (out)
		*out = NULL;
	if ((r = pc_path_join(&cur, "", path)) < 0) {
		r = r == PC_EINVAL ? pc_error_set(err, PC_EINVAL, "%s leaves the repository", path) :
			pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
restart:
	if (!tv->root || !cur.len) {
		r = cur.len ? PC_ENOTFOUND : 0;	/* "" is the top directory */
		goto found;
	}
	tree = tv->root;
	for (pos = 0;;) {
		const char *slash = strchr(cur.ptr + pos, '/');
		size_t end = slash ? (size_t)(slash - cur.ptr) : cur.len;
		char save = cur.ptr[end];

		cur.ptr[end] = '\0';
		ce = git_tree_entry_byname(tree, cur.ptr + pos);
		if (!ce) {
			cur.ptr[end] = save;
			r = PC_ENOTFOUND;
			goto found;
		}
		if (git_tree_entry_filemode(ce) == GIT_FILEMODE_LINK) {
			if ((r = see(tv, cur.ptr)) < 0)
				goto nomem;
			if (++hops > LINK_HOPS_MAX) {
				r = pc_error_set(err, PC_EINVAL, "%s: too many symbolic links (a loop?)", path);
				goto done;
			}
			free(target);
			if ((r = pc_treeview_read_blob(&target, &len, tv->repo, git_tree_entry_id(ce), LINK_TARGET_MAX,
					cur.ptr, err)) < 0)
				goto done;
			if (strlen(target) != len) {
				r = pc_error_set(err, PC_EINVAL, "symbolic link %s has a NUL byte", cur.ptr);
				goto done;
			}
			/* The target, then what followed the link, from the link's directory. */
			dir_of(&dir, cur.ptr);
			pc_buf_clear(&link);
			pc_buf_puts(&link, cur.ptr);
			pc_buf_clear(&next);
			pc_buf_puts(&next, target);
			if (save)
				pc_buf_printf(&next, "/%s", cur.ptr + end + 1);
			if (pc_buf_error(&next) || pc_buf_error(&dir) || pc_buf_error(&link))
				goto nomem;
			if ((r = pc_path_join(&cur, dir.ptr, next.ptr)) == PC_EINVAL) {
				r = pc_error_set(err, PC_EINVAL, "symbolic link %s -> %s leaves the repository",
					link.ptr, target);
				goto done;
			} else if (r < 0) {
				goto nomem;
			}
			goto restart;
		}
		cur.ptr[end] = save;
		if (!save)
			break;
		if (git_tree_entry_filemode(ce) != GIT_FILEMODE_TREE) {
			r = PC_ENOTFOUND;
			goto found;
		}
		if ((r = view_tree(&tree, tv, git_tree_entry_id(ce), err)) < 0)
			goto done;
		pos = end + 1;
	}
	r = 0;
found:
	if (see(tv, cur.ptr) < 0)
		goto nomem;
	if (final) {
		pc_buf_clear(final);
		pc_buf_put(final, cur.ptr, cur.len);
		if (pc_buf_error(final))
			goto nomem;
	}
	if (r == 0 && out && ce && git_tree_entry_dup(out, ce) < 0)
		goto nomem;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	free(target);
	pc_buf_release(&cur);
	pc_buf_release(&next);
	pc_buf_release(&dir);
	pc_buf_release(&link);
	return r;
}

typedef struct scan {
	const char *prefix;	/* the walked directory */
	pc_strlist *kdirs;	/* directories (relative) with a kustomization file */
	pc_strlist *links;	/* symbolic links (full paths, or relative with rel_links) */
	int rel_links;
	size_t n;
	int failed;		/* PC_ENOMEM or PC_ELIMIT */
} scan;

static int scan_cb(const char *root, const git_tree_entry *e, void *payload)
{
	scan *s = payload;
	const char *name = git_tree_entry_name(e);
	char *path = NULL;
	size_t rl = strlen(root);

	if (++s->n > SCAN_ENTRIES_MAX) {
		s->failed = PC_ELIMIT;
		return -1;
	}
	if (s->links && git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
		const char *prefix = s->rel_links ? "" : s->prefix;
		if (!(path = pc_asprintf("%s%s%s%s", prefix, *prefix ? "/" : "", root, name)) ||
		    pc_strlist_add(s->links, path) < 0)
			s->failed = PC_ENOMEM;
		free(path);
	}
	if (!s->failed && s->kdirs && git_tree_entry_type(e) == GIT_OBJECT_BLOB && pc_is_kustomization(name)) {
		/* A directory's entries come together: a repeat is the last one added. */
		if (!(path = pc_strndup(root, rl ? rl - 1 : 0)) ||
		    ((!s->kdirs->n || strcmp(s->kdirs->items[s->kdirs->n - 1], path)) &&
		     pc_strlist_add(s->kdirs, path) < 0))
			s->failed = PC_ENOMEM;
		free(path);
	}
	return s->failed ? -1 : 0;
}

/*
 * Walk directory `dir` (following links to it when `follow`): its
 * kustomization directories and its symbolic links.  Nothing when it is
 * not a directory.
 */
int pc_treeview_scan(pc_treeview *tv, const char *dir, int follow, pc_strlist *kdirs,
	pc_strlist *links, int rel_links, pc_error *err)
{
	pc_buf path = PC_BUF_INIT, final = PC_BUF_INIT;
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	scan s;
	int r;

	if (pc_path_join(&path, "", dir) < 0 || !tv->root) {
		r = 0;
		goto done;
	}
	if (follow) {
		/* A directory that does not resolve holds nothing to walk; links are judged apart. */
		r = pc_treeview_lookup(&e, &final, tv, path.ptr, err);
		if (r < 0 && r != PC_ENOMEM) {
			r = 0;
			goto done;
		}
	} else {
		r = path.len ? git_tree_entry_bypath(&e, tv->root, path.ptr) : 0;
		git_error_clear();
		if (r < 0) {
			r = 0;
			goto done;
		}
		pc_buf_puts(&final, path.ptr);
	}
	if (r < 0 || (e && git_tree_entry_filemode(e) != GIT_FILEMODE_TREE))
		goto done;
	if (e ? git_tree_lookup(&t, tv->repo, git_tree_entry_id(e)) < 0 : git_tree_dup(&t, tv->root) < 0) {
		r = pc_error_set(err, PC_EIO, "cannot read %s: %s", dir,
			git_error_last() ? git_error_last()->message : "unknown error");
		goto done;
	}
	memset(&s, 0, sizeof(s));
	s.prefix = final.ptr;
	s.kdirs = kdirs;
	s.links = links;
	s.rel_links = rel_links;
	if (git_tree_walk(t, GIT_TREEWALK_PRE, scan_cb, &s) < 0 || s.failed) {
		git_error_clear();
		r = s.failed == PC_ENOMEM ? pc_error_set(err, PC_ENOMEM, "out of memory") :
			s.failed == PC_ELIMIT ?
			pc_error_set(err, PC_ELIMIT, "%s has more than %d entries", dir, SCAN_ENTRIES_MAX) :
			pc_error_set(err, PC_EIO, "cannot read %s", dir);
		goto done;
	}
	r = 0;
done:
	git_tree_free(t);
	git_tree_entry_free(e);
	pc_buf_release(&path);
	pc_buf_release(&final);
	return r;
}

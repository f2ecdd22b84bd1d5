/*
 * overlay.c: Pattern3 sees what Kustomize sees.  An environment's overlay
 * is read from the trunk's tree the way `kustomize build` would read it
 * from a checkout: symbolic links (blobs of mode 120000) are followed, but
 * only inside the repository; every kustomization file name Kustomize
 * accepts is read; resources, bases, components and patches are followed
 * to what they include.  Whatever cannot be judged from the tree (a remote
 * URL that changed, a file that does not parse, a cycle, a path leaving
 * the repository) is a reason to reject, never a reason to accept.
 */
#include "overlay.h"
#include "kustomize.h"
#include "treeview.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#define INCLUDE_DEPTH_MAX 32
#define KUSTOMIZATIONS_MAX 1000		/* read per closure */
#define DIR_LINKS_MAX 64		/* links followed into directories per environment */
#define KUSTOMIZATION_MAX_SIZE (1 << 20)

/* An image as an overlay ends up with it, and the file that set it. */
typedef struct eimage {
	pc_kimage im;
	char *file;
} eimage;

typedef struct eimages {
	eimage *items;
	size_t n, alloc;
} eimages;

static void eimages_clear(eimages *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i].im.name);
		free(l->items[i].im.new_name);
		free(l->items[i].im.new_tag);
		free(l->items[i].im.digest);
		free(l->items[i].file);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int same_value(const pc_kimage *a, const pc_kimage *b)
{
	return same_str(a->new_name, b->new_name) && same_str(a->new_tag, b->new_tag) &&
		same_str(a->digest, b->digest);
}

static int same_image(const pc_kimage *a, const pc_kimage *b)
{
	return !strcmp(a->name, b->name) && same_value(a, b);
}

static const eimage *find_image(const eimages *l, const pc_kimage *im)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (same_image(&l->items[i].im, im))
			return &l->items[i];
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? pc_strdup(s) : NULL;
}

/* Add `outer`'s fields over `inner`'s (either may be NULL), unless present. */
static int eimages_add(eimages *l, const pc_kimage *outer, const pc_kimage *inner, const char *file)
{
	pc_kimage m;
	eimage *e;

	m.name = outer ? outer->name : inner->name;
	m.new_name = outer && outer->new_name ? outer->new_name : inner ? inner->new_name : NULL;
	m.new_tag = outer && outer->new_tag ? outer->new_tag : inner ? inner->new_tag : NULL;
	m.digest = outer && outer->digest ? outer->digest : inner ? inner->digest : NULL;
	if (find_image(l, &m))
		return 0;
	if (pc_grow((void **)&l->items, &l->alloc, l->n + 1, sizeof(*l->items)) < 0)
		return PC_ENOMEM;
	e = &l->items[l->n];
	memset(e, 0, sizeof(*e));
	l->n++;
	if (!(e->im.name = pc_strdup(m.name)) || (m.new_name && !(e->im.new_name = pc_strdup(m.new_name))) ||
	    (m.new_tag && !(e->im.new_tag = pc_strdup(m.new_tag))) ||
	    (m.digest && !(e->im.digest = dup_or_null(m.digest))) || !(e->file = pc_strdup(file)))
		return PC_ENOMEM;
	return 0;
}

/* What one kustomization directory resolves to. */
typedef struct closure {
	pc_treeview *tv;
	pc_strlist stack;	/* directories being read: a cycle is an error */
	pc_strlist remotes;	/* what comes from outside, see add_remote */
	size_t nread;
} closure;

static int read_dir(eimages *out, pc_buf *kfile, closure *cl, const char *dir, const char *shown,
	unsigned depth, pc_error *err);

/*
 * Remember that `kfile` brings `what` from outside the repository, as
 * "LEN:FILEWHAT" (the length keeps any file name and URL apart).
 */
static int add_remote(closure *cl, const char *kfile, const char *what)
{
	char *s = pc_asprintf("%zu:%s%s", strlen(kfile), kfile, what);
	int r = s && pc_strlist_add(&cl->remotes, s) == 0 ? 0 : PC_ENOMEM;

	free(s);
	return r;
}

/* "github.com/org/repo//dir?ref=v1": a host name, then a path on it. */
static int is_host_like(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash && s[0] != '.' && memchr(s, '.', (size_t)(slash - s)) != NULL;
}

/* One include of `kfile` (in directory `dir`), merged into `acc`. */
static int read_include(eimages *acc, closure *cl, const char *kfile, const char *dir,
	const char *inc, int files_only, unsigned depth, pc_error *err)
{
	pc_buf path = PC_BUF_INIT, final = PC_BUF_INIT, sub = PC_BUF_INIT;
	git_tree_entry *e = NULL;
	int r;

	if (!files_only && pc_kustomize_is_remote(inc))
		goto remote;
	if ((r = pc_path_join(&path, dir, inc)) == PC_EINVAL) {
		r = pc_error_set(err, PC_EINVAL, "%s includes %s, which leaves the repository", kfile, inc);
		goto done;
	} else if (r < 0) {
		goto nomem;
	}
	r = pc_treeview_lookup(&e, &final, cl->tv, path.ptr, err);
	if (r == PC_ENOTFOUND) {
		if (!files_only && is_host_like(inc))
			goto remote;
		r = pc_error_set(err, PC_EINVAL, "%s includes %s, which is not in the repository", kfile, inc);
		goto done;
	}
	if (r < 0)
		goto done;
	if (!final.len || git_tree_entry_filemode(e) == GIT_FILEMODE_TREE) {
		if (files_only) {
			r = pc_error_set(err, PC_EINVAL, "%s names %s as a file, but it is a directory", kfile, inc);
			goto done;
		}
		r = read_dir(acc, &sub, cl, final.ptr, NULL, depth + 1, err);
		goto done;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		r = pc_error_set(err, PC_EINVAL, "%s includes %s, which is a submodule", kfile, inc);
		goto done;
	}
	r = 0;	/* a resource or patch file: it sets no image of the images: lists */
	goto done;
remote:
	if ((r = add_remote(cl, kfile, inc)) < 0)
		goto nomem;
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	git_tree_entry_free(e);
	pc_buf_release(&path);
	pc_buf_release(&final);
	pc_buf_release(&sub);
	return r;
}

/*
 * The kustomization file of directory `dir`, as Kustomize picks it: exactly
 * one.  *kfile names it in directory `shown` (the path the overlay reached
 * it by) when given.
 */
static int find_kustomization(git_tree_entry **out, pc_buf *kfile, closure *cl, const char *dir,
	const char *shown, pc_error *err)
{
	pc_buf probe = PC_BUF_INIT, final = PC_BUF_INIT;
	git_tree_entry *e = NULL;
	size_t i, found = 0;
	int r = 0;

	*out = NULL;
	for (i = 0; r >= 0 && i < PC_ARRAY_SIZE(pc_kustomization_names); i++) {
		pc_buf_clear(&probe);
		pc_buf_printf(&probe, "%s%s%s", dir, *dir ? "/" : "", pc_kustomization_names[i]);
		if (pc_buf_error(&probe)) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			break;
		}
		r = pc_treeview_lookup(&e, &final, cl->tv, probe.ptr, err);
		if (r == PC_ENOTFOUND) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
			git_tree_entry_free(e);
			e = NULL;
			continue;
		}
		if (found++) {
			r = pc_error_set(err, PC_EINVAL,
				"%s has more than one kustomization file; Kustomize refuses that", *dir ? dir : ".");
			break;
		}
		*out = e;
		e = NULL;
		pc_buf_clear(kfile);
		if (shown)
			pc_buf_printf(kfile, "%s%s%s", shown, *shown ? "/" : "", pc_kustomization_names[i]);
		else
			pc_buf_puts(kfile, probe.ptr);
	}
	if (r == 0 && !found)
		r = pc_error_set(err, PC_ENOTFOUND, "%s has no kustomization file", *dir ? dir : ".");
	if (r < 0) {
		git_tree_entry_free(*out);
		*out = NULL;
	}
	git_tree_entry_free(e);
	pc_buf_release(&probe);
	pc_buf_release(&final);
	return r;
}

/*
 * The images that directory `dir`'s kustomization ends up with: its own
 * over those of what it includes.  An own entry overrides the fields it
 * sets of an included image of the same name, unless the included entry
 * renamed that image (then Kustomize would not match it: both are kept).
 */
static int read_dir(eimages *out, pc_buf *kfile, closure *cl, const char *dir, const char *shown,
	unsigned depth, pc_error *err)
{
	git_tree_entry *e = NULL;
	pc_kustomization *k = NULL;
	eimages acc = { NULL, 0, 0 };
	unsigned char *used = NULL;
	char *text = NULL;
	size_t len, i, j;
	int r, pushed = 0;

	if (depth > INCLUDE_DEPTH_MAX)
		return pc_error_set(err, PC_ELIMIT, "%s: includes nest deeper than %d", dir, INCLUDE_DEPTH_MAX);
	if (pc_strlist_has(&cl->stack, dir))
		return pc_error_set(err, PC_EINVAL, "include cycle through %s", *dir ? dir : ".");
	if (++cl->nread > KUSTOMIZATIONS_MAX)
		return pc_error_set(err, PC_ELIMIT, "more than %d kustomizations included", KUSTOMIZATIONS_MAX);
	if ((r = find_kustomization(&e, kfile, cl, dir, shown, err)) < 0)
		return r;
	if (pc_buf_error(kfile)) {
		git_tree_entry_free(e);
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	if ((r = pc_treeview_read_blob(&text, &len, cl->tv->repo, git_tree_entry_id(e), KUSTOMIZATION_MAX_SIZE,
			kfile->ptr, err)) < 0 ||
	    (r = pc_kustomization_parse(&k, kfile->ptr, text, len, err)) < 0)
		goto done;
	if (pc_strlist_add(&cl->stack, dir) < 0)
		goto nomem;
	pushed = 1;
	for (i = 0; i < k->includes.n; i++)
		if ((r = read_include(&acc, cl, kfile->ptr, dir, k->includes.items[i], 0, depth, err)) < 0)
			goto done;
	for (i = 0; i < k->files.n; i++)
		if ((r = read_include(&acc, cl, kfile->ptr, dir, k->files.items[i], 1, depth, err)) < 0)
			goto done;
	for (i = 0; i < k->remotes.n; i++)
		if (add_remote(cl, kfile->ptr, k->remotes.items[i]) < 0)
			goto nomem;
	if (k->nimages && !(used = pc_calloc(k->nimages, 1)))
		goto nomem;
	for (i = 0; i < acc.n; i++) {
		const pc_kimage *in = &acc.items[i].im, *own = NULL;
		if (!in->new_name || !strcmp(in->new_name, in->name))
			for (j = 0; j < k->nimages && !own; j++)
				if (!strcmp(k->images[j].name, in->name)) {
					own = &k->images[j];
					used[j] = 1;
				}
		if (eimages_add(out, own, in, own ? kfile->ptr : acc.items[i].file) < 0)
			goto nomem;
	}
	for (j = 0; j < k->nimages; j++)
		if (!used[j] && eimages_add(out, &k->images[j], NULL, kfile->ptr) < 0)
			goto nomem;
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	if (pushed)
		free(cl->stack.items[--cl->stack.n]);
	free(used);
	free(text);
	eimages_clear(&acc);
	pc_kustomization_free(k);
	git_tree_entry_free(e);
	return r;
}

/*
 * The changed paths sorted by strcmp, to find those at, under or above a
 * path without comparing it with each (a push may change a million).
 */
typedef struct path_ref {
	const char *path;
	size_t i;		/* index in c->paths */
} path_ref;

typedef struct path_index {
	path_ref *v;
	size_t n;
} path_index;

static int path_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const path_ref *)a)->path, ((const path_ref *)b)->path);
}

static int index_build(path_index *ix, const pc_strlist *paths)
{
	size_t i;

	ix->n = paths->n;
	if (!(ix->v = pc_calloc(paths->n + 1, sizeof(*ix->v))))
		return PC_ENOMEM;
	for (i = 0; i < paths->n; i++) {
		ix->v[i].path = paths->items[i];
		ix->v[i].i = i;
	}
	qsort(ix->v, ix->n, sizeof(*ix->v), path_ref_cmp);
	return 0;
}

/* strcmp of `path` with the first `len` bytes of `key`, as a string. */
static int cmp_n(const char *path, const char *key, size_t len)
{
	int c = strncmp(path, key, len);

	return c ? c : path[len] != '\0';
}

/* The first position whose path is not below key[0..len) in strcmp order. */
static size_t lower_bound(const path_index *ix, const char *key, size_t len)
{
	size_t lo = 0, hi = ix->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp_n(ix->v[mid].path, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int index_has(const path_index *ix, const char *path)
{
	size_t at = lower_bound(ix, path, strlen(path));

	return at < ix->n && !strcmp(ix->v[at].path, path);
}

#define AT_OR_UNDER 0
#define RELATED 1	/* at, under or above */

/*
 * Mark (mark[i * stride] = 1) every changed path i at or under `s`, and
 * with RELATED also every one above it (a directory of s replaced by a
 * file or link), skipping those with skip[i].  Returns 1 when any matched
 * (with mark NULL: stops at the first).
 */
static int index_mark(const path_index *ix, const char *s, int how, unsigned char *mark,
	size_t stride, const unsigned char *skip)
{
	size_t ls = strlen(s), k, at;
	const char *slash;
	int any = 0;

	for (k = lower_bound(ix, s, ls); k < ix->n && !strncmp(ix->v[k].path, s, ls); k++) {
		const char *p = ix->v[k].path;
		if ((ls && p[ls] != '\0' && p[ls] != '/') || (skip && skip[ix->v[k].i]))
			continue;
		any = 1;
		if (!mark)
			return 1;
		mark[ix->v[k].i * stride] = 1;
	}
	for (slash = strchr(s, '/'); how == RELATED && slash; slash = strchr(slash + 1, '/')) {
		at = lower_bound(ix, s, (size_t)(slash - s));
		if (at < ix->n && !cmp_n(ix->v[at].path, s, (size_t)(slash - s)) &&
		    !(skip && skip[ix->v[at].i])) {
			any = 1;
			if (!mark)
				return 1;
			mark[ix->v[at].i * stride] = 1;
		}
	}
	return any;
}

/* The images and remote includes of directory `dir`'s kustomization. */
static int resolve(eimages *images, pc_strlist *remotes, pc_buf *kfile, pc_treeview *tv,
	const char *dir, pc_error *err)
{
	closure cl;
	pc_buf final = PC_BUF_INIT;
	int r;

	memset(&cl, 0, sizeof(cl));
	cl.tv = tv;
	r = pc_treeview_lookup(NULL, &final, tv, dir, err);
	if (r == PC_ENOTFOUND)
		r = pc_error_set(err, PC_ENOTFOUND, "%s is not in the repository", dir);
	if (r == 0)
		r = read_dir(images, kfile, &cl, final.ptr, dir, 0, err);
	*remotes = cl.remotes;
	pc_strlist_clear(&cl.stack);
	pc_buf_release(&final);
	return r;
}

static void describe(pc_buf *b, const pc_kimage *im)
{
	pc_buf_clear(b);
	if (im->new_name)
		pc_buf_printf(b, "name %s", im->new_name);
	if (im->new_tag)
		pc_buf_printf(b, "%stag %s", b->len ? ", " : "", im->new_tag);
	if (im->digest)
		pc_buf_printf(b, "%sdigest %s", b->len ? ", " : "", im->digest);
}

static int changed_any(const path_index *ix, const pc_strlist *seen)
{
	size_t i;

	for (i = 0; i < seen->n; i++)
		if (index_mark(ix, seen->items[i], RELATED, NULL, 0, NULL))
			return 1;
	return 0;
}

static void env_dir(pc_buf *out, const pc_environment *env, const char *rel)
{
	pc_buf_clear(out);
	pc_buf_put(out, env->path, strlen(env->path) - 1);	/* the path ends with '/' */
	if (*rel)
		pc_buf_printf(out, "/%s", rel);
}

/*
 * The kustomization directories of an environment at NEW, relative to its
 * path.  A link in the overlay to a directory makes that directory part of
 * the overlay, as a checkout would: its kustomization directories are the
 * environment's too (links within it as well).  *over is set when more
 * than DIR_LINKS_MAX links had to be followed; the rest are left out.
 */
static int overlay_dirs(pc_strlist *kdirs, int *over, pc_treeview *tv, const pc_environment *env,
	pc_error *err)
{
	pc_strlist links = PC_STRLIST_INIT, sub_k = PC_STRLIST_INIT, sub_l = PC_STRLIST_INIT;
	pc_buf dir = PC_BUF_INIT, rel = PC_BUF_INIT;
	size_t q, i;
	int r;

	*over = 0;
	if ((r = pc_treeview_scan(tv, env->path, 1, kdirs, &links, 1, err)) < 0)
		goto done;
	for (q = 0; q < links.n; q++) {
		if (q >= DIR_LINKS_MAX) {
			*over = 1;
			break;
		}
		env_dir(&dir, env, links.items[q]);
		pc_strlist_clear(&sub_k);
		pc_strlist_clear(&sub_l);
		if (pc_buf_error(&dir))
			goto nomem;
		if ((r = pc_treeview_scan(tv, dir.ptr, 1, &sub_k, &sub_l, 1, err)) < 0)
			goto done;
		for (i = 0; i < sub_k.n + sub_l.n; i++) {
			const char *sub = i < sub_k.n ? sub_k.items[i] : sub_l.items[i - sub_k.n];
			pc_strlist *to = i < sub_k.n ? kdirs : &links;
			pc_buf_clear(&rel);
			pc_buf_printf(&rel, "%s%s%s", links.items[q], *sub ? "/" : "", sub);
			if (pc_buf_error(&rel))
				goto nomem;
			if (!pc_strlist_has(to, rel.ptr) && pc_strlist_add(to, rel.ptr) < 0)
				goto nomem;
		}
	}
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	pc_strlist_clear(&links);
	pc_strlist_clear(&sub_k);
	pc_strlist_clear(&sub_l);
	pc_buf_release(&dir);
	pc_buf_release(&rel);
	return r;
}

typedef struct after_state {
	pc_ctx *ctx;
	pc_change *c;
	const pc_environment *env, *prev;
	pc_treeview now, base;
	path_index ix;		/* the changed paths */
	pc_strlist reported;	/* "name\nvalue" already reported for this environment */
	const pc_strlist *kdirs;	/* the environment's kustomization directories at NEW */
	int ran_read;		/* ran holds the trunk's history (read once, on first need) */
	int ran_cut;		/* the walk stopped at limits.max_rollback_commits */
	pc_strlist ran;		/* ran_key()s of what E or X had on the trunk */
} after_state;

/*
 * "REL\nNAME\n" and each field with its length, so that no choice of
 * bytes in one field can pass for another.
 */
static char *ran_key(const char *rel, const pc_kimage *im)
{
	return pc_asprintf("%s\n%s\n%zu:%s|%zu:%s|%zu:%s|%d%d%d", rel, im->name,
		im->new_name ? strlen(im->new_name) : 0, im->new_name ? im->new_name : "",
		im->new_tag ? strlen(im->new_tag) : 0, im->new_tag ? im->new_tag : "",
		im->digest ? strlen(im->digest) : 0, im->digest ? im->digest : "",
		!!im->new_name, !!im->new_tag, !!im->digest);
}

static int resolve(eimages *images, pc_strlist *remotes, pc_buf *kfile, pc_treeview *tv,
	const char *dir, pc_error *err);

/*
 * What decides an overlay at one commit, as text: the ids of the entries
 * at E's and X's paths and at the shared paths.  A commit where it is the
 * same as at the commit read last cannot change what E or X had (but for
 * a change behind a link, or in a file included from elsewhere: those are
 * missed, which only leaves a rollback to be rejected).
 */
static int overlay_signature(pc_buf *sig, git_tree *root, const after_state *st)
{
	const pc_policy *p = st->ctx->policy;
	git_tree_entry *e = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i, n = 2 + p->shared_paths.n, len;
	const char *path;

	pc_buf_clear(sig);
	for (i = 0; i < n; i++) {
		path = i == 0 ? st->env->path : i == 1 ? st->prev->path : p->shared_paths.items[i - 2];
		len = strlen(path);
		if (len && path[len - 1] == '/')
			len--;
		{
			char *dir = pc_strndup(path, len);
			int found;

			if (!dir)
				return PC_ENOMEM;
			found = git_tree_entry_bypath(&e, root, dir) == 0;
			free(dir);
			git_error_clear();
			if (found) {
				git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(e));
				pc_buf_printf(sig, "%s%o ", hex, (unsigned)git_tree_entry_filemode(e));
				git_tree_entry_free(e);
				e = NULL;
			} else {
				pc_buf_puts(sig, "- ");
			}
		}
	}
	return pc_buf_error(sig) ? PC_ENOMEM : 0;
}

/* Add what E and X have in each kustomization directory at `commit` to st->ran. */
static int ran_at(after_state *st, const git_oid *commit, pc_error *err)
{
	pc_treeview tv;
	pc_buf dir = PC_BUF_INIT, kfile = PC_BUF_INIT;
	pc_error ignored = PC_ERROR_INIT;
	eimages images = { NULL, 0, 0 };
	pc_strlist remotes = PC_STRLIST_INIT;
	size_t k, w, i;
	char *key;
	int r;

	memset(&tv, 0, sizeof(tv));
	if ((r = pc_treeview_open(&tv, st->ctx->repo, commit, err)) < 0)
		return r;
	for (k = 0; k < st->kdirs->n; k++)
		for (w = 0; w < 2; w++) {
			env_dir(&dir, w ? st->env : st->prev, st->kdirs->items[k]);
			if (pc_buf_error(&dir))
				goto nomem;
			/* What does not resolve there had no image then. */
			r = resolve(&images, &remotes, &kfile, &tv, dir.ptr, &ignored);
			pc_strlist_clear(&remotes);
			if (r == PC_ENOMEM)
				goto nomem;
			for (i = 0; r == 0 && i < images.n; i++) {
				if (!(key = ran_key(st->kdirs->items[k], &images.items[i].im)))
					goto nomem;
				if (!pc_strlist_has(&st->ran, key) && pc_strlist_add(&st->ran, key) < 0) {
					free(key);
					goto nomem;
				}
				free(key);
			}
			eimages_clear(&images);
		}
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	eimages_clear(&images);
	pc_strlist_clear(&remotes);
	pc_buf_release(&dir);
	pc_buf_release(&kfile);
	pc_treeview_close(&tv);
	return r;
}

/*
 * Read, once, what E and X had at the trunk's commits: the base and its
 * first parents (what the trunk pointed at, so what ran; a side branch
 * merged into it ran only as the merge), at most
 * limits.max_rollback_commits of them, reading only those where the
 * overlays changed.
 */
static int read_ran(after_state *st, pc_error *err)
{
	git_repository *repo = st->ctx->repo;
	uint64_t n = 0, max = st->ctx->policy->limits.max_rollback_commits;
	git_commit *commit = NULL, *parent = NULL;
	git_tree *root = NULL;
	pc_buf sig = PC_BUF_INIT, last = PC_BUF_INIT;
	int r = 0, have_last = 0;

	st->ran_read = 1;
	if (git_oid_is_zero(&st->c->base))
		return 0;
	if (git_commit_lookup(&commit, repo, &st->c->base) < 0)
		goto git;
	while (commit) {
		if (n++ >= max) {
			st->ran_cut = 1;
			break;
		}
		if (git_commit_tree(&root, commit) < 0)
			goto git;
		if ((r = overlay_signature(&sig, root, st)) < 0)
			goto nomem;
		git_tree_free(root);
		root = NULL;
		if (!have_last || strcmp(sig.ptr, last.ptr)) {
			if ((r = ran_at(st, git_commit_id(commit), err)) < 0)
				goto done;
			pc_buf_clear(&last);
			if (pc_buf_puts(&last, sig.ptr) < 0)
				goto nomem;
			have_last = 1;
		}
		if (!git_commit_parentcount(commit))
			break;
		if (git_commit_parent(&parent, commit, 0) < 0)
			goto git;
		git_commit_free(commit);
		commit = parent;
		parent = NULL;
	}
	r = 0;
	goto done;
git:
	r = pc_error_set(err, PC_EIO, "cannot read the trunk's history: %s",
		git_error_last() ? git_error_last()->message : "unknown error");
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	git_tree_free(root);
	git_commit_free(commit);
	git_commit_free(parent);
	pc_buf_release(&sig);
	pc_buf_release(&last);
	return r;
}

/* 1 when E or X had image `im` in kustomization directory `rel` on the trunk. */
static int ran_before(after_state *st, const char *rel, const pc_kimage *im, pc_error *err)
{
	char *key;
	int r;

	if (!st->ran_read && (r = read_ran(st, err)) < 0)
		return r;
	if (!(key = ran_key(rel, im)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	r = pc_strlist_has(&st->ran, key);
	free(key);
	return r;
}

/* "dev, then to stg": the environments to promote through to reach E. */
static void chain_of(pc_buf *out, const pc_policy *p, const pc_environment *e)
{
	const pc_environment *chain[64];
	size_t n = 0, i;

	while (e && n < PC_ARRAY_SIZE(chain) && n <= p->nenvironments) {
		for (i = 0; i < n && chain[i] != e; i++)
			;
		if (i < n)
			break;	/* a cycle: the loader refuses those */
		chain[n++] = e;
		e = e->after ? pc_policy_environment(p, e->after) : NULL;
	}
	pc_buf_clear(out);
	for (i = n; i-- > 0; )
		pc_buf_printf(out, "%s%s", i + 1 < n ? ", then to " : "", chain[i]->name);
}

static int report_image(after_state *st, const eimage *im, const char *kfile, const eimages *prev,
	const char *prev_file)
{
	pc_buf value = PC_BUF_INIT, there = PC_BUF_INIT, key = PC_BUF_INIT, who = PC_BUF_INIT;
	pc_verdict *v = st->c->v;
	size_t i;
	int r = 0;

	describe(&value, &im->im);
	pc_buf_printf(&key, "%s\n%s", im->im.name, value.ptr);
	for (i = 0; i < prev->n; i++)
		if (!strcmp(prev->items[i].im.name, im->im.name)) {
			describe(&there, &prev->items[i].im);
			break;
		}
	if (i == prev->n)
		pc_buf_puts(&there, "no such image");
	if (strcmp(im->file, kfile))
		pc_buf_printf(&who, "%s, included by %s,", im->file, kfile);
	else
		pc_buf_puts(&who, im->file);
	if (pc_buf_error(&value) || pc_buf_error(&there) || pc_buf_error(&key) || pc_buf_error(&who))
		r = PC_ENOMEM;
	else if (pc_strlist_has(&st->reported, key.ptr))
		goto done;
	else if (pc_strlist_add(&st->reported, key.ptr) < 0)
		r = PC_ENOMEM;
	else if (st->ran_cut)
		r = pc_verdict_reject(v, "environment", NULL,
			"%s sets image %s to %s, which %s has not run in the last %llu trunk commits "
			"(limits.max_rollback_commits; %s has %s)",
			who.ptr, im->im.name, value.ptr, st->prev->name,
			(unsigned long long)st->ctx->policy->limits.max_rollback_commits, prev_file, there.ptr);
	else
		r = pc_verdict_reject(v, "environment", NULL,
			"%s sets image %s to %s, which %s has never run (%s has %s)",
			who.ptr, im->im.name, value.ptr, st->prev->name, prev_file, there.ptr);
	if (r == 0) {
		/* The hint needs the value: add it to the reason just made. */
		chain_of(&who, st->ctx->policy, st->prev);
		free(v->reasons[v->nreasons - 1].hint);
		if (pc_buf_error(&who) ||
		    !(v->reasons[v->nreasons - 1].hint = pc_asprintf(
				"promote %s to %s, then push this again; or roll back to a value %s has run%s",
				value.ptr, who.ptr, st->prev->name,
				st->ran_cut ? " (or raise limits.max_rollback_commits)" : "")))
			r = PC_ENOMEM;
	}
done:
	pc_buf_release(&value);
	pc_buf_release(&there);
	pc_buf_release(&key);
	pc_buf_release(&who);
	return r;
}

/* One kustomization directory `rel` of the environment. */
static int after_dir(after_state *st, const char *rel, pc_error *err)
{
	eimages now = { NULL, 0, 0 }, base = { NULL, 0, 0 }, prev = { NULL, 0, 0 };
	pc_strlist rnow = PC_STRLIST_INIT, rbase = PC_STRLIST_INIT, rprev = PC_STRLIST_INIT;
	pc_strlist seen = PC_STRLIST_INIT;
	pc_buf dir = PC_BUF_INIT, kfile = PC_BUF_INIT, bfile = PC_BUF_INIT, pfile = PC_BUF_INIT;
	pc_error why = PC_ERROR_INIT, ignored = PC_ERROR_INIT;
	size_t i;
	int r, rn;

	env_dir(&dir, st->env, rel);
	if (pc_buf_error(&dir))
		goto nomem;
	st->now.seen = &seen;
	rn = resolve(&now, &rnow, &kfile, &st->now, dir.ptr, &why);
	st->now.seen = NULL;
	if (rn == PC_ENOMEM)
		goto nomem;
	/* Nothing it reads changed: the base judged it already. */
	if (!changed_any(&st->ix, &seen)) {
		r = 0;
		goto done;
	}
	if (rn < 0) {
		r = pc_verdict_reject(st->c->v, "environment",
			"make it build with Kustomize from files in the repository, then push again",
			"cannot judge the images of %s for %s: %s", dir.ptr, st->env->name, why.msg);
		goto done;
	}
	if (resolve(&base, &rbase, &bfile, &st->base, dir.ptr, &ignored) == PC_ENOMEM)
		goto nomem;
	for (i = 0; i < rnow.n; i++) {
		char *file;
		size_t flen = strtoul(rnow.items[i], &file, 10);

		if (pc_strlist_has(&rbase, rnow.items[i]))
			continue;
		file++;	/* the ':' */
		if ((r = pc_verdict_reject(st->c->v, "environment",
				"copy what it brings into the repository and point the kustomization at that copy",
				"%.*s includes %s from outside the repository; what it deploys to %s cannot be checked against %s",
				(int)flen, file, file + flen, st->env->name, st->prev->name)) < 0)
			goto done;
	}
	env_dir(&dir, st->prev, rel);
	if (pc_buf_error(&dir))
		goto nomem;
	if ((r = resolve(&prev, &rprev, &pfile, &st->base, dir.ptr, &ignored)) == PC_ENOMEM)
		goto nomem;
	if (r < 0 || !pfile.len) {
		pc_buf_clear(&pfile);
		pc_buf_puts(&pfile, dir.ptr);
	}
	for (i = 0; i < now.n; i++) {
		const eimage *im = &now.items[i];
		if ((!im->im.new_name && !im->im.new_tag && !im->im.digest) ||
		    find_image(&base, &im->im) || find_image(&prev, &im->im))
			continue;
		/* A rollback: E, or this environment, ran it before. */
		if ((r = ran_before(st, rel, &im->im, err)) < 0)
			goto done;
		if (r)
			continue;
		if ((r = report_image(st, im, kfile.ptr, &prev, pfile.ptr)) == PC_ENOMEM)
			goto nomem;
		if (r < 0)
			goto done;
	}
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	eimages_clear(&now);
	eimages_clear(&base);
	eimages_clear(&prev);
	pc_strlist_clear(&rnow);
	pc_strlist_clear(&rbase);
	pc_strlist_clear(&rprev);
	pc_strlist_clear(&seen);
	pc_buf_release(&dir);
	pc_buf_release(&kfile);
	pc_buf_release(&bfile);
	pc_buf_release(&pfile);
	return r;
}

int pc_overlay_after_check(pc_ctx *ctx, pc_change *c, const pc_environment *env, pc_error *err)
{
	after_state st;
	pc_strlist kdirs = PC_STRLIST_INIT;
	size_t i;
	int r, over;

	memset(&st, 0, sizeof(st));
	st.ctx = ctx;
	st.c = c;
	st.env = env;
	if (!env->after || !(st.prev = pc_policy_environment(ctx->policy, env->after)))
		return 0;
	if ((r = pc_change_paths(ctx, c, err)) < 0 ||
	    (r = pc_treeview_open(&st.now, ctx->repo, &c->u->new_id, err)) < 0 ||
	    (r = pc_treeview_open(&st.base, ctx->repo, &c->base, err)) < 0 ||
	    (r = index_build(&st.ix, &c->paths) < 0 ? pc_error_set(err, PC_ENOMEM, "out of memory") : 0) < 0 ||
	    (r = overlay_dirs(&kdirs, &over, &st.now, env, err)) < 0)
		goto done;
	if (over && (r = pc_verdict_reject(c->v, "environment", "link fewer directories into the overlay",
			"%s links more than %d directories into its overlay; they cannot all be judged",
			env->name, DIR_LINKS_MAX)) < 0)
		goto done;
	st.kdirs = &kdirs;
	for (i = 0; i < kdirs.n; i++)
		if ((r = after_dir(&st, kdirs.items[i], err)) < 0)
			goto done;
	r = 0;
done:
	pc_strlist_clear(&kdirs);
	pc_strlist_clear(&st.reported);
	pc_strlist_clear(&st.ran);
	pc_treeview_close(&st.now);
	pc_treeview_close(&st.base);
	free(st.ix.v);
	return r;
}

int pc_overlay_first_parent_check(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	git_commit *commit = NULL, *parent = NULL;
	size_t i, steps;
	int r, found = 0, any = 0;

	for (i = 0; i < p->nenvironments; i++)
		any |= p->environments[i].after != NULL;
	if (!any || git_oid_is_zero(&c->u->old_id) || git_oid_equal(&c->u->old_id, &c->u->new_id))
		return 0;
	/* Every first parent before OLD is new to the branch: at most nbranch_new steps. */
	if (git_commit_lookup(&commit, ctx->repo, &c->u->new_id) < 0)
		goto git;
	for (steps = 0; steps <= c->nbranch_new; steps++) {
		if (git_oid_equal(git_commit_id(commit), &c->u->old_id)) {
			found = 1;
			break;
		}
		if (!git_commit_parentcount(commit))
			break;
		if (git_commit_parent(&parent, commit, 0) < 0)
			goto git;
		git_commit_free(commit);
		commit = parent;
		parent = NULL;
	}
	r = found ? 0 : pc_verdict_reject(c->v, "environment",
		"merge the other way round (check out the trunk's tip, git merge your branch) or rebase onto it, then push again",
		"the first parents of %s do not lead to %s's tip before the push; the trunk's first-parent "
		"history must stay what it pointed at, which a rollback relies on", c->short_name, c->short_name);
	goto done;
git:
	r = pc_error_set(err, PC_EIO, "cannot read the trunk's history: %s",
		git_error_last() ? git_error_last()->message : "unknown error");
done:
	git_commit_free(commit);
	git_commit_free(parent);
	return r;
}

/* A symbolic link of an overlay or shared path, at NEW. */
typedef struct link_info {
	char *path;
	char *landing;		/* NULL when it does not resolve */
	unsigned char *sits;	/* environments it sits in */
	unsigned char *reaches;	/* environments it lands in */
	int sits_shared, reaches_shared;
} link_info;

/*
 * 1 when `path` is in `area` (an environment's "overlays/prd/" or a shared
 * path, matched as a prefix), or is a directory or link above it, such as
 * "overlays" or "overlays/prd" itself.
 */
static int in_area(const char *path, const char *area)
{
	size_t la = strlen(area), lp = strlen(path);

	if (!strncmp(path, area, la))
		return 1;
	if (la && area[la - 1] == '/')
		la--;
	return lp <= la && !strncmp(area, path, lp) && (!lp || lp == la || area[lp] == '/');
}

static void areas_of(const pc_policy *p, const char *path, unsigned char *envs, int *shared)
{
	size_t j;

	for (j = 0; j < p->nenvironments; j++)
		if (in_area(path, p->environments[j].path))
			envs[j] = 1;
	for (j = 0; j < p->shared_paths.n; j++)
		if (in_area(path, p->shared_paths.items[j]))
			*shared = 1;
}

static int any_set(const unsigned char *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i])
			return 1;
	return 0;
}

/* Symbolic links in, at or above the overlays and shared paths. */
static int collect_links(pc_strlist *links, pc_treeview *tv, const pc_policy *p, pc_error *err)
{
	pc_buf prefix = PC_BUF_INIT;
	git_tree_entry *e = NULL;
	const char *a;
	size_t i, n, len;
	int r = 0, link;

	n = p->nenvironments + p->shared_paths.n;
	for (i = 0; r == 0 && i < n && tv->root; i++) {
		a = i < p->nenvironments ? p->environments[i].path :
			p->shared_paths.items[i - p->nenvironments];
		len = strlen(a);
		if (len && a[len - 1] == '/')
			len--;
		/* Each directory on the way, and the area itself, may be a link. */
		for (pc_buf_clear(&prefix); prefix.len < len; ) {
			if (pc_buf_putc(&prefix, a[prefix.len]) < 0)
				goto nomem;
			if (prefix.len >= len || a[prefix.len] != '/')
				continue;
			if (git_tree_entry_bypath(&e, tv->root, prefix.ptr) < 0) {
				git_error_clear();
				continue;
			}
			link = git_tree_entry_filemode(e) == GIT_FILEMODE_LINK;
			git_tree_entry_free(e);
			if (link && !pc_strlist_has(links, prefix.ptr) && pc_strlist_add(links, prefix.ptr) < 0)
				goto nomem;
		}
		if (pc_buf_error(&prefix))
			goto nomem;
		if (prefix.len && git_tree_entry_bypath(&e, tv->root, prefix.ptr) == 0) {
			link = git_tree_entry_filemode(e) == GIT_FILEMODE_LINK;
			git_tree_entry_free(e);
			if (link && !pc_strlist_has(links, prefix.ptr) && pc_strlist_add(links, prefix.ptr) < 0)
				goto nomem;
		}
		git_error_clear();
		r = pc_treeview_scan(tv, a, 0, NULL, links, 0, err);
	}
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	pc_buf_release(&prefix);
	return r;
}

/*
 * A changed path that environment j's kustomizations read at NEW (an
 * included component, base or patch file, outside the overlay) is a change
 * to environment j (a shared path stays shared).  What does not resolve is
 * left to pc_overlay_after_check.
 */
static int included_paths(unsigned char *hits, const unsigned char *shared, size_t m, size_t j,
	pc_treeview *tv, const path_index *ix, const pc_environment *env, pc_error *err)
{
	pc_strlist kdirs = PC_STRLIST_INIT, seen = PC_STRLIST_INIT, remotes = PC_STRLIST_INIT;
	pc_buf dir = PC_BUF_INIT, kfile = PC_BUF_INIT;
	eimages images = { NULL, 0, 0 };
	pc_error ignored = PC_ERROR_INIT;
	size_t k, s;
	int r, over;

	if ((r = overlay_dirs(&kdirs, &over, tv, env, err)) < 0)
		goto done;
	for (k = 0; k < kdirs.n; k++) {
		env_dir(&dir, env, kdirs.items[k]);
		if (pc_buf_error(&dir))
			goto nomem;
		tv->seen = &seen;
		r = resolve(&images, &remotes, &kfile, tv, dir.ptr, &ignored);
		tv->seen = NULL;
		eimages_clear(&images);
		pc_strlist_clear(&remotes);
		if (r == PC_ENOMEM)
			goto nomem;
	}
	for (s = 0; s < seen.n; s++)
		index_mark(ix, seen.items[s], RELATED, hits + j, m, shared);
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	pc_strlist_clear(&kdirs);
	pc_strlist_clear(&seen);
	pc_buf_release(&dir);
	pc_buf_release(&kfile);
	return r;
}

int pc_overlay_path_envs(unsigned char **hits_out, unsigned char **shared_out, pc_strlist *bad,
	pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	size_t m = p->nenvironments, i, j, k, nlinks = 0;
	unsigned char *hits = NULL, *shared = NULL;
	link_info *links = NULL;
	path_index ix = { NULL, 0 };
	pc_strlist paths = PC_STRLIST_INIT;
	pc_buf final = PC_BUF_INIT;
	pc_treeview tv;
	pc_error why = PC_ERROR_INIT;
	char *msg = NULL;
	int r;

	*hits_out = *shared_out = NULL;
	memset(&tv, 0, sizeof(tv));
	if ((r = pc_change_paths(ctx, c, err)) < 0 || (r = pc_treeview_open(&tv, ctx->repo, &c->u->new_id, err)) < 0 ||
	    (r = collect_links(&paths, &tv, p, err)) < 0)
		goto done;
	if (index_build(&ix, &c->paths) < 0 ||
	    !(hits = pc_calloc(c->paths.n * (m ? m : 1) + 1, 1)) || !(shared = pc_calloc(c->paths.n + 1, 1)) ||
	    (paths.n && !(links = pc_calloc(paths.n, sizeof(*links)))))
		goto nomem;
	nlinks = paths.n;
	for (i = 0; i < paths.n; i++) {
		link_info *l = &links[i];
		l->path = paths.items[i];
		if (!(l->sits = pc_calloc(m + 1, 1)) || !(l->reaches = pc_calloc(m + 1, 1)))
			goto nomem;
		areas_of(p, l->path, l->sits, &l->sits_shared);
		r = pc_treeview_lookup(NULL, &final, &tv, l->path, &why);
		if (r == PC_ENOMEM)
			goto nomem;
		if (r == 0 || r == PC_ENOTFOUND) {
			/* Where it lands, or would land when what it names is missing. */
			areas_of(p, final.ptr, l->reaches, &l->reaches_shared);
			if (!(l->landing = pc_strdup(final.ptr)))
				goto nomem;
		}
		if (!bad || !index_has(&ix, l->path))
			continue;	/* only a link this update adds or changes */
		msg = NULL;
		if (r == PC_ENOTFOUND)
			msg = pc_asprintf("symbolic link %s points to %s, which does not exist", l->path, final.ptr);
		else if (r < 0)
			msg = pc_asprintf("symbolic link %s cannot be followed: %s", l->path, why.msg);
		else if (!any_set(l->reaches, m) && !l->reaches_shared && (any_set(l->sits, m) || l->sits_shared))
			msg = pc_asprintf("symbolic link %s points to %s, outside every environment and shared path",
				l->path, *final.ptr ? final.ptr : "the top of the repository");
		else
			continue;
		if (!msg || pc_strlist_add(bad, msg) < 0)
			goto nomem;
		free(msg);
		msg = NULL;
	}
	for (i = 0; i < c->paths.n; i++) {
		int sh = 0;

		areas_of(p, c->paths.items[i], hits + i * m, &sh);
		shared[i] = (unsigned char)sh;
	}
	for (k = 0; k < nlinks; k++) {
		const link_info *l = &links[k];
		if (!l->landing)
			continue;
		/* The link itself changed: it changes where it lands. */
		for (j = 0; j < m; j++)
			if (l->reaches[j])
				index_mark(&ix, l->path, AT_OR_UNDER, hits + j, m, NULL);
		if (l->reaches_shared)
			index_mark(&ix, l->path, AT_OR_UNDER, shared, 1, NULL);
		/* Its landing changed: it changes where the link sits. */
		for (j = 0; j < m; j++)
			if (l->sits[j])
				index_mark(&ix, l->landing, AT_OR_UNDER, hits + j, m, NULL);
		if (l->sits_shared)
			index_mark(&ix, l->landing, AT_OR_UNDER, shared, 1, NULL);
	}
	for (j = 0; j < m; j++)
		if ((r = included_paths(hits, shared, m, j, &tv, &ix, &p->environments[j], err)) < 0)
			goto done;
	*hits_out = hits;
	*shared_out = shared;
	hits = shared = NULL; /* transferred */
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	free(msg);
	for (i = 0; i < nlinks; i++) {
		free(links[i].landing);
		free(links[i].sits);
		free(links[i].reaches);
	}
	free(links);
	free(ix.v);
	free(hits);
	free(shared);
	pc_strlist_clear(&paths);
	pc_buf_release(&final);
	pc_treeview_close(&tv);
	return r;
}

/*
 * repo.c: repository access for the engine.
 */
#include "repo.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int git_fail(pc_error *err, int code, const char *what)
{
	const git_error *e = git_error_last();

	return pc_error_set(err, code, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

int pc_repo_open_hook(git_repository **out, pc_error *err)
{
	const char *git_dir = getenv("GIT_DIR");
	const char *quarantine = getenv("GIT_QUARANTINE_PATH");
	const char *objects = getenv("GIT_OBJECT_DIRECTORY");
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	int r = PC_ERROR;

	*out = NULL;
	if (!git_dir || !*git_dir)
		git_dir = ".";
	if (git_repository_open_bare(&repo, git_dir) < 0) {
		r = git_fail(err, PC_EIO, "cannot open the repository");
		goto done;
	}
	/*
	 * Some servers run hooks with the new objects only in
	 * GIT_OBJECT_DIRECTORY (git sets both during a quarantined push).
	 */
	if ((!quarantine || !*quarantine) && objects && *objects)
		quarantine = objects;
	if (quarantine && *quarantine) {
		if (git_repository_odb(&odb, repo) < 0 ||
		    git_odb_add_disk_alternate(odb, quarantine) < 0) {
			r = git_fail(err, PC_EIO, "cannot read the objects of this push (quarantine)");
			goto done;
		}
	}
	*out = repo;
	repo = NULL; /* transferred */
	r = 0;
done:
	git_odb_free(odb);
	git_repository_free(repo);
	return r;
}

/* PATH without its trailing slashes (but "/" stays), resolved when it exists. */
static char *dir_key(const char *path)
{
	char *real = realpath(path, NULL), *p = real ? real : pc_strdup(path);
	size_t n;

	if (!p)
		return NULL;
	for (n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = '\0';
	return p;
}

/*
 * git's ownership rule (git-config(1), safe.directory): DIR is owned by
 * the effective user (by SUDO_UID when root runs under sudo), or the
 * system or global configuration lists it in safe.directory, or lists
 * "*"; an empty value forgets the entries before it.  libgit2 1.5 reads
 * the list but knows no "*", and reports a missing list as "config value
 * 'safe.directory' was not found"; so the commands check the rule here.
 */
static int owner_trusted(const char *dir)
{
	struct stat st;
	const char *sudo = getenv("SUDO_UID");
	uid_t uid = geteuid();

	if (stat(dir, &st) < 0)
		return 0;
	if (uid == 0 && sudo && *sudo) {
		char *end;
		unsigned long v = strtoul(sudo, &end, 10);

		if (!*end && (uid_t)v == st.st_uid)
			return 1;
	}
	return st.st_uid == uid;
}

static int safe_listed(const char *key)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	git_buf path = GIT_BUF_INIT;
	char *want;
	int safe = 0;

	if (git_config_open_default(&cfg) < 0)
		return 0;
	if (git_config_multivar_iterator_new(&it, cfg, "safe.directory", NULL) < 0)
		goto done;
	while (git_config_next(&e, it) == 0) {
		if (!e->value || !*e->value) {
			safe = 0;
			continue;
		}
		if (!strcmp(e->value, "*")) {
			safe = 1;
			continue;
		}
		git_buf_dispose(&path);
		if (git_config_parse_path(&path, e->value) < 0)
			continue;
		if ((want = dir_key(path.ptr))) {
			safe |= !strcmp(want, key);
			free(want);
		}
	}
done:
	git_buf_dispose(&path);
	git_config_iterator_free(it);
	git_config_free(cfg);
	git_error_clear();
	return safe;
}

int pc_repo_open(git_repository **out, const char *dir, pc_error *err)
{
	const char *d = dir ? dir : ".";
	const char *workdir;
	char *gitdir = NULL, *wt = NULL;
	int validate = 1, opened, r;

	/*
	 * libgit2 1.5 checks ownership in git_repository_open_ext but not in
	 * git_repository_open_bare, with its own reading of safe.directory;
	 * open without its check and apply git's rule to what was opened.
	 */
	*out = NULL;
	git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &validate);
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	opened = git_repository_open_ext(out, d, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0 ||
		 git_repository_open_bare(out, d) == 0;
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, validate);
	if (!opened)
		return git_fail(err, PC_ENOTFOUND, d);
	if (!validate)
		return 0;
	gitdir = dir_key(git_repository_path(*out));
	workdir = git_repository_workdir(*out);
	wt = workdir ? dir_key(workdir) : NULL;
	if (!gitdir || (workdir && !wt)) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
	} else if ((owner_trusted(gitdir) || safe_listed(gitdir)) &&
		   (!wt || owner_trusted(wt) || safe_listed(wt))) {
		r = 0;
	} else {
		/* git's own words, and its remedy, quoted for the shell as git does */
		const char *at = wt ? wt : gitdir, *p;
		pc_buf q = PC_BUF_INIT;

		if (at[strspn(at, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+,:@")]) {
			pc_buf_putc(&q, '\'');
			for (p = at; *p; p++)
				*p == '\'' ? pc_buf_puts(&q, "'\\''") : pc_buf_putc(&q, *p);
			pc_buf_putc(&q, '\'');
		} else {
			pc_buf_puts(&q, at);
		}
		r = pc_error_set(err, PC_EUNSAFE,
			"detected dubious ownership in repository at '%s'; "
			"to add an exception for this directory, call: "
			"git config --global --add safe.directory %s", at, pc_buf_error(&q) ? at : q.ptr);
		pc_buf_release(&q);
	}
	if (r < 0) {
		git_repository_free(*out);
		*out = NULL;
	}
	free(gitdir);
	free(wt);
	return r;
}

/* Written out: the reference-transaction hook uses it and does not link libgit2. */
int pc_oid_is_zero(const git_oid *id)
{
	size_t i;

	for (i = 0; i < GIT_OID_RAWSZ; i++)
		if (id->id[i])
			return 0;
	return 1;
}

void pc_oid_short(char out[8], const git_oid *id)
{
	git_oid_tostr(out, 8, id);
}

static size_t oid_hash(const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h;
}

static int oidset_resize(pc_oidset *s, size_t cap)
{
	pc_oidset n = PC_OIDSET_INIT;
	size_t i;

	n.slots = pc_calloc(cap, sizeof(git_oid));
	n.used = pc_calloc(cap, 1);
	if (!n.slots || !n.used) {
		free(n.slots);
		free(n.used);
		return PC_ENOMEM;
	}
	n.cap = cap;
	for (i = 0; i < s->cap; i++)
		if (s->used[i])
			pc_oidset_add(&n, &s->slots[i]);
	pc_oidset_clear(s);
	*s = n;
	return 0;
}

int pc_oidset_add(pc_oidset *s, const git_oid *id)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap && oidset_resize(s, s->cap ? s->cap * 2 : 64) < 0)
		return PC_ENOMEM;
	for (i = oid_hash(id) & (s->cap - 1); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->slots[i], id))
			return 0;
	git_oid_cpy(&s->slots[i], id);
	s->used[i] = 1;
	s->n++;
	return 1;
}

int pc_oidset_has(const pc_oidset *s, const git_oid *id)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = oid_hash(id) & (s->cap - 1); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->slots[i], id))
			return 1;
	return 0;
}

void pc_oidset_clear(pc_oidset *s)
{
	free(s->slots);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

int pc_refs_load(pc_refs *refs, git_repository *repo, pc_error *err)
{
	return pc_refs_load_view(refs, repo, NULL, err);
}

char *pc_refs_view_name(const char *view, const char *ref)
{
	if (!view)
		return pc_strdup(ref);
	return strncmp(ref, "refs/", 5) ? NULL : pc_asprintf("%s%s", view, ref + 5);
}

int pc_refs_load_view(pc_refs *refs, git_repository *repo, const char *view, pc_error *err)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_object *peeled = NULL;
	size_t vlen = view ? strlen(view) : 0;
	int r = PC_ERROR, e;

	if (git_reference_iterator_new(&it, repo) < 0)
		return git_fail(err, PC_EIO, "cannot list refs");
	while ((e = git_reference_next(&ref, it)) == 0) {
		const git_oid *target;
		const char *name = git_reference_name(ref);

		if (git_reference_type(ref) != GIT_REFERENCE_DIRECT ||
		    (view && strncmp(name, view, vlen))) {
			git_reference_free(ref);
			ref = NULL;
			continue;
		}
		target = git_reference_target(ref);
		if (refs->n == refs->alloc) {
			size_t alloc = refs->alloc ? refs->alloc * 2 : 64;
			char **names = pc_realloc(refs->names, alloc * sizeof(char *));
			git_oid *ids = names ? pc_realloc(refs->ids, alloc * sizeof(git_oid)) : NULL;
			git_oid *targets = ids ? pc_realloc(refs->targets, alloc * sizeof(git_oid)) : NULL;

			/* Keep whatever was reallocated so that pc_refs_clear frees it. */
			if (names)
				refs->names = names;
			if (ids)
				refs->ids = ids;
			if (!targets) {
				r = pc_error_set(err, PC_ENOMEM, "out of memory");
				goto done;
			}
			refs->targets = targets;
			refs->alloc = alloc;
		}
		git_oid_cpy(&refs->targets[refs->n], target);
		/*
		 * Keep the peeled commit when there is one: walks hide commits.
		 * Approval refs are many and never hide anything, so they are
		 * not read here.
		 */
		if (view ? !strncmp(name + vlen, "approvals/", 10) : !strncmp(name, "refs/approvals/", 15))
			git_oid_cpy(&refs->ids[refs->n], target);
		else if (git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0)
			git_oid_cpy(&refs->ids[refs->n], git_object_id(peeled));
		else {
			git_error_clear();
			git_oid_cpy(&refs->ids[refs->n], target);
		}
		git_object_free(peeled);
		peeled = NULL;
		if (!(refs->names[refs->n] = view ? pc_asprintf("refs/%s", name + vlen) : pc_strdup(name))) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		refs->n++;
		git_reference_free(ref);
		ref = NULL;
	}
	if (e != GIT_ITEROVER) {
		r = git_fail(err, PC_EIO, "cannot list refs");
		goto done;
	}
	r = 0;
done:
	git_reference_free(ref);
	git_reference_iterator_free(it);
	return r;
}

const git_oid *pc_refs_get(const pc_refs *refs, const char *name)
{
	size_t i;

	for (i = 0; i < refs->n; i++)
		if (!strcmp(refs->names[i], name))
			return &refs->ids[i];
	return NULL;
}

void pc_refs_clear(pc_refs *refs)
{
	size_t i;

	for (i = 0; i < refs->n; i++)
		free(refs->names[i]);
	free(refs->names);
	free(refs->ids);
	free(refs->targets);
	memset(refs, 0, sizeof(*refs));
}

int pc_repo_walk(git_oid **out, size_t *n, git_repository *repo, const git_oid *tip,
	const git_oid *hide, size_t nhide, size_t limit, pc_error *err)
{
	return pc_repo_walk_many(out, n, repo, tip, 1, hide, nhide, limit, err);
}

int pc_repo_walk_many(git_oid **out, size_t *n, git_repository *repo, const git_oid *tips,
	size_t ntips, const git_oid *hide, size_t nhide, size_t limit, pc_error *err)
{
	git_revwalk *walk = NULL;
	git_oid *ids = NULL, id;
	size_t count = 0, alloc = 0, i;
	git_object *obj = NULL;
	int r = PC_ERROR, e;

	*out = NULL;
	*n = 0;
	if (git_revwalk_new(&walk, repo) < 0) {
		r = git_fail(err, PC_EIO, "cannot walk history");
		goto done;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL);
	for (i = 0; i < ntips; i++) {
		if (git_revwalk_push(walk, &tips[i]) < 0) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &tips[i]);
			r = git_fail(err, PC_ENOTFOUND, hex);
			goto done;
		}
	}
	for (i = 0; i < nhide; i++) {
		if (git_oid_is_zero(&hide[i]))
			continue;
		/* Refs to trees or blobs cannot hide commits; skip what is not a commit. */
		if (git_object_lookup(&obj, repo, &hide[i], GIT_OBJECT_COMMIT) < 0) {
			git_error_clear();
			continue;
		}
		git_object_free(obj);
		obj = NULL;
		if (git_revwalk_hide(walk, &hide[i]) < 0) {
			r = git_fail(err, PC_EIO, "cannot walk history");
			goto done;
		}
	}
	while ((e = git_revwalk_next(&id, walk)) == 0) {
		if (count >= limit) {
			r = pc_error_set(err, PC_ELIMIT, "more than %zu new commits", limit);
			goto done;
		}
		if (pc_grow((void **)&ids, &alloc, count + 1, sizeof(*ids)) < 0) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		git_oid_cpy(&ids[count++], &id);
	}
	if (e != GIT_ITEROVER) {
		r = git_fail(err, PC_EIO, "cannot walk history");
		goto done;
	}
	*out = ids;
	ids = NULL; /* transferred */
	*n = count;
	r = 0;
done:
	free(ids);
	git_revwalk_free(walk);
	return r;
}

static int commit_tree(git_tree **out, git_repository *repo, const git_oid *id, pc_error *err)
{
	git_commit *c = NULL;
	int r;

	*out = NULL;
	if (!id || git_oid_is_zero(id))
		return 0;
	if (git_commit_lookup(&c, repo, id) < 0)
		return git_fail(err, PC_ENOTFOUND, "cannot read commit");
	r = git_commit_tree(out, c) < 0 ? git_fail(err, PC_EIO, "cannot read tree") : 0;
	git_commit_free(c);
	return r;
}

typedef struct tree_walk {
	git_repository *repo;
	pc_buf path;
	pc_tree_change_cb cb;
	void *payload;
	pc_error *err;
} tree_walk;

int pc_tree_entry_is_tree(const git_tree_entry *e)
{
	return e && git_tree_entry_filemode(e) == GIT_FILEMODE_TREE;
}

int pc_tree_entry_cmp(const git_tree_entry *a, const git_tree_entry *b)
{
	const char *na = git_tree_entry_name(a), *nb = git_tree_entry_name(b);
	size_t la = strlen(na), lb = strlen(nb), len = la < lb ? la : lb;
	int c = memcmp(na, nb, len);
	unsigned ca, cb;

	if (c)
		return c;
	ca = la > len ? (unsigned char)na[len] : pc_tree_entry_is_tree(a) ? '/' : 0;
	cb = lb > len ? (unsigned char)nb[len] : pc_tree_entry_is_tree(b) ? '/' : 0;
	return (int)ca - (int)cb;
}

static int walk_trees(tree_walk *w, const git_tree *a, const git_tree *b, unsigned depth);

/* One side of a pair that differs: a subtree to descend into, or a file. */
static int walk_entry(tree_walk *w, const git_tree_entry *ea, const git_tree_entry *eb, unsigned depth)
{
	const git_tree_entry *e = ea ? ea : eb;
	size_t len = w->path.len;
	git_tree *ta = NULL, *tb = NULL;
	pc_tree_change ch;
	int r = 0;

	if (len)
		pc_buf_putc(&w->path, '/');
	pc_buf_puts(&w->path, git_tree_entry_name(e));
	if (pc_buf_error(&w->path)) {
		r = pc_error_set(w->err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if (pc_tree_entry_is_tree(e)) {
		if (depth >= PC_TREE_DEPTH_MAX) {
			r = pc_error_set(w->err, PC_ELIMIT, "trees are nested more than %d levels deep, under %.100s",
				PC_TREE_DEPTH_MAX, w->path.ptr);
			goto done;
		}
		if ((ea && git_tree_lookup(&ta, w->repo, git_tree_entry_id(ea)) < 0) ||
		    (eb && git_tree_lookup(&tb, w->repo, git_tree_entry_id(eb)) < 0)) {
			r = git_fail(w->err, PC_EIO, "cannot read tree");
			goto done;
		}
		r = walk_trees(w, ta, tb, depth + 1);
		goto done;
	}
	memset(&ch, 0, sizeof(ch));
	ch.path = w->path.ptr;
	if (ea) {
		git_oid_cpy(&ch.old_id, git_tree_entry_id(ea));
		ch.old_mode = (uint32_t)git_tree_entry_filemode(ea);
	}
	if (eb) {
		git_oid_cpy(&ch.new_id, git_tree_entry_id(eb));
		ch.new_mode = (uint32_t)git_tree_entry_filemode(eb);
	}
	r = w->cb(&ch, w->payload);
done:
	git_tree_free(ta);
	git_tree_free(tb);
	pc_buf_truncate(&w->path, len);
	return r;
}

static int walk_trees(tree_walk *w, const git_tree *a, const git_tree *b, unsigned depth)
{
	size_t i = 0, j = 0, na = a ? git_tree_entrycount(a) : 0, nb = b ? git_tree_entrycount(b) : 0;
	const git_tree_entry *ea, *eb;
	int c, r;

	while (i < na || j < nb) {
		ea = i < na ? git_tree_entry_byindex(a, i) : NULL;
		eb = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		c = !ea ? 1 : !eb ? -1 : pc_tree_entry_cmp(ea, eb);
		if (c == 0) {
			i++;
			j++;
			if (git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) &&
			    git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb))
				continue;	/* the same file, or the same subtree: nothing to read */
			r = walk_entry(w, ea, eb, depth);
		} else if (c < 0) {
			i++;
			r = walk_entry(w, ea, NULL, depth);
		} else {
			j++;
			r = walk_entry(w, NULL, eb, depth);
		}
		if (r)
			return r;
	}
	return 0;
}

int pc_repo_diff_trees(git_repository *repo, const git_tree *a, const git_tree *b,
	pc_tree_change_cb cb, void *payload, pc_error *err)
{
	tree_walk w;
	int r;

	w.repo = repo;
	pc_buf_init(&w.path, 0);
	w.cb = cb;
	w.payload = payload;
	w.err = err;
	r = walk_trees(&w, a, b, 0);
	pc_buf_release(&w.path);
	return r;
}

/* ---- the files a commit brings of its own ------------------------------- */

/*
 * The trees a pc_newfiles walker has read, in two generations: a tree
 * found in the old one is referenced again from the young one; once the
 * young one's trees hold TREE_GEN_ENTRIES entries in all, the old one is
 * dropped and the young one becomes the old.  The walker so holds a
 * bounded number of trees whatever the push, and what a chain of commits
 * reads again soon (its parent's trees, the previous version of a
 * directory) is not read from the pack again.  libgit2's own object cache
 * is no substitute: it evicts at random once full, keeps far more memory
 * than it counts, and is freed object by object at exit.
 */
#define TREE_GEN_ENTRIES (1u << 17)
/* libgit2's default size limit of the trees it caches (git_libgit2_opts(3)) */
#define LIBGIT2_TREE_CACHE_LIMIT 4096
/* Paths remembered per tree id as checked whole (see seen_add). */
#define SEEN_PATHS_MAX 16

typedef struct tree_slot {
	git_oid id;
	git_tree *tree;		/* NULL: empty slot */
} tree_slot;

typedef struct tree_gen {
	tree_slot *slots;
	size_t n, cap, weight;	/* weight: entries of its trees */
} tree_gen;

typedef struct seen_slot {
	git_oid id;
	char *path;		/* NULL: empty slot */
} seen_slot;

struct pc_newfiles {
	git_repository *repo;
	tree_gen young, old;
	seen_slot *seen;	/* (tree id, path) checked whole */
	size_t nseen, seen_cap;
	pc_buf path;
	pc_tree_change_cb cb;
	void *payload;
	pc_error *err;
};

static tree_slot *gen_slot(const tree_gen *g, const git_oid *id)
{
	size_t i;

	for (i = oid_hash(id) & (g->cap - 1); g->slots[i].tree; i = (i + 1) & (g->cap - 1))
		if (git_oid_equal(&g->slots[i].id, id))
			break;
	return &g->slots[i];
}

static void gen_clear(tree_gen *g)
{
	size_t i;

	for (i = 0; i < g->cap; i++)
		git_tree_free(g->slots[i].tree);
	free(g->slots);
	memset(g, 0, sizeof(*g));
}

/* Keep `tree` (a reference the young generation takes over) in `g`. */
static int gen_put(tree_gen *g, const git_oid *id, git_tree *tree)
{
	tree_slot *s;
	size_t i;

	if ((g->n + 1) * 2 > g->cap) {
		tree_gen n = { NULL, 0, g->cap ? g->cap * 2 : 256, g->weight };

		if (!(n.slots = pc_calloc(n.cap, sizeof(*n.slots)))) {
			git_tree_free(tree);
			return PC_ENOMEM;
		}
		for (i = 0; i < g->cap; i++)
			if (g->slots[i].tree)
				*gen_slot(&n, &g->slots[i].id) = g->slots[i];
		n.n = g->n;
		free(g->slots);
		*g = n;
	}
	s = gen_slot(g, id);
	git_oid_cpy(&s->id, id);
	s->tree = tree;
	g->n++;
	g->weight += git_tree_entrycount(tree) + 1;
	return 0;
}

/* The tree `id`, a reference of the caller's own (git_tree_free it). */
static int nf_tree(git_tree **out, pc_newfiles *nf, const git_oid *id)
{
	git_tree *t = NULL;
	tree_slot *s;

	*out = NULL;
	if (nf->young.cap && (s = gen_slot(&nf->young, id))->tree)
		return git_object_dup((git_object **)out, (git_object *)s->tree) < 0 ?
			git_fail(nf->err, PC_EIO, "cannot read tree") : 0;
	if (nf->old.cap && (s = gen_slot(&nf->old, id))->tree) {
		if (git_object_dup((git_object **)&t, (git_object *)s->tree) < 0)
			return git_fail(nf->err, PC_EIO, "cannot read tree");
	} else if (git_tree_lookup(&t, nf->repo, id) < 0) {
		return git_fail(nf->err, PC_EIO, "cannot read tree");
	}
	if (nf->young.weight >= TREE_GEN_ENTRIES) {
		gen_clear(&nf->old);
		nf->old = nf->young;
		memset(&nf->young, 0, sizeof(nf->young));
	}
	if (git_object_dup((git_object **)out, (git_object *)t) < 0 || gen_put(&nf->young, id, t) < 0) {
		git_tree_free(*out);
		*out = NULL;
		return pc_error_set(nf->err, PC_ENOMEM, "out of memory");
	}
	return 0;
}

/*
 * Whether tree `id` was checked whole at `path` (every file under it
 * passed to the callback, none skipped as a parent's) earlier in this
 * walker's life.  Keyed on the path as well as the id: deny_paths match
 * the path, and the same tree elsewhere is other files.
 */
static int seen_has(const pc_newfiles *nf, const git_oid *id, const char *path)
{
	size_t i;

	if (!nf->seen_cap)
		return 0;
	for (i = oid_hash(id) & (nf->seen_cap - 1); nf->seen[i].path; i = (i + 1) & (nf->seen_cap - 1))
		if (git_oid_equal(&nf->seen[i].id, id) && !strcmp(nf->seen[i].path, path))
			return 1;
	return 0;
}

/*
 * Remember (id, path) as checked whole.  At most SEEN_PATHS_MAX paths per
 * tree: the same tree under thousands of paths is then read again (the
 * cost of the push) instead of making every look-up a long scan.
 */
static int seen_add(pc_newfiles *nf, const git_oid *id, const char *path)
{
	size_t i, same = 0;

	if ((nf->nseen + 1) * 2 > nf->seen_cap) {
		size_t cap = nf->seen_cap ? nf->seen_cap * 2 : 64, j;
		seen_slot *slots = pc_calloc(cap, sizeof(*slots));

		if (!slots)
			return PC_ENOMEM;
		for (j = 0; j < nf->seen_cap; j++) {
			if (!nf->seen[j].path)
				continue;
			for (i = oid_hash(&nf->seen[j].id) & (cap - 1); slots[i].path; i = (i + 1) & (cap - 1))
				;
			slots[i] = nf->seen[j];
		}
		free(nf->seen);
		nf->seen = slots;
		nf->seen_cap = cap;
	}
	for (i = oid_hash(id) & (nf->seen_cap - 1); nf->seen[i].path; i = (i + 1) & (nf->seen_cap - 1))
		if (git_oid_equal(&nf->seen[i].id, id) && ++same >= SEEN_PATHS_MAX)
			return 0;
	if (!(nf->seen[i].path = pc_strdup(path)))
		return PC_ENOMEM;
	git_oid_cpy(&nf->seen[i].id, id);
	nf->nseen++;
	return 0;
}

/*
 * The entry of parent tree `p` with the name of `e`, when there is one.
 * Entries in git's order are met with a cursor that moves through `p`
 * along `tree`: an equal entry at the cursor first (a parent shares most
 * of a commit's entries), else the cursor moves to the first entry not
 * before `e` (a file and a directory of one name are two entries there).
 * When that finds none, the search by name decides, as libgit2 finds
 * names: a tree out of git's order (git fsck refuses it, a push may
 * bring it) so never loses a match a search by name would make.
 */
static const git_tree_entry *parent_entry(const git_tree *p, size_t *cur, const git_tree_entry *e)
{
	size_t n = git_tree_entrycount(p);
	const git_tree_entry *pe = *cur < n ? git_tree_entry_byindex(p, *cur) : NULL;
	int c = 1;

	if (pe && git_oid_equal(git_tree_entry_id(pe), git_tree_entry_id(e)) &&
	    !strcmp(git_tree_entry_name(pe), git_tree_entry_name(e))) {
		++*cur;
		return pe;
	}
	while (*cur < n && (c = pc_tree_entry_cmp((pe = git_tree_entry_byindex(p, *cur)), e)) < 0)
		++*cur;
	if (*cur < n && c == 0)
		return pe;
	return git_tree_entry_byname(p, git_tree_entry_name(e));
}

#define NF_PARENTS_INLINE 4

/*
 * The files of `tree` (at nf->path) that no parent tree has at the same
 * path with the same id and mode.  A subtree checked whole at this path
 * earlier is skipped: every file under it went to the callback then.
 */
static int walk_new(pc_newfiles *nf, const git_tree *tree, git_tree **parents, size_t np, unsigned depth)
{
	size_t n = git_tree_entrycount(tree), len = nf->path.len, i, k, nsub;
	size_t cur_inline[NF_PARENTS_INLINE], *cur = cur_inline;
	git_tree *sub_inline[NF_PARENTS_INLINE], **sub = sub_inline, *t = NULL;
	const git_tree_entry *e, *pe;
	int r = 0, seen;
	pc_tree_change ch;

	if (np > NF_PARENTS_INLINE &&
	    (!(cur = pc_calloc(np, sizeof(*cur))) || !(sub = pc_calloc(np, sizeof(*sub))))) {
		r = pc_error_set(nf->err, PC_ENOMEM, "out of memory");
		goto done;
	}
	for (k = 0; k < np; k++) {
		cur[k] = 0;
		sub[k] = NULL;
	}
	for (i = 0; i < n && r == 0; i++) {
		e = git_tree_entry_byindex(tree, i);
		for (k = 0, seen = 0; k < np && !seen; k++)
			seen = parents[k] && (pe = parent_entry(parents[k], &cur[k], e)) &&
				git_oid_equal(git_tree_entry_id(pe), git_tree_entry_id(e)) &&
				git_tree_entry_filemode(pe) == git_tree_entry_filemode(e);
		if (seen)
			continue;	/* a parent has it: it is that parent's, checked with it */
		if (len)
			pc_buf_putc(&nf->path, '/');
		pc_buf_puts(&nf->path, git_tree_entry_name(e));
		if (pc_buf_error(&nf->path)) {
			r = pc_error_set(nf->err, PC_ENOMEM, "out of memory");
			break;
		}
		if (!pc_tree_entry_is_tree(e)) {
			memset(&ch, 0, sizeof(ch));
			ch.path = nf->path.ptr;
			git_oid_cpy(&ch.new_id, git_tree_entry_id(e));
			ch.new_mode = (uint32_t)git_tree_entry_filemode(e);
			r = nf->cb(&ch, nf->payload);
			pc_buf_truncate(&nf->path, len);
			continue;
		}
		if (depth >= PC_TREE_DEPTH_MAX) {
			r = pc_error_set(nf->err, PC_ELIMIT, "trees are nested more than %d levels deep, under %.100s",
				PC_TREE_DEPTH_MAX, nf->path.ptr);
			break;
		}
		/* The parents' subtrees at this path; parents without one drop out. */
		for (k = 0, nsub = 0; k < np && r == 0; k++) {
			pe = parents[k] ? parent_entry(parents[k], &cur[k], e) : NULL;
			if (pe && pc_tree_entry_is_tree(pe) && (r = nf_tree(&sub[nsub], nf, git_tree_entry_id(pe))) == 0)
				nsub++;
		}
		if (r == 0 && !(nsub == 0 && seen_has(nf, git_tree_entry_id(e), nf->path.ptr)) &&
		    (r = nf_tree(&t, nf, git_tree_entry_id(e))) == 0) {
			r = walk_new(nf, t, sub, nsub, depth + 1);
			/* Nothing of it was a parent's: every file went to the callback. */
			if (r == 0 && nsub == 0 && seen_add(nf, git_tree_entry_id(e), nf->path.ptr) < 0)
				r = pc_error_set(nf->err, PC_ENOMEM, "out of memory");
		}
		git_tree_free(t);
		t = NULL;
		for (k = 0; k < nsub; k++) {
			git_tree_free(sub[k]);
			sub[k] = NULL;
		}
		pc_buf_truncate(&nf->path, len);
	}
	pc_buf_truncate(&nf->path, len);
done:
	if (cur != cur_inline)
		free(cur);
	if (sub != sub_inline)
		free(sub);
	return r;
}

int pc_newfiles_new(pc_newfiles **out, git_repository *repo)
{
	pc_newfiles *nf = pc_calloc(1, sizeof(*nf));

	*out = nf;
	if (!nf)
		return PC_ENOMEM;
	nf->repo = repo;
	pc_buf_init(&nf->path, 0);
	return 0;
}

void pc_newfiles_free(pc_newfiles *nf)
{
	size_t i;

	if (!nf)
		return;
	gen_clear(&nf->young);
	gen_clear(&nf->old);
	for (i = 0; i < nf->seen_cap; i++)
		free(nf->seen[i].path);
	free(nf->seen);
	pc_buf_release(&nf->path);
	free(nf);
}

/* walk_new from the top, with the root trees given. */
static int newfiles_trees(pc_newfiles *nf, const git_tree *tree, git_tree **parents, size_t np,
	pc_tree_change_cb cb, void *payload, pc_error *err)
{
	nf->cb = cb;
	nf->payload = payload;
	nf->err = err;
	pc_buf_truncate(&nf->path, 0);
	return walk_new(nf, tree, parents, np, 0);
}

int pc_newfiles_run(pc_newfiles *nf, const git_oid *tree, const git_oid *parents, size_t np,
	pc_tree_change_cb cb, void *payload, pc_error *err)
{
	git_tree *root = NULL, *inline_trees[NF_PARENTS_INLINE], **trees = inline_trees;
	size_t k;
	int r = 0;

	nf->err = err;
	if (np > NF_PARENTS_INLINE && !(trees = pc_calloc(np, sizeof(*trees))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	for (k = 0; k < np; k++)
		trees[k] = NULL;
	for (k = 0; k < np && r == 0; k++)
		if (parents && !git_oid_is_zero(&parents[k]))
			r = nf_tree(&trees[k], nf, &parents[k]);
	/*
	 * The walker keeps the trees it reads; in libgit2's object cache they
	 * would be a second copy, each freed one by one on eviction or exit.
	 */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)0);
	if (r == 0 && (r = nf_tree(&root, nf, tree)) == 0)
		r = newfiles_trees(nf, root, trees, np, cb, payload, err);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)LIBGIT2_TREE_CACHE_LIMIT);
	git_tree_free(root);
	for (k = 0; k < np; k++)
		git_tree_free(trees[k]);
	if (trees != inline_trees)
		free(trees);
	return r;
}

int pc_repo_new_files(git_repository *repo, const git_tree *tree, const git_tree *const *parents,
	size_t nparents, pc_tree_change_cb cb, void *payload, pc_error *err)
{
	pc_newfiles *nf;
	int r;

	if (pc_newfiles_new(&nf, repo) < 0)
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	r = newfiles_trees(nf, tree, (git_tree **)parents, nparents, cb, payload, err);
	pc_newfiles_free(nf);
	return r;
}

typedef struct paths_payload {
	pc_strlist *out;
	size_t limit;
	pc_error *err;
} paths_payload;

static int add_changed_path(const pc_tree_change *ch, void *payload)
{
	paths_payload *p = payload;

	if (p->out->n >= p->limit)
		return pc_error_set(p->err, PC_ELIMIT, "more than %zu changed paths", p->limit);
	if (pc_strlist_add(p->out, ch->path) < 0)
		return pc_error_set(p->err, PC_ENOMEM, "out of memory");
	return 0;
}

int pc_repo_changed_paths(pc_strlist *out, git_repository *repo, const git_oid *from,
	const git_oid *to, size_t limit, pc_error *err)
{
	git_tree *a = NULL, *b = NULL;
	paths_payload p;
	int r;

	if ((r = commit_tree(&a, repo, from, err)) < 0 || (r = commit_tree(&b, repo, to, err)) < 0)
		goto done;
	p.out = out;
	p.limit = limit;
	p.err = err;
	r = pc_repo_diff_trees(repo, a, b, add_changed_path, &p, err);
done:
	git_tree_free(a);
	git_tree_free(b);
	return r;
}

int pc_repo_read_file(char **out, size_t *len, char blob_id[PC_HEX_MAX],
	git_repository *repo, const git_oid *commit, const char *path, size_t limit,
	pc_error *err)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	git_object_size_t size;
	int r;

	*out = NULL;
	if (len)
		*len = 0;
	if ((r = commit_tree(&tree, repo, commit, err)) < 0)
		goto done;
	if (!tree || git_tree_entry_bypath(&entry, tree, path) < 0) {
		git_error_clear();
		r = PC_ENOTFOUND;
		goto done;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		r = PC_ENOTFOUND;
		goto done;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0) {
		r = git_fail(err, PC_EIO, path);
		goto done;
	}
	size = git_blob_rawsize(blob);
	if (limit && size > limit) {
		r = pc_error_set(err, PC_ELIMIT, "%s is %llu bytes, over the limit of %zu bytes",
			path, (unsigned long long)size, limit);
		goto done;
	}
	if (!(*out = pc_strndup(git_blob_rawcontent(blob), (size_t)size))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if (len)
		*len = (size_t)size;
	if (blob_id)
		git_oid_tostr(blob_id, PC_HEX_MAX, git_tree_entry_id(entry));
	r = 0;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	return r;
}

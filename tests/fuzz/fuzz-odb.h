/*
 * fuzz-odb.h: an object database for fuzz targets that holds the objects
 * of one input in memory.  libgit2's own mempack backend returns object
 * data without the NUL terminator the disk backends add, and libgit2's
 * parsers rely on it (git_commit_extract_signature reads with strlen), so
 * a target on mempack finds overflows that cannot happen on a real
 * repository.  This one terminates the data as the disk backends do.
 */
#ifndef PC_FUZZ_ODB_H
#define PC_FUZZ_ODB_H

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ODB_MAX 8

typedef struct fuzz_object {
	git_oid id;
	git_object_t type;
	void *data;
	size_t len;
} fuzz_object;

typedef struct fuzz_odb {
	git_odb_backend parent;
	fuzz_object objs[FUZZ_ODB_MAX];
	size_t n;
} fuzz_odb;

static fuzz_object *fuzz_odb_find(git_odb_backend *b, const git_oid *id)
{
	fuzz_odb *o = (fuzz_odb *)b;
	size_t i;

	for (i = 0; i < o->n; i++)
		if (git_oid_equal(&o->objs[i].id, id))
			return &o->objs[i];
	return NULL;
}

static int fuzz_odb_read(void **out, size_t *len, git_object_t *type, git_odb_backend *b,
	const git_oid *id)
{
	fuzz_object *obj = fuzz_odb_find(b, id);
	char *p;

	if (!obj)
		return GIT_ENOTFOUND;
	if (!(p = git_odb_backend_data_alloc(b, obj->len + 1)))
		return -1;
	memcpy(p, obj->data, obj->len);
	p[obj->len] = '\0';
	*out = p;
	*len = obj->len;
	*type = obj->type;
	return 0;
}

static int fuzz_odb_read_header(size_t *len, git_object_t *type, git_odb_backend *b,
	const git_oid *id)
{
	fuzz_object *obj = fuzz_odb_find(b, id);

	if (!obj)
		return GIT_ENOTFOUND;
	*len = obj->len;
	*type = obj->type;
	return 0;
}

static int fuzz_odb_exists(git_odb_backend *b, const git_oid *id)
{
	return fuzz_odb_find(b, id) != NULL;
}

static int fuzz_odb_write(git_odb_backend *b, const git_oid *id, const void *data, size_t len,
	git_object_t type)
{
	fuzz_odb *o = (fuzz_odb *)b;
	fuzz_object *obj;

	if (fuzz_odb_find(b, id))
		return 0;
	if (o->n == FUZZ_ODB_MAX)
		return -1;
	obj = &o->objs[o->n];
	if (!(obj->data = malloc(len ? len : 1)))
		return -1;
	memcpy(obj->data, data, len);
	obj->len = len;
	obj->type = type;
	git_oid_cpy(&obj->id, id);
	o->n++;
	return 0;
}

/* Forget every object: call after each input. */
static void fuzz_odb_reset(fuzz_odb *o)
{
	while (o->n)
		free(o->objs[--o->n].data);
}

static void fuzz_odb_free(git_odb_backend *b)
{
	fuzz_odb_reset((fuzz_odb *)b);
	free(b);
}

/* A repository without a directory whose objects live in the returned odb. */
static fuzz_odb *fuzz_repo_new(git_repository **repo)
{
	fuzz_odb *o = calloc(1, sizeof(*o));
	git_odb *odb = NULL;

	if (!o || git_odb_init_backend(&o->parent, GIT_ODB_BACKEND_VERSION) < 0)
		abort();
	o->parent.read = fuzz_odb_read;
	o->parent.read_header = fuzz_odb_read_header;
	o->parent.write = fuzz_odb_write;
	o->parent.exists = fuzz_odb_exists;
	o->parent.free = fuzz_odb_free;
	/* Objects live only for one input: the cache would only grow. */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	if (git_odb_new(&odb) < 0 || git_odb_add_backend(odb, &o->parent, 1) < 0 ||
	    git_repository_new(repo) < 0)
		abort();
	git_repository_set_odb(*repo, odb);
	git_odb_free(odb);
	return o;
}

#endif

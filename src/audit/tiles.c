/*
 * tiles.c: the audit log's tree hashes as C2SP tlog-tiles hash tiles
 * (see tiles.h and doc/audit-format.md): extended by each append, rebuilt
 * from the log, compared with it, and read for proofs.
 */
#include "config.h"
#include "tiles.h"
#include "audit.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define TILE_BYTES (PC_TILE_WIDTH * PC_HASH_LEN)

void pc_tile_path(char out[PC_TILE_PATH_MAX], unsigned level, uint64_t index, unsigned width)
{
	char groups[8][4];
	size_t n = 0, off;
	unsigned i;

	/* 1234067 is x001/x234/067: 3-digit elements, all but the last with an "x" */
	do {
		snprintf(groups[n++], sizeof(groups[0]), "%03u", (unsigned)(index % 1000));
		index /= 1000;
	} while (index);
	off = (size_t)snprintf(out, PC_TILE_PATH_MAX, "tile/%u/", level);
	for (i = (unsigned)n; i-- > 0;)
		off += (size_t)snprintf(out + off, PC_TILE_PATH_MAX - off, "%s%s%s", i ? "x" : "", groups[i],
			i ? "/" : "");
	if (width < PC_TILE_WIDTH)
		snprintf(out + off, PC_TILE_PATH_MAX - off, ".p/%u", width);
}

uint64_t pc_tile_entries(uint64_t size, unsigned level)
{
	return level * PC_TILE_HEIGHT >= 64 ? 0 : size >> (level * PC_TILE_HEIGHT);
}

unsigned pc_tile_width(uint64_t size, unsigned level, uint64_t index)
{
	uint64_t e = pc_tile_entries(size, level);

	if (e / PC_TILE_WIDTH > index)
		return PC_TILE_WIDTH;
	if (e / PC_TILE_WIDTH < index)
		return 0;
	return (unsigned)(e % PC_TILE_WIDTH);
}

char *pc_tiles_dir(const char *log_path)
{
	return pc_asprintf("%s.tiles", log_path);
}

/* Read exactly `width` hashes from the tile file at path (which must hold `have` of them). */
static int read_tile_file(unsigned char (*out)[PC_HASH_LEN], const char *path, unsigned have, unsigned width)
{
	struct stat st;
	ssize_t got;
	size_t want = (size_t)width * PC_HASH_LEN, off = 0;
	int fd, r = PC_ENOTFOUND;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? PC_ENOTFOUND : PC_EIO;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != (uint64_t)have * PC_HASH_LEN) {
		r = PC_EINVAL;
		goto done;
	}
	while (off < want) {
		got = pread(fd, (unsigned char *)out + off, want - off, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = PC_EIO;
			goto done;
		}
		off += (size_t)got;
	}
	r = 0;
done:
	close(fd);
	return r;
}

/*
 * The first `width` hashes of tile (level, index): from its partial tile
 * of that width, else from the full tile or a wider partial one (an append
 * may have extended it since the caller read the checkpoint).
 */
static int try_tile(unsigned char (*out)[PC_HASH_LEN], const char *dir, unsigned level, uint64_t index,
	unsigned have, unsigned width)
{
	char rel[PC_TILE_PATH_MAX], *path;
	int r;

	pc_tile_path(rel, level, index, have);
	if (!(path = pc_asprintf("%s/%s", dir, rel)))
		return PC_ENOMEM;
	r = read_tile_file(out, path, have, width);
	free(path);
	return r;
}

static int load_tile(unsigned char (*out)[PC_HASH_LEN], const char *dir, unsigned level, uint64_t index,
	unsigned width, int exact)
{
	unsigned w;
	int r;

	if ((r = try_tile(out, dir, level, index, width, width)) != PC_ENOTFOUND || exact ||
	    width == PC_TILE_WIDTH)
		return r;
	if ((r = try_tile(out, dir, level, index, PC_TILE_WIDTH, width)) != PC_ENOTFOUND)
		return r;
	for (w = width + 1; w < PC_TILE_WIDTH; w++)
		if ((r = try_tile(out, dir, level, index, w, width)) != PC_ENOTFOUND)
			return r;
	return r;
}

/* Tiles */

struct pc_tile_builder {
	char *dir;
	int mode, nosync, shared, dir_missing;
	gid_t share_gid;	/* the group of the log's directory, when shared */
	unsigned char h[PC_TILE_LEVELS][PC_TILE_WIDTH][PC_HASH_LEN];
	unsigned w[PC_TILE_LEVELS];	/* hashes in the current tile of each level */
	unsigned old_w[PC_TILE_LEVELS];	/* width of its partial tile already on disk, to replace */
	uint64_t index[PC_TILE_LEVELS];
	unsigned char dirty[PC_TILE_LEVELS];
	pc_strlist bad;
	uint64_t missing;
};

int pc_tile_builder_new(pc_tile_builder **out, const char *log_path, int mode, pc_error *err)
{
	pc_tile_builder *b;
	struct stat st;
	char *copy;

	*out = NULL;
	if (!(b = pc_calloc(1, sizeof(*b))) || !(b->dir = pc_tiles_dir(log_path)) || !(copy = pc_strdup(log_path))) {
		if (b)
			free(b->dir);
		free(b);
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	/* the tiles are shared like the log: group-writable directories when its directory is */
	if (stat(dirname(copy), &st) == 0 && (st.st_mode & S_IWGRP)) {
		b->shared = 1;
		b->share_gid = st.st_gid;
	}
	free(copy);
	b->mode = mode;
	b->dir_missing = stat(b->dir, &st) < 0 || !S_ISDIR(st.st_mode);
	*out = b;
	return 0;
}

void pc_tile_builder_free(pc_tile_builder *b)
{
	if (!b)
		return;
	pc_strlist_clear(&b->bad);
	free(b->dir);
	free(b);
}

/*
 * mkdir -p of the directories of path, below and including b->dir.  One
 * that exists must be a directory, not a symbolic link: whoever can write
 * the log's directory must not make the hook write elsewhere.
 */
static int make_parents(const pc_tile_builder *b, char *path)
{
	size_t base = strlen(b->dir);
	struct stat st;
	char *p;

	for (p = path + base; p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, b->shared ? 02775 : 0755) == 0) {
			/* shared: the directory's group and setgid, for every account of the group */
			if ((b->shared && chown(path, (uid_t)-1, b->share_gid) < 0) ||
			    chmod(path, b->shared ? 02775 : 0755) < 0)
				errno = 0;
		} else if (errno != EEXIST || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			if (errno == EEXIST)
				errno = ENOTDIR;
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int write_tile(const pc_tile_builder *b, const char *rel, const unsigned char (*h)[PC_HASH_LEN],
	unsigned width, pc_error *err)
{
	char *path = NULL, *tmp = NULL;
	int fd = -1, r = PC_EIO;

	if (!(path = pc_asprintf("%s/%s", b->dir, rel)) || !(tmp = pc_asprintf("%s.tmp", path))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if (make_parents(b, path) < 0) {
		r = pc_error_set(err, PC_EIO, "%s: cannot create the tile's directory: %s", path, strerror(errno));
		goto done;
	}
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0 ||
	    fchmod(fd, 0644) < 0 || pc_write_all(fd, h, (size_t)width * PC_HASH_LEN) < 0 ||
	    (!b->nosync && fdatasync(fd) < 0)) {
		r = pc_error_set(err, PC_EIO, "%s: cannot write the tile: %s", tmp, strerror(errno));
		goto done;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = pc_error_set(err, PC_EIO, "%s: cannot rename the tile into place: %s", path, strerror(errno));
		goto done;
	}
	r = 0;
done:
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp)
		unlink(tmp);
	free(path);
	free(tmp);
	return r;
}

static int check_tile(pc_tile_builder *b, const char *rel, unsigned level, uint64_t index,
	const unsigned char (*h)[PC_HASH_LEN], unsigned width)
{
	unsigned char disk[PC_TILE_WIDTH][PC_HASH_LEN];
	int r;

	if (b->dir_missing) {
		b->missing++;
		return 0;
	}
	r = load_tile(disk, b->dir, level, index, width, 0);
	if (r == PC_ENOMEM)
		return r;
	if (r == PC_ENOTFOUND) {
		b->missing++;
		return 0;
	}
	if (r == 0 && !memcmp(disk, h, (size_t)width * PC_HASH_LEN))
		return 0;
	return pc_strlist_add(&b->bad, rel);
}

/* The partial tile of width `old` that a new tile of (level, index) replaces. */
static void drop_partial(const pc_tile_builder *b, unsigned level, uint64_t index, unsigned old, unsigned now)
{
	char rel[PC_TILE_PATH_MAX], *path;

	if (!old || old == now)
		return;
	pc_tile_path(rel, level, index, old);
	if (!(path = pc_asprintf("%s/%s", b->dir, rel)))
		return;
	unlink(path);
	if (now == PC_TILE_WIDTH) {
		/* the tile is full: its .p directory goes too */
		char *slash = strrchr(path, '/');
		*slash = '\0';
		rmdir(path);
	}
	free(path);
}

static int emit(pc_tile_builder *b, unsigned level, pc_error *err)
{
	char rel[PC_TILE_PATH_MAX];
	int r;

	pc_tile_path(rel, level, b->index[level], b->w[level]);
	if (b->mode == PC_TILES_CHECK) {
		if ((r = check_tile(b, rel, level, b->index[level], (const unsigned char (*)[PC_HASH_LEN])b->h[level],
			b->w[level])) < 0)
			return pc_error_set(err, r, "out of memory");
		return 0;
	}
	if ((r = write_tile(b, rel, (const unsigned char (*)[PC_HASH_LEN])b->h[level], b->w[level], err)) < 0)
		return r;
	drop_partial(b, level, b->index[level], b->old_w[level], b->w[level]);
	b->old_w[level] = b->w[level] == PC_TILE_WIDTH ? 0 : b->w[level];
	return 0;
}

static int add_at(pc_tile_builder *b, unsigned level, const unsigned char h[PC_HASH_LEN], pc_error *err)
{
	unsigned char root[PC_HASH_LEN];
	int r;

	if (level >= PC_TILE_LEVELS)
		return pc_error_set(err, PC_ELIMIT, "the tree is too large for its tiles");
	memcpy(b->h[level][b->w[level]++], h, PC_HASH_LEN);
	b->dirty[level] = 1;
	if (b->w[level] < PC_TILE_WIDTH)
		return 0;
	if ((r = emit(b, level, err)) < 0)
		return r;
	if ((r = pc_merkle_root(root, (const unsigned char (*)[PC_HASH_LEN])b->h[level], PC_TILE_WIDTH)) < 0)
		return pc_error_set(err, r, "hashing failed");
	b->w[level] = 0;
	b->dirty[level] = 0;
	b->index[level]++;
	return add_at(b, level + 1, root, err);
}

int pc_tile_builder_add(pc_tile_builder *b, const unsigned char leaf[PC_HASH_LEN], pc_error *err)
{
	return add_at(b, 0, leaf, err);
}

int pc_tile_builder_finish(pc_tile_builder *b, pc_strlist *bad, uint64_t *missing, pc_error *err)
{
	unsigned level;
	size_t i;
	int r;

	for (level = 0; level < PC_TILE_LEVELS; level++)
		if (b->dirty[level] && b->w[level] && (r = emit(b, level, err)) < 0)
			return r;
	if (missing)
		*missing = b->missing;
	for (i = 0; bad && i < b->bad.n; i++)
		if (pc_strlist_add(bad, b->bad.items[i]) < 0)
			return pc_error_set(err, PC_ENOMEM, "out of memory");
	return 0;
}

/*
 * The hashes of edge e (largest subtree first) that a tile level's
 * entries stand for: those of the bits [8L, 8L+8) of e->size.
 */
static int partial_agrees(const pc_merkle_edge *e, unsigned level, const unsigned char (*h)[PC_HASH_LEN],
	unsigned width)
{
	pc_merkle_edge part;
	unsigned first, i, shift = level * PC_TILE_HEIGHT + PC_TILE_HEIGHT;

	first = shift >= 64 ? 0 : (unsigned)__builtin_popcountll(e->size >> shift);
	pc_merkle_edge_init(&part);
	for (i = 0; i < width; i++)
		if (pc_merkle_edge_append(&part, h[i]) < 0)
			return 0;
	if (first + part.n > e->n)
		return 0;
	return !memcmp(part.hash, e->hash[first], (size_t)part.n * PC_HASH_LEN);
}

int pc_tiles_append(const char *log_path, const pc_merkle_edge *old, const unsigned char (*leaves)[PC_HASH_LEN],
	size_t n, int nosync, pc_error *err)
{
	pc_tile_builder *b = NULL;
	unsigned level, width;
	uint64_t e;
	size_t i;
	int r;

	if ((r = pc_tile_builder_new(&b, log_path, PC_TILES_WRITE, err)) < 0)
		return r;
	b->nosync = nosync;
	r = 1;
	/* a log without tiles gets them from `audit tiles --rebuild`, not from a hook */
	if (old->size && b->dir_missing)
		goto done;
	for (level = 0; level < PC_TILE_LEVELS && (e = pc_tile_entries(old->size, level)); level++) {
		b->index[level] = e / PC_TILE_WIDTH;
		if (!(width = (unsigned)(e % PC_TILE_WIDTH)))
			continue;
		/* never extend what this append cannot vouch for: the partial tiles are checked against its edge */
		if (load_tile(b->h[level], b->dir, level, b->index[level], width, 0) < 0 ||
		    !partial_agrees(old, level, (const unsigned char (*)[PC_HASH_LEN])b->h[level], width))
			goto done;
		b->w[level] = b->old_w[level] = width;
	}
	for (i = 0; i < n; i++)
		if ((r = pc_tile_builder_add(b, leaves[i], err)) < 0)
			goto done;
	r = pc_tile_builder_finish(b, NULL, NULL, err);
done:
	pc_tile_builder_free(b);
	return r;
}

/* Reading for proofs */

typedef struct tile_cache {
	const char *dir;
	uint64_t size;
	struct {
		unsigned level, width;
		uint64_t index;
		unsigned char h[PC_TILE_WIDTH][PC_HASH_LEN];
	} *t;
	size_t n, alloc;
} tile_cache;

static int cached_tile(const unsigned char (**out)[PC_HASH_LEN], tile_cache *c, unsigned level, uint64_t index)
{
	unsigned width = pc_tile_width(c->size, level, index);
	size_t i;
	int r;

	if (!width)
		return PC_EINVAL;
	for (i = 0; i < c->n; i++)
		if (c->t[i].level == level && c->t[i].index == index) {
			*out = (const unsigned char (*)[PC_HASH_LEN])c->t[i].h;
			return 0;
		}
	if (pc_grow((void **)&c->t, &c->alloc, c->n + 1, sizeof(*c->t)) < 0)
		return PC_ENOMEM;
	if ((r = load_tile(c->t[c->n].h, c->dir, level, index, width, 0)) < 0)
		return r;
	c->t[c->n].level = level;
	c->t[c->n].index = index;
	c->t[c->n].width = width;
	*out = (const unsigned char (*)[PC_HASH_LEN])c->t[c->n++].h;
	return 0;
}

/* The root of leaves [begin, end) of the tree, from the tiles. */
static int range_hash(unsigned char out[PC_HASH_LEN], tile_cache *c, uint64_t begin, uint64_t end)
{
	const unsigned char (*t)[PC_HASH_LEN];
	unsigned char l[PC_HASH_LEN], r[PC_HASH_LEN];
	uint64_t len = end - begin, k, first;
	unsigned height, level, sub;
	int e;

	if (len == 0 || end > c->size)
		return PC_EINVAL;
	if (!(len & (len - 1)) && !(begin & (len - 1))) {
		/* a perfect subtree: 2^sub entries of one tile of its level */
		height = (unsigned)__builtin_ctzll(len);
		level = height / PC_TILE_HEIGHT;
		sub = height % PC_TILE_HEIGHT;
		first = begin >> (level * PC_TILE_HEIGHT);
		if ((e = cached_tile(&t, c, level, first / PC_TILE_WIDTH)) < 0)
			return e;
		return pc_merkle_root(out, t + first % PC_TILE_WIDTH, (uint64_t)1 << sub);
	}
	k = (uint64_t)1 << (63 - __builtin_clzll(len - 1));
	if ((e = range_hash(l, c, begin, begin + k)) < 0 || (e = range_hash(r, c, begin + k, end)) < 0)
		return e;
	return pc_merkle_node_hash(out, l, r);
}

int pc_tiles_range_hashes(unsigned char (*out)[PC_HASH_LEN], const char *log_path,
	const pc_merkle_range *r, size_t n, uint64_t size)
{
	tile_cache c;
	char *dir;
	size_t i;
	int e = 0;

	if (!(dir = pc_tiles_dir(log_path)))
		return PC_ENOMEM;
	memset(&c, 0, sizeof(c));
	c.dir = dir;
	c.size = size;
	for (i = 0; i < n && e == 0; i++)
		e = range_hash(out[i], &c, r[i].begin, r[i].end);
	free(c.t);
	free(dir);
	return e;
}

/* Rebuild */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int pc_tiles_rebuild(const char *log_path, uint64_t size, pc_error *err)
{
	pc_tile_builder *b = NULL;
	pc_audit_reader *rd = NULL;
	unsigned char leaf[PC_HASH_LEN];
	const char *line;
	char *lock = NULL;
	uint64_t count = 0;
	size_t len;
	int lockfd = -1, complete, r;

	if (!(lock = pc_asprintf("%s.lock", log_path)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	/* under the writers' lock, so that no append extends the tiles meanwhile */
	if ((lockfd = open(lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0 && errno != ENOENT) {
		r = pc_error_set(err, PC_EIO, "%s: cannot open the audit lock: %s", lock, strerror(errno));
		goto done;
	}
	while (lockfd >= 0 && flock(lockfd, LOCK_EX) < 0)
		if (errno != EINTR) {
			r = pc_error_set(err, PC_EIO, "%s: cannot lock: %s", lock, strerror(errno));
			goto done;
		}
	if ((r = pc_audit_reader_open(&rd, log_path, err)) < 0 ||
	    (r = pc_tile_builder_new(&b, log_path, PC_TILES_WRITE, err)) < 0)
		goto done;
	if (!b->dir_missing && nftw(b->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0) {
		r = pc_error_set(err, PC_EIO, "%s: cannot remove the old tiles: %s", b->dir, strerror(errno));
		goto done;
	}
	b->nosync = 1;	/* one sync of each file would cost more than the rebuild; run it again after a crash */
	while (count < size && (r = pc_audit_reader_next(rd, &line, &len, &complete, err)) > 0 && complete) {
		if ((r = pc_merkle_leaf_hash(leaf, line, len)) < 0) {
			r = pc_error_set(err, r, "hashing failed");
			goto done;
		}
		if ((r = pc_tile_builder_add(b, leaf, err)) < 0)
			goto done;
		count++;
	}
	if (r < 0)
		goto done;
	if (count < size) {
		r = pc_error_set(err, PC_EVERIFY, "%s: has %llu records, the checkpoint covers %llu; run "
			"policy-check audit verify", log_path, (unsigned long long)count, (unsigned long long)size);
		goto done;
	}
	if (!count && mkdir(b->dir, b->shared ? 02775 : 0755) < 0 && errno != EEXIST) {
		r = pc_error_set(err, PC_EIO, "%s: cannot create: %s", b->dir, strerror(errno));
		goto done;
	}
	r = pc_tile_builder_finish(b, NULL, NULL, err);
done:
	pc_tile_builder_free(b);
	pc_audit_reader_free(rd);
	if (lockfd >= 0)
		close(lockfd);
	free(lock);
	return r;
}

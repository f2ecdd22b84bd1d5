/*
 * pushers.c: the first-pusher index (see pushers.h for the format).
 *
 * An entry is a fact only because the hook wrote it: its HMAC key comes
 * from the audit key, which the pusher never sees.  Entries are only ever
 * added; a commit's entries are a union (every authenticated entry names a
 * first pusher), so copying or reordering lines cannot free anybody, only
 * deleting them can (doc/SECURITY.md).
 */
#include "config.h"
#include "pushers.h"
#include "buf.h"
#include "note.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define MAC_PREFIX "policy-check pusher v1\n"
#define MAC_HEX (2 * 32)

typedef struct entry {
	git_oid commit;
	const char *user;	/* into the bucket's text */
	size_t user_len;
	const char *mac;	/* MAC_HEX digits */
	unsigned line;
} entry;

typedef struct bucket {
	int loaded;
	char *text;
	entry *entries;
	size_t n;
} bucket;

struct pc_pushers {
	char *dir;		/* $GIT_DIR/policy-check/pushers */
	char *lock;		/* $GIT_DIR/policy-check/pushers.lock */
	char *key_path, *origin;
	pc_share share;		/* of $GIT_DIR: a group-shared repository shares the index */
	int have_key;
	unsigned char key[32];
	bucket buckets[256];
};

int pc_pushers_open(pc_pushers **out, const char *gitdir, const char *key_path,
	const char *origin, pc_error *err)
{
	pc_pushers *px;
	size_t len = strlen(gitdir);

	*out = NULL;
	while (len > 1 && gitdir[len - 1] == '/')
		len--;
	if (!(px = pc_calloc(1, sizeof(*px))) ||
	    !(px->dir = pc_asprintf("%.*s/" PC_PUSHERS_DIR, (int)len, gitdir)) ||
	    !(px->lock = pc_asprintf("%s.lock", px->dir)) ||
	    (key_path && !(px->key_path = pc_strdup(key_path))) ||
	    (origin && !(px->origin = pc_strdup(origin)))) {
		pc_pushers_free(px);
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	pc_share_init(&px->share, gitdir);
	*out = px;
	return 0;
}

void pc_pushers_free(pc_pushers *px)
{
	size_t i;

	if (!px)
		return;
	for (i = 0; i < 256; i++) {
		free(px->buckets[i].text);
		free(px->buckets[i].entries);
	}
	OPENSSL_cleanse(px->key, sizeof(px->key));
	free(px->dir);
	free(px->lock);
	free(px->key_path);
	free(px->origin);
	free(px);
}

static int load_key(pc_pushers *px, pc_error *err)
{
	pc_note_signer *signer = NULL;
	int r;

	if (px->have_key)
		return 0;
	if (!px->key_path || !*px->key_path || !px->origin || !*px->origin)
		return pc_error_set(err, PC_EINVAL,
			"the first-pusher index %s is authenticated with the audit key: "
			"the policy must set audit.key and audit.origin", px->dir);
	if ((r = pc_note_signer_load(&signer, px->key_path, px->origin, err)) < 0)
		return pc_error_prefix(err, "first-pusher index");
	r = pc_note_signer_derive(px->key, signer, PC_PUSHERS_KEY_LABEL, err);
	pc_note_signer_free(signer);
	if (r == 0)
		px->have_key = 1;
	return r;
}

/* The hex HMAC of one entry ("<commit hex> <user>"). */
static int entry_mac(char out[MAC_HEX + 1], const pc_pushers *px, const char *body, size_t len)
{
	return pc_hmac_hex(out, px->key, MAC_PREFIX, body, len);
}

static int hexdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * One line "<commit hex> <user> <mac hex>" (without newline) into e; 0
 * when it does not have that shape (a torn or damaged line: its commit
 * cannot be known, so it names nobody).
 */
static int parse_line(entry *e, const char *p, size_t len)
{
	const char *user, *sp;
	size_t i;

	if (len < GIT_OID_HEXSZ + 1 + 1 + 1 + MAC_HEX || p[GIT_OID_HEXSZ] != ' ')
		return 0;
	for (i = 0; i < GIT_OID_HEXSZ; i++)
		if (!hexdigit(p[i]))
			return 0;
	if (git_oid_fromstrn(&e->commit, p, GIT_OID_HEXSZ) < 0) {
		git_error_clear();
		return 0;
	}
	user = p + GIT_OID_HEXSZ + 1;
	sp = p + len - MAC_HEX - 1;
	if (*sp != ' ' || sp <= user || memchr(user, ' ', (size_t)(sp - user)))
		return 0;
	e->user = user;
	e->user_len = (size_t)(sp - user);
	e->mac = sp + 1;
	return 1;
}

static int entry_cmp(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	int c = git_oid_cmp(&x->commit, &y->commit);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int load_bucket(pc_pushers *px, unsigned byte, pc_error *err)
{
	bucket *b = &px->buckets[byte];
	pc_error e = PC_ERROR_INIT;
	char *path = NULL;
	const char *p, *end, *eol;
	size_t len = 0, alloc = 0;
	unsigned line = 0;
	int r;

	if (b->loaded)
		return 0;
	if (!(path = pc_asprintf("%s/%02x", px->dir, byte)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	r = pc_read_file(&b->text, &len, path, PC_PUSHERS_BUCKET_MAX, &e);
	if (r == PC_ENOTFOUND) {
		/* no entry in this file yet: not an error */
		b->loaded = 1;
		r = 0;
		goto done;
	}
	if (r == PC_ELIMIT) {
		r = pc_error_set(err, PC_ELIMIT, "%s: first-pusher index file over %u MiB; see doc/SECURITY.md",
			path, PC_PUSHERS_BUCKET_MAX >> 20);
		goto done;
	}
	if (r < 0) {
		r = pc_error_set(err, r, "first-pusher index: %s", e.msg);
		goto done;
	}
	for (p = b->text, end = b->text + len; p < end; p = eol + 1) {
		entry ent;

		/* A final line without its newline is an append still being written, or torn. */
		if (!(eol = memchr(p, '\n', (size_t)(end - p))))
			break;
		line++;
		memset(&ent, 0, sizeof(ent));
		if (!parse_line(&ent, p, (size_t)(eol - p)))
			continue;
		ent.line = line;
		if (pc_grow((void **)&b->entries, &alloc, b->n + 1, sizeof(*b->entries)) < 0) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		b->entries[b->n++] = ent;
	}
	if (b->n)
		qsort(b->entries, b->n, sizeof(*b->entries), entry_cmp);
	b->loaded = 1;
	r = 0;
done:
	free(path);
	return r;
}

int pc_pushers_lookup(pc_pushers *px, const git_oid *commit, pc_strlist *users,
	pc_strlist *bad, pc_error *err)
{
	unsigned byte = commit->id[0];
	bucket *b = &px->buckets[byte];
	char mac[MAC_HEX + 1], *name = NULL, *where = NULL;
	size_t lo = 0, hi, i;
	int r;

	if ((r = load_bucket(px, byte, err)) < 0)
		return r;
	hi = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (git_oid_cmp(&b->entries[mid].commit, commit) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < b->n && git_oid_equal(&b->entries[lo].commit, commit) && (r = load_key(px, err)) < 0)
		return r;
	for (i = lo; i < b->n && git_oid_equal(&b->entries[i].commit, commit); i++) {
		const entry *e = &b->entries[i];
		const char *body = e->user - GIT_OID_HEXSZ - 1;	/* the line: "<commit hex> <user>" */

		if (entry_mac(mac, px, body, GIT_OID_HEXSZ + 1 + e->user_len) < 0)
			return pc_error_set(err, PC_ENOMEM, "cannot compute an HMAC");
		if (CRYPTO_memcmp(mac, e->mac, MAC_HEX)) {
			if (!(where = pc_asprintf(PC_PUSHERS_DIR "/%02x line %u", byte, e->line)) ||
			    pc_strlist_add(bad, where) < 0)
				goto nomem;
			free(where);
			where = NULL;
			continue;
		}
		if (!(name = pc_strndup(e->user, e->user_len)))
			goto nomem;
		if (!pc_strlist_has(users, name) && pc_strlist_add(users, name) < 0)
			goto nomem;
		free(name);
		name = NULL;
	}
	return 0;
nomem:
	free(name);
	free(where);
	return pc_error_set(err, PC_ENOMEM, "out of memory");
}

static int sys_error(pc_error *err, const char *path, const char *what)
{
	int e = errno;

	if (e == EACCES || e == EPERM)
		return pc_error_set(err, PC_EIO, "%s: %s: permission denied: fix owner or mode of %s (every "
			"account that pushes must be able to write it: in a repository shared by a group, "
			"group-writable; see doc/SECURITY.md)", path, what, path);
	return pc_error_set(err, PC_EIO, "%s: %s: %s", path, what, strerror(e));
}

static int sync_dir(const char *dir, pc_error *err)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return sys_error(err, dir, "cannot open the directory to sync it");
	if (fsync(fd) < 0 && errno != EINVAL)
		r = sys_error(err, dir, "fsync of the directory failed");
	close(fd);
	return r;
}

static int make_dirs(pc_pushers *px, pc_error *err)
{
	char *parent = NULL, *slash;
	int r = 0;

	if (!(parent = pc_strdup(px->dir)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	slash = strrchr(parent, '/');
	*slash = '\0';
	if (pc_mkdir_shared(parent, &px->share, 0755) < 0)
		r = sys_error(err, parent, "cannot create the directory of the first-pusher index");
	else if (pc_mkdir_shared(px->dir, &px->share, 0755) < 0)
		r = sys_error(err, px->dir, "cannot create the first-pusher index");
	free(parent);
	return r;
}

/* Append the lines of one bucket with one write, after repairing a torn tail. */
static int append_bucket(pc_pushers *px, unsigned byte, pc_buf *lines, int *created, pc_error *err)
{
	char *path = NULL, last = '\n';
	struct stat st;
	int fd = -1, r = PC_ERROR;

	if (!(path = pc_asprintf("%s/%02x", px->dir, byte)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	if ((fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC)) < 0 && errno == ENOENT) {
		fd = pc_open_shared(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, &px->share, 0644);
		*created = 1;
	}
	if (fd < 0) {
		r = sys_error(err, path, "cannot open the first-pusher index");
		goto done;
	}
	if (fstat(fd, &st) < 0) {
		r = sys_error(err, path, "cannot stat the first-pusher index");
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		r = pc_error_set(err, PC_EIO, "%s: the first-pusher index is not a regular file; "
			"an administrator should move it aside", path);
		goto done;
	}
	/* The lines before a torn tail stay; the fragment becomes a line of its own that names nobody. */
	if (st.st_size > 0 && (pread(fd, &last, 1, st.st_size - 1) != 1)) {
		r = sys_error(err, path, "cannot read the first-pusher index");
		goto done;
	}
	if ((last != '\n' && pc_write_all(fd, "\n", 1) < 0) || pc_write_all(fd, lines->ptr, lines->len) < 0) {
		r = sys_error(err, path, "cannot append to the first-pusher index");
		goto done;
	}
	if (fdatasync(fd) < 0) {
		r = sys_error(err, path, "fdatasync of the first-pusher index failed");
		goto done;
	}
	r = 0;
done:
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

int pc_pushers_record(pc_pushers *px, const char *user, const git_oid *ids, size_t n,
	pc_error *err)
{
	git_oid *sorted = NULL;
	pc_buf lines = PC_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], mac[MAC_HEX + 1];
	size_t i, start, body;
	int lockfd = -1, created = 0, r;

	if (!n)
		return 0;
	for (i = 0; user[i]; i++)
		if ((unsigned char)user[i] <= ' ' || user[i] == 0x7f)
			return pc_error_set(err, PC_EINVAL, "cannot record pusher '%s' in the first-pusher index: "
				"a user name has no spaces or control characters", user);
	if (!i)
		return pc_error_set(err, PC_EINVAL, "cannot record an unnamed pusher in the first-pusher index");
	if ((r = load_key(px, err)) < 0)
		return r;
	if (!(sorted = pc_calloc(n, sizeof(*sorted))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	memcpy(sorted, ids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), oid_cmp);
	if ((r = make_dirs(px, err)) < 0)
		goto done;
	if ((lockfd = pc_open_shared(px->lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, &px->share, 0644)) < 0) {
		r = sys_error(err, px->lock, "cannot open the lock of the first-pusher index");
		goto done;
	}
	while (flock(lockfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			r = sys_error(err, px->lock, "cannot lock the first-pusher index");
			goto done;
		}
	}
	for (start = 0; start < n;) {
		pc_buf_clear(&lines);
		for (i = start; i < n && sorted[i].id[0] == sorted[start].id[0]; i++) {
			if (i > start && git_oid_equal(&sorted[i], &sorted[i - 1]))
				continue;
			git_oid_tostr(hex, sizeof(hex), &sorted[i]);
			body = lines.len;
			pc_buf_printf(&lines, "%s %s", hex, user);
			if (pc_buf_error(&lines)) {
				r = pc_error_set(err, PC_ENOMEM, "out of memory");
				goto done;
			}
			if (entry_mac(mac, px, lines.ptr + body, lines.len - body) < 0) {
				r = pc_error_set(err, PC_ENOMEM, "cannot compute an HMAC");
				goto done;
			}
			pc_buf_printf(&lines, " %s\n", mac);
		}
		if (pc_buf_error(&lines)) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		if ((r = append_bucket(px, sorted[start].id[0], &lines, &created, err)) < 0)
			goto done;
		start = i;
	}
	if (created && (r = sync_dir(px->dir, err)) < 0)
		goto done;
	r = 0;
done:
	if (lockfd >= 0)
		close(lockfd);	/* releases the lock */
	pc_buf_release(&lines);
	free(sorted);
	return r;
}

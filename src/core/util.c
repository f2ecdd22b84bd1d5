/*
 * util.c: small helpers used across modules.
 */
#include "config.h"
#include "util.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int pc_error_set(pc_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

int pc_error_prefix(pc_error *err, const char *fmt, ...)
{
	char prefix[PC_ERROR_MAX], old[PC_ERROR_MAX];
	va_list ap;

	if (!err)
		return PC_ERROR;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return err->code ? err->code : PC_ERROR;
}

void pc_error_clear(pc_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

#ifdef PC_FAULT_INJECTION
/*
 * Tests that sweep a fault over n = 1, 2, ... must know when the n-th call
 * no longer happens: with PC_FAULT_LOG=FILE each injected fault appends
 * "point:n" to FILE.
 */
static void fault_log(const char *point, unsigned long n)
{
	const char *path = getenv("PC_FAULT_LOG");
	char line[64];
	int fd, len;

	if (!path || !*path)
		return;
	len = snprintf(line, sizeof(line), "%s:%lu\n", point, n);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return;
	if (write(fd, line, (size_t)len) != len)
		fprintf(stderr, "policy-check: cannot write PC_FAULT_LOG %s\n", path);
	close(fd);
}

int pc_fault(const char *point)
{
	static unsigned long counts[8];
	static const char *names[] = { "malloc", "write", "fsync", "rename", "lock", "open", "truncate", "read" };
	const char *spec = getenv("PC_FAULT"), *colon;
	size_t i, len;
	unsigned long want = 1;

	if (!spec || !*spec)
		return 0;
	colon = strchr(spec, ':');
	len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (strlen(point) != len || strncmp(spec, point, len))
		return 0;
	if (colon)
		want = strtoul(colon + 1, NULL, 10);
	for (i = 0; i < PC_ARRAY_SIZE(names); i++)
		if (!strcmp(names[i], point)) {
			if (++counts[i] != want)
				return 0;
			fault_log(point, want);
			/* as the real failure would, so messages do not say "Success" */
			errno = strcmp(point, "malloc") ? EIO : ENOMEM;
			return 1;
		}
	return 0;
}
#else
int pc_fault(const char *point)
{
	(void)point;
	return 0;
}
#endif

void *pc_malloc(size_t n)
{
	if (pc_fault("malloc"))
		return NULL;
	return malloc(n ? n : 1);
}

void *pc_calloc(size_t n, size_t size)
{
	if (pc_fault("malloc"))
		return NULL;
	return calloc(n ? n : 1, size ? size : 1);
}

void *pc_realloc(void *p, size_t n)
{
	if (pc_fault("malloc"))
		return NULL;
	return realloc(p, n ? n : 1);
}

int pc_grow(void **arr, size_t *alloc, size_t need, size_t size)
{
	size_t n;
	void *p;

	if (need <= *alloc)
		return 0;
	n = *alloc ? *alloc : 8;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			return PC_ENOMEM;
		n *= 2;
	}
	p = pc_realloc(*arr, n * size);
	if (!p)
		return PC_ENOMEM;
	memset((char *)p + *alloc * size, 0, (n - *alloc) * size);
	*arr = p;
	*alloc = n;
	return 0;
}

char *pc_strdup(const char *s)
{
	return s ? pc_strndup(s, strlen(s)) : NULL;
}

char *pc_strndup(const char *s, size_t n)
{
	char *p = pc_malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *pc_asprintf(const char *fmt, ...)
{
	pc_buf b = PC_BUF_INIT;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pc_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (r < 0) {
		pc_buf_release(&b);
		return NULL;
	}
	return pc_buf_detach(&b);
}

int pc_strlist_add(pc_strlist *l, const char *s)
{
	char *dup;

	if (pc_grow((void **)&l->items, &l->alloc, l->n + 1, sizeof(char *)) < 0)
		return PC_ENOMEM;
	if (!(dup = pc_strdup(s)))
		return PC_ENOMEM;
	l->items[l->n++] = dup;
	return 0;
}

int pc_strlist_has(const pc_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return 1;
	return 0;
}

void pc_strlist_clear(pc_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->alloc = 0;
}

int pc_read_file(char **out, size_t *len, const char *path, size_t limit, pc_error *err)
{
	struct stat st;
	pc_buf b = PC_BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd, r = PC_EIO;

	*out = NULL;
	if (len)
		*len = 0;
	if (pc_fault("open")) {
		errno = EIO;
		fd = -1;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return pc_error_set(err, errno == ENOENT ? PC_ENOTFOUND : PC_EIO,
			"%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = pc_error_set(err, PC_EINVAL, "%s: not a regular file", path);
		goto done;
	}
	if (limit && (uint64_t)st.st_size > limit) {
		r = pc_error_set(err, PC_ELIMIT, "%s: file is %lld bytes, over the limit of %zu bytes",
			path, (long long)st.st_size, limit);
		goto done;
	}
	pc_buf_init(&b, limit);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = pc_error_set(err, PC_EIO, "%s: read failed: %s", path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if ((r = pc_buf_put(&b, chunk, (size_t)n)) < 0) {
			r = pc_error_set(err, r, r == PC_ELIMIT ?
				"%s: file is over the limit of %zu bytes" : "%s: out of memory (%zu)",
				path, limit);
			goto done;
		}
	}
	if (len)
		*len = b.len;
	*out = pc_buf_detach(&b);
	r = *out ? 0 : pc_error_set(err, PC_ENOMEM, "%s: out of memory", path);
done:
	pc_buf_release(&b);
	close(fd);
	return r;
}

int pc_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * PC_EUNSAFE when others may replace what is in the directory of `file`:
 * a directory writable by others, or by group unless PC_SAFE_GROUP_WRITE
 * (whoever may write the directory may replace a file they cannot write).
 * The sticky bit keeps them from replacing a file they do not own.
 */
static int check_safe_dir(const char *path, const char *file, unsigned flags, pc_error *err)
{
	struct stat st;
	char *copy, *dir;
	int r = 0, sticky;

	if (!(copy = pc_strdup(file)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	dir = dirname(copy);
	if (stat(dir, &st) == 0) {
		sticky = (st.st_mode & S_ISVTX) != 0;
		if ((st.st_mode & S_IWOTH) && (!sticky || (flags & PC_SAFE_NO_STICKY_DIR)))
			r = pc_error_set(err, PC_EUNSAFE,
				"%s: refusing a file in a world-writable directory (%s); run chmod o-w %s, "
				"or move the file to a directory only its owner can write", path, dir, dir);
		else if ((st.st_mode & S_IWGRP) && !sticky && !(flags & PC_SAFE_GROUP_WRITE))
			r = pc_error_set(err, PC_EUNSAFE,
				"%s: refusing a file in a directory writable by group (%s); run chmod g-w %s, "
				"or move the file to a directory only its owner can write", path, dir, dir);
	}
	free(copy);
	return r;
}

int pc_check_safe_path(const char *path, unsigned flags, pc_error *err)
{
	struct stat st;
	char *target = NULL;
	mode_t unsafe = (flags & PC_SAFE_GROUP_WRITE) ? S_IWOTH : (S_IWGRP | S_IWOTH);
	int r;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT && (flags & PC_SAFE_MISSING_OK))
			return check_safe_dir(path, path, flags, err);
		return pc_error_set(err, errno == ENOENT ? PC_ENOTFOUND : PC_EIO,
			"%s: %s", path, strerror(errno));
	}
	if (S_ISLNK(st.st_mode)) {
		if (flags & PC_SAFE_NO_SYMLINK)
			return pc_error_set(err, PC_EUNSAFE,
				"%s: refusing a symbolic link: whoever can change the link or its target "
				"changes the file; point the configuration at the real file", path);
		if (stat(path, &st) < 0 || !(target = realpath(path, NULL)))
			return pc_error_set(err, PC_EIO, "%s: %s", path, strerror(errno));
	}
	if (st.st_mode & unsafe)
		r = pc_error_set(err, PC_EUNSAFE,
			"%s: refusing a file writable by %s (mode %04o); run chmod %s %s",
			path, (st.st_mode & unsafe & S_IWGRP) ? "group or others" : "others",
			(unsigned)(st.st_mode & 07777), (flags & PC_SAFE_GROUP_WRITE) ? "o-w" : "go-w",
			target ? target : path);
	/* Whoever may replace the link, or the file it points to, controls the file. */
	else if ((r = check_safe_dir(path, path, flags, err)) == 0 && target)
		r = check_safe_dir(path, target, flags, err);
	free(target);
	return r;
}

void pc_hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pc_unhex(unsigned char *out, const char *hex, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = hexval(hex[2 * i])) < 0 || (lo = hexval(hex[2 * i + 1])) < 0)
			return PC_EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *pc_base64_encode(const unsigned char *in, size_t n)
{
	size_t i, o = 0;
	char *out;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	if (!(out = pc_malloc((n + 2) / 3 * 4 + 1)))
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

static int b64val(int c)
{
	const char *p;

	if (!c)
		return -1;
	p = strchr(b64, c);
	return p ? (int)(p - b64) : -1;
}

int pc_base64_decode(unsigned char **out, size_t *outlen, const char *in, size_t inlen)
{
	unsigned char *buf;
	size_t i, o = 0, pad = 0;
	uint32_t acc = 0;
	int v, bits = 0;

	*out = NULL;
	*outlen = 0;
	if (inlen % 4)
		return PC_EINVAL;
	if (!(buf = pc_malloc(inlen / 4 * 3 + 1)))
		return PC_ENOMEM;
	for (i = 0; i < inlen; i++) {
		if (in[i] == '=') {
			if (i + 2 < inlen || (i + 1 < inlen && in[i + 1] != '='))
				goto bad;
			pad++;
			continue;
		}
		if (pad || (v = b64val((unsigned char)in[i])) < 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Unused low bits must be zero (canonical encoding). */
	if (pad > 2 || (acc & ((1u << bits) - 1)))
		goto bad;
	*out = buf;
	*outlen = o;
	return 0;
bad:
	free(buf);
	return PC_EINVAL;
}

void pc_time_rfc3339(char out[32])
{
	struct timeval tv;
	struct tm tm;

	char date[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03uZ", date, (unsigned)(tv.tv_usec / 1000) % 1000);
}

void pc_share_init(pc_share *s, const char *dir)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_IWGRP)) {
		s->shared = 1;
		s->gid = st.st_gid;
	}
}

void pc_share_file(int fd, const pc_share *s, mode_t alone)
{
	struct stat st;
	mode_t mode;

	if (fstat(fd, &st) < 0 || st.st_uid != geteuid())
		return;
	/* fails when this account is not in the directory's group: then the file keeps its own */
	if (s->shared && st.st_gid != s->gid && fchown(fd, (uid_t)-1, s->gid) < 0)
		errno = 0;
	mode = S_ISDIR(st.st_mode) ? (s->shared ? 02770 : alone) : (s->shared ? 0660 : alone);
	if (fchmod(fd, mode) < 0)
		errno = 0;
}

int pc_open_shared(const char *path, int flags, const pc_share *s, mode_t alone)
{
	int fd;

	for (;;) {
		if ((fd = open(path, flags & ~O_CREAT)) >= 0 || errno != ENOENT || !(flags & O_CREAT))
			return fd;
		if ((fd = open(path, flags | O_EXCL, alone)) >= 0) {
			pc_share_file(fd, s, alone);
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
}

int pc_mkdir_shared(const char *path, const pc_share *s, mode_t alone)
{
	int fd, e;

	if (mkdir(path, alone) < 0)
		return errno == EEXIST ? 0 : -1;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		e = errno;
		pc_share_file(fd, s, alone);
		close(fd);
		errno = e;
	}
	return 0;
}

int pc_run_capture(char **out, size_t *len, char *const argv[], size_t limit, pc_error *err)
{
	posix_spawn_file_actions_t fa;
	pc_buf b = PC_BUF_INIT;
	char chunk[4096];
	int fds[2] = { -1, -1 }, status, r, e;
	pid_t pid = -1;
	ssize_t n;

	*out = NULL;
	*len = 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return pc_error_set(err, PC_EIO, "cannot run %s: %s", argv[0], strerror(errno));
	if ((e = posix_spawn_file_actions_init(&fa)) != 0) {
		close(fds[0]);
		close(fds[1]);
		return pc_error_set(err, PC_ENOMEM, "cannot run %s: %s", argv[0], strerror(e));
	}
	if ((e = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) == 0 &&
	    (e = posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO)) == 0)
		e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (e != 0) {
		close(fds[0]);
		return pc_error_set(err, PC_EIO, "cannot run %s: %s", argv[0], strerror(e));
	}
	pc_buf_init(&b, limit);
	r = 0;
	for (;;) {
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = pc_error_set(err, PC_EIO, "cannot read what %s printed: %s", argv[0], strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (!r && pc_buf_put(&b, chunk, (size_t)n) < 0)
			r = pc_error_set(err, PC_ELIMIT, "%s printed more than %zu bytes", argv[0], limit);
		if (r) {
			kill(pid, SIGTERM);
			break;
		}
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			if (!r)
				r = pc_error_set(err, PC_EIO, "cannot wait for %s: %s", argv[0], strerror(errno));
			break;
		}
	if (!r && !WIFEXITED(status))
		r = pc_error_set(err, PC_EIO, "%s was killed by signal %d", argv[0],
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (r) {
		pc_buf_release(&b);
		return r;
	}
	*len = b.len;
	if (!(*out = pc_buf_detach(&b)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	return WEXITSTATUS(status);
}

/*
 * util.h: allocation, string lists, file reading with limits, fault injection.
 */
#ifndef PC_UTIL_H
#define PC_UTIL_H

#include "common.h"
#include "glob.h"	/* the glob matcher every layer uses */
#include <stdio.h>
#include <sys/types.h>

/* Allocators that return NULL on failure (and honour fault injection). */
void *pc_malloc(size_t n);
void *pc_calloc(size_t n, size_t size);
void *pc_realloc(void *p, size_t n);
/* Grow *arr (of *alloc elements of size `size`) so it holds at least `need`. */
int pc_grow(void **arr, size_t *alloc, size_t need, size_t size);
char *pc_strdup(const char *s);
char *pc_strndup(const char *s, size_t n);
char *pc_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable list of owned strings. */
typedef struct pc_strlist {
	char **items;
	size_t n, alloc;
} pc_strlist;
#define PC_STRLIST_INIT { NULL, 0, 0 }
int pc_strlist_add(pc_strlist *l, const char *s);
int pc_strlist_has(const pc_strlist *l, const char *s);
void pc_strlist_clear(pc_strlist *l);

/*
 * Read a whole file, refusing more than `limit` bytes.  The result is
 * NUL-terminated (the NUL is not counted in *len).  Errors name the file.
 */
int pc_read_file(char **out, size_t *len, const char *path, size_t limit, pc_error *err);

/* Write all len bytes, after short writes and EINTR; -1 with errno set on failure. */
int pc_write_all(int fd, const void *buf, size_t len);

/*
 * Run argv (argv[0] looked up in PATH) with stdin from /dev/null and its
 * stderr ours, and read what it prints on stdout, at most `limit` bytes
 * (NUL-terminated, the NUL not counted in *len).  Returns its exit code
 * (0..255, *out set even when not 0), or a negative PC_E* code when it
 * cannot run, is killed, or prints more than `limit`.
 */
int pc_run_capture(char **out, size_t *len, char *const argv[], size_t limit, pc_error *err);

/*
 * Refuse a configuration or key file that others could have changed
 * (PC_EUNSAFE, with the command that fixes it): a file writable by group
 * or others, or in a directory writable by group or others without the
 * sticky bit (for a symbolic link: the directory of the link and of its
 * target).  Flags:
 */
#define PC_SAFE_NO_SYMLINK	0x1u	/* refuse a symbolic link */
#define PC_SAFE_GROUP_WRITE	0x2u	/* allow a group-writable file and directory */
#define PC_SAFE_NO_STICKY_DIR	0x4u	/* refuse any world-writable directory, even a sticky one */
#define PC_SAFE_MISSING_OK	0x8u	/* a missing file is fine: check its directory only */
int pc_check_safe_path(const char *path, unsigned flags, pc_error *err);

/*
 * Files that several server accounts of one group write (the audit log and
 * its lock, the first-pusher index): in a group-writable directory a new
 * file takes the directory's group and mode 0660 (a new directory 02770)
 * whatever the creator's umask, so that every account of the group can
 * write it after the other; elsewhere it gets mode `alone`.  Best effort: a
 * file another account cannot write is reported by that account.
 */
typedef struct pc_share {
	int shared;	/* the directory is group-writable */
	gid_t gid;	/* its group */
} pc_share;
void pc_share_init(pc_share *s, const char *dir);
/* Give fd, just created by this process, the group and mode described above. */
void pc_share_file(int fd, const pc_share *s, mode_t alone);
/* open(2); with O_CREAT in flags a file it creates is shared as above. */
int pc_open_shared(const char *path, int flags, const pc_share *s, mode_t alone);
/* mkdir(2) (EEXIST is success); a directory it creates is shared as above. */
int pc_mkdir_shared(const char *path, const pc_share *s, mode_t alone);

/* Hex encode n bytes into out (2n+1 bytes). */
void pc_hex(char *out, const unsigned char *in, size_t n);
int pc_unhex(unsigned char *out, const char *hex, size_t n);

/* Base64 (standard alphabet, padded).  Decode rejects bad characters. */
char *pc_base64_encode(const unsigned char *in, size_t n);
int pc_base64_decode(unsigned char **out, size_t *outlen, const char *in, size_t inlen);


/* Current time as RFC 3339 UTC with milliseconds. */
void pc_time_rfc3339(char out[32]);

/*
 * Fault injection (only with --enable-fault-injection): PC_FAULT="name[:n]"
 * makes the n-th (default 1st) call of that point fail.  Points: malloc,
 * write, fsync, rename, lock, open, truncate, read.  Returns 1 when this
 * call must fail.  With PC_FAULT_LOG=FILE, each fault injected appends
 * "point:n" to FILE, so a test knows whether the n-th call happened.
 */
int pc_fault(const char *point);

#endif

/*
 * sshreader-int.h: reading the SSH wire encoding with messages that name
 * what is wrong, shared by sshkey.c and sshsig.c.  Internal to the crypto
 * layer's SSH files.
 */
#ifndef PC_SSHREADER_INT_H
#define PC_SSHREADER_INT_H

#include "sshreader.h"

#include <string.h>

/*
 * The reader's calls, with a pc_error on failure that says where: `what`
 * is the thing being read ("public key", "signature") and `field` the part
 * of it ("curve name").  Every failure is PC_EINVAL.
 */
int pc_sshreader_get_string(pc_sshreader *rd, const unsigned char **p, size_t *n,
	const char *what, const char *field, pc_error *err);
int pc_sshreader_get_name(pc_sshreader *rd, const unsigned char **p, size_t *n,
	const char *what, const char *field, pc_error *err);
int pc_sshreader_get_mpint(pc_sshreader *rd, const unsigned char **p, size_t *n,
	const char *what, const char *field, pc_error *err);
/* The message for a reader's failure `code` (PC_ETRUNCATED or not) in `field`. */
int pc_sshreader_failed(pc_error *err, int code, const char *what, const char *field);

/* `data` in `out` for a message: printable ASCII, the rest escaped, cut short. */
const char *pc_sshreader_shown(char *out, size_t size, const void *data, size_t n);

/* 1 when the n bytes at p are exactly the string s. */
static inline int pc_sshreader_span_is(const unsigned char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

#endif

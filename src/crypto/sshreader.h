/*
 * sshreader.h: a bounds-checked reader of the SSH wire encoding, the one
 * that every SSH key and signature is parsed with.
 */
#ifndef PC_SSHREADER_H
#define PC_SSHREADER_H

#include "common.h"

#include <stddef.h>
#include <stdint.h>

/*
 * A bounds-checked reader over untrusted bytes in the SSH wire encoding
 * (RFC 4251 section 5).  Each call checks the length it is about to read
 * against what remains and fails with PC_ETRUNCATED before reading past
 * the end; nothing is consumed on failure.  Returned pointers point into
 * the reader's span (no copies).
 */
typedef struct pc_sshreader {
	const unsigned char *p;
	size_t len;		/* bytes left */
} pc_sshreader;

void pc_sshreader_init(pc_sshreader *r, const void *data, size_t len);
int pc_sshreader_bytes(pc_sshreader *r, const unsigned char **out, size_t n);
int pc_sshreader_u32(pc_sshreader *r, uint32_t *out);
/* uint32 length + bytes. */
int pc_sshreader_string(pc_sshreader *r, const unsigned char **out, size_t *len);
/*
 * A string used as a name (key type, namespace, algorithm): PC_EINVAL when
 * it contains a NUL byte, so that C string comparisons see all of it.
 */
int pc_sshreader_name(pc_sshreader *r, const unsigned char **out, size_t *len);
/*
 * A non-negative mpint in its minimal encoding: PC_EINVAL for a negative
 * or non-minimal one.  out and len give the magnitude without the sign byte
 * (len 0 for zero).
 */
int pc_sshreader_mpint(pc_sshreader *r, const unsigned char **out, size_t *len);
/* PC_EINVAL when bytes are left over. */
int pc_sshreader_end(const pc_sshreader *r);

#endif

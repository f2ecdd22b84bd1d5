/*
 * sshwire.h: the SSH wire encoding (RFC 4251 section 5) written by the
 * tests, to build keys, SSHSIG blobs and the data they sign.  Written apart
 * from src/crypto on purpose, so that the tests do not check the library
 * against its own encoder.  Errors stay in the pc_buf (pc_buf_error).
 */
#ifndef PC_TEST_SSHWIRE_H
#define PC_TEST_SSHWIRE_H

#include "buf.h"

#include <stdint.h>
#include <string.h>

static inline void put_u32(pc_buf *b, uint32_t v)
{
	unsigned char d[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
		(unsigned char)(v >> 8), (unsigned char)v };

	pc_buf_put(b, d, 4);
}

/* uint32 length + bytes. */
static inline void put_string(pc_buf *b, const void *p, size_t n)
{
	put_u32(b, (uint32_t)n);
	pc_buf_put(b, p, n);
}

static inline void put_cstring(pc_buf *b, const char *s)
{
	put_string(b, s, strlen(s));
}

#endif

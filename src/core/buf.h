/*
 * buf.h: a growable byte buffer with a hard size limit.
 *
 * Invariants (as git's strbuf): `ptr` is never NULL and always
 * NUL-terminated; PC_BUF_INIT needs no allocation.  A buffer created with a
 * limit refuses to grow past it, so untrusted input never grows memory
 * without bound.  pc_buf_release frees and re-initialises; pc_buf_detach
 * hands the memory to the caller.
 */
#ifndef PC_BUF_H
#define PC_BUF_H

#include "common.h"

typedef struct pc_buf {
	char *ptr;
	size_t len, alloc;
	size_t limit;		/* 0 = no limit */
	int failed;		/* sticky: an append failed (ENOMEM or limit) */
} pc_buf;

extern char pc_buf__empty[];
#define PC_BUF_INIT { pc_buf__empty, 0, 0, 0, 0 }

void pc_buf_init(pc_buf *b, size_t limit);
int pc_buf_grow(pc_buf *b, size_t extra);
int pc_buf_put(pc_buf *b, const void *data, size_t len);
int pc_buf_puts(pc_buf *b, const char *s);
int pc_buf_putc(pc_buf *b, char c);
int pc_buf_printf(pc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pc_buf_vprintf(pc_buf *b, const char *fmt, va_list ap);
void pc_buf_truncate(pc_buf *b, size_t len);
void pc_buf_clear(pc_buf *b);	/* len = 0, keep memory */
void pc_buf_release(pc_buf *b);	/* free, back to PC_BUF_INIT (limit kept) */
char *pc_buf_detach(pc_buf *b);	/* caller frees; never NULL unless ENOMEM */
/* PC_ENOMEM or PC_ELIMIT if any append failed since init, else 0. */
int pc_buf_error(const pc_buf *b);

#endif

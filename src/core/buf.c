/*
 * buf.c: bounded growable buffer.
 */
#include "buf.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char pc_buf__empty[1];

void pc_buf_init(pc_buf *b, size_t limit)
{
	b->ptr = pc_buf__empty;
	b->len = b->alloc = 0;
	b->limit = limit;
	b->failed = 0;
}

int pc_buf_grow(pc_buf *b, size_t extra)
{
	size_t need, alloc;
	char *p;

	if (b->failed)
		return b->failed;
	if (extra > SIZE_MAX - b->len - 1)
		return b->failed = PC_ENOMEM;
	need = b->len + extra + 1;
	if (b->limit && need - 1 > b->limit)
		return b->failed = PC_ELIMIT;
	if (need <= b->alloc)
		return 0;
	alloc = b->alloc ? b->alloc : 64;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
	if (b->limit && alloc > b->limit + 1)
		alloc = b->limit + 1;
	p = pc_realloc(b->alloc ? b->ptr : NULL, alloc);
	if (!p)
		return b->failed = PC_ENOMEM;
	if (!b->alloc)
		p[0] = '\0';
	b->ptr = p;
	b->alloc = alloc;
	return 0;
}

int pc_buf_put(pc_buf *b, const void *data, size_t len)
{
	int r;

	if (len == 0)
		return b->failed;
	if ((r = pc_buf_grow(b, len)) < 0)
		return r;
	memmove(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int pc_buf_puts(pc_buf *b, const char *s)
{
	return pc_buf_put(b, s, strlen(s));
}

int pc_buf_putc(pc_buf *b, char c)
{
	return pc_buf_put(b, &c, 1);
}

int pc_buf_vprintf(pc_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, r;

	if (b->failed)
		return b->failed;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return b->failed = PC_EINVAL;
	if ((r = pc_buf_grow(b, (size_t)n)) < 0)
		return r;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int pc_buf_printf(pc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pc_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

void pc_buf_truncate(pc_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

void pc_buf_clear(pc_buf *b)
{
	pc_buf_truncate(b, 0);
	b->failed = 0;
}

void pc_buf_release(pc_buf *b)
{
	size_t limit = b->limit;

	if (b->alloc)
		free(b->ptr);
	pc_buf_init(b, limit);
}

char *pc_buf_detach(pc_buf *b)
{
	char *p;

	if (!b->alloc)
		p = pc_strdup("");
	else
		p = b->ptr;
	pc_buf_init(b, b->limit);
	return p;
}

int pc_buf_error(const pc_buf *b)
{
	return b->failed;
}

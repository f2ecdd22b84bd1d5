/*
 * sshreader.c: the bounds-checked reader of the SSH wire encoding, and the
 * messages that name which part of a key or signature is wrong.
 */
#include "config.h"
#include "sshreader.h"
#include "sshreader-int.h"

#include <stdio.h>
#include <string.h>

static uint32_t get_u32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void pc_sshreader_init(pc_sshreader *r, const void *data, size_t len)
{
	r->p = data;
	r->len = data ? len : 0;
}

int pc_sshreader_bytes(pc_sshreader *r, const unsigned char **out, size_t n)
{
	if (n > r->len)
		return PC_ETRUNCATED;
	if (out)
		*out = r->p;
	r->p += n;
	r->len -= n;
	return 0;
}

int pc_sshreader_u32(pc_sshreader *r, uint32_t *out)
{
	if (r->len < 4)
		return PC_ETRUNCATED;
	*out = get_u32(r->p);
	r->p += 4;
	r->len -= 4;
	return 0;
}

int pc_sshreader_string(pc_sshreader *r, const unsigned char **out, size_t *len)
{
	uint32_t n;

	if (r->len < 4)
		return PC_ETRUNCATED;
	n = get_u32(r->p);
	/* r->len - 4 cannot wrap: r->len >= 4 here */
	if (n > r->len - 4)
		return PC_ETRUNCATED;
	*out = r->p + 4;
	*len = n;
	r->p += 4 + (size_t)n;
	r->len -= 4 + (size_t)n;
	return 0;
}

int pc_sshreader_name(pc_sshreader *r, const unsigned char **out, size_t *len)
{
	pc_sshreader t = *r;
	int e;

	if ((e = pc_sshreader_string(&t, out, len)) < 0)
		return e;
	if (memchr(*out, '\0', *len))
		return PC_EINVAL;
	*r = t;
	return 0;
}

int pc_sshreader_mpint(pc_sshreader *r, const unsigned char **out, size_t *len)
{
	pc_sshreader t = *r;
	const unsigned char *p;
	size_t n;
	int e;

	if ((e = pc_sshreader_string(&t, &p, &n)) < 0)
		return e;
	if (n > 0 && (p[0] & 0x80))
		return PC_EINVAL;	/* negative */
	if (n > 0 && p[0] == 0) {
		/* a zero byte is only there to keep the next one's top bit from reading as a sign */
		if (n == 1 || !(p[1] & 0x80))
			return PC_EINVAL;
		p++;
		n--;
	}
	*out = p;
	*len = n;
	*r = t;
	return 0;
}

int pc_sshreader_end(const pc_sshreader *r)
{
	return r->len ? PC_EINVAL : 0;
}

/* Untrusted bytes shown in a message: printable ASCII, the rest escaped, cut short. */
const char *pc_sshreader_shown(char *out, size_t size, const void *data, size_t n)
{
	const unsigned char *s = data;
	size_t i, o = 0;

	for (i = 0; i < n && o + 8 < size; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' && s[i] != '\'')
			out[o++] = (char)s[i];
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", s[i]);
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* Messages for the reader's failures, naming the part that is wrong. */
int pc_sshreader_failed(pc_error *err, int code, const char *what, const char *field)
{
	if (code == PC_ETRUNCATED)
		return pc_error_set(err, PC_EINVAL, "%s is truncated: it ends inside the %s", what, field);
	return pc_error_set(err, PC_EINVAL, "%s: the %s is malformed", what, field);
}

int pc_sshreader_get_string(pc_sshreader *rd, const unsigned char **p, size_t *n,
	const char *what, const char *field, pc_error *err)
{
	int e = pc_sshreader_string(rd, p, n);

	return e < 0 ? pc_sshreader_failed(err, e, what, field) : 0;
}

int pc_sshreader_get_name(pc_sshreader *rd, const unsigned char **p, size_t *n,
	const char *what, const char *field, pc_error *err)
{
	int e = pc_sshreader_name(rd, p, n);

	if (e == PC_EINVAL)
		return pc_error_set(err, PC_EINVAL, "%s: the %s contains a NUL byte", what, field);
	return e < 0 ? pc_sshreader_failed(err, e, what, field) : 0;
}

int pc_sshreader_get_mpint(pc_sshreader *rd, const unsigned char **p, size_t *n,
	const char *what, const char *field, pc_error *err)
{
	int e = pc_sshreader_mpint(rd, p, n);

	if (e == PC_EINVAL)
		return pc_error_set(err, PC_EINVAL,
			"%s: the %s is not a minimally encoded non-negative number", what, field);
	return e < 0 ? pc_sshreader_failed(err, e, what, field) : 0;
}

/*
 * sshsig.c: OpenSSH public keys, SSHSIG signatures and allowed_signers.
 *
 * Everything that comes from outside (key lines, signature armor and
 * blobs, allowed_signers files) is parsed here with a bounds-checked
 * reader before OpenSSL sees any of it; OpenSSL 3's EVP interface does the
 * arithmetic.  Formats: RFC 4251/4253 (wire types, ssh-rsa), RFC 5656
 * (ecdsa), RFC 8709 (ssh-ed25519), RFC 8332 (rsa-sha2-*), OpenSSH's
 * PROTOCOL.sshsig and ssh-keygen(1) ALLOWED SIGNERS.
 */
#include "config.h"
#include "sshsig.h"
#include "buf.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The byte reader */

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
static const char *shown(char *out, size_t size, const void *data, size_t n)
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

static int span_is(const unsigned char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Messages for the reader's failures, naming the part that is wrong. */
static int read_failed(pc_error *err, int code, const char *what, const char *field)
{
	if (code == PC_ETRUNCATED)
		return pc_error_set(err, PC_EINVAL, "%s is truncated: it ends inside the %s", what, field);
	return pc_error_set(err, PC_EINVAL, "%s: the %s is malformed", what, field);
}

static int read_string(pc_sshreader *rd, const unsigned char **p, size_t *n,
	const char *what, const char *field, pc_error *err)
{
	int e = pc_sshreader_string(rd, p, n);

	return e < 0 ? read_failed(err, e, what, field) : 0;
}

static int read_name(pc_sshreader *rd, const unsigned char **p, size_t *n,
	const char *what, const char *field, pc_error *err)
{
	int e = pc_sshreader_name(rd, p, n);

	if (e == PC_EINVAL)
		return pc_error_set(err, PC_EINVAL, "%s: the %s contains a NUL byte", what, field);
	return e < 0 ? read_failed(err, e, what, field) : 0;
}

static int read_mpint(pc_sshreader *rd, const unsigned char **p, size_t *n,
	const char *what, const char *field, pc_error *err)
{
	int e = pc_sshreader_mpint(rd, p, n);

	if (e == PC_EINVAL)
		return pc_error_set(err, PC_EINVAL,
			"%s: the %s is not a minimally encoded non-negative number", what, field);
	return e < 0 ? read_failed(err, e, what, field) : 0;
}

/* Keys */

enum key_kind { KIND_ED25519, KIND_ECDSA, KIND_RSA };

struct keytype {
	const char *name;
	enum key_kind kind;
	const char *curve;	/* curve name inside an ECDSA blob */
	const char *group;	/* OpenSSL's name for that curve */
	const char *md;		/* ECDSA: the digest the curve's signatures use */
	size_t field;		/* ECDSA: bytes of one coordinate */
};

static const struct keytype keytypes[] = {
	{ "ssh-ed25519", KIND_ED25519, NULL, NULL, NULL, 0 },
	{ "ecdsa-sha2-nistp256", KIND_ECDSA, "nistp256", "prime256v1", "SHA256", 32 },
	{ "ecdsa-sha2-nistp384", KIND_ECDSA, "nistp384", "secp384r1", "SHA384", 48 },
	{ "ecdsa-sha2-nistp521", KIND_ECDSA, "nistp521", "secp521r1", "SHA512", 66 },
	{ "ssh-rsa", KIND_RSA, NULL, NULL, NULL, 0 },
};

#define RSA_MIN_BITS 2048
/* OpenSSH's own ceiling; it also bounds the cost of one verification. */
#define RSA_MAX_BITS 16384

struct pc_sshkey {
	const struct keytype *type;
	unsigned char *blob;
	size_t blob_len;
	EVP_PKEY *pkey;
};

static const struct keytype *find_keytype(const void *name, size_t n)
{
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(keytypes); i++)
		if (span_is(name, n, keytypes[i].name))
			return &keytypes[i];
	return NULL;
}

static int is_cert_type(const char *p, size_t n)
{
	static const char cert[] = "-cert-v01@openssh.com";

	return n >= sizeof(cert) - 1 && !memcmp(p + n - (sizeof(cert) - 1), cert, sizeof(cert) - 1);
}

static int unsupported_keytype(pc_error *err, const char *what, const void *name, size_t n)
{
	const char *s = name;
	char buf[128];

	shown(buf, sizeof(buf), name, n);
	if (span_is(name, n, "ssh-dss"))
		return pc_error_set(err, PC_EINVAL,
			"%s: ssh-dss (DSA) keys are not supported; use an ssh-ed25519 key", what);
	if (n >= 3 && !memcmp(s, "sk-", 3))
		return pc_error_set(err, PC_EINVAL,
			"%s: security-key type %s is not supported; use an ssh-ed25519, ecdsa or rsa key",
			what, buf);
	if (is_cert_type(s, n))
		return pc_error_set(err, PC_EINVAL,
			"%s: certificates (%s) are not supported; use the plain public key", what, buf);
	return pc_error_set(err, PC_EINVAL,
		"%s: unknown key type '%s' (supported: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa)",
		what, buf);
}

void pc_sshkey_free(pc_sshkey *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key->blob);
	free(key);
}

static int load_ed25519(pc_sshkey *key, pc_sshreader *rd, pc_error *err)
{
	const unsigned char *pk;
	size_t n;
	int r;

	if ((r = read_string(rd, &pk, &n, "public key", "ed25519 key", err)) < 0)
		return r;
	if (n != 32)
		return pc_error_set(err, PC_EINVAL,
			"public key: an ssh-ed25519 key is 32 bytes, this one is %zu", n);
	key->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pk, n);
	if (!key->pkey)
		return pc_error_set(err, PC_EINVAL, "public key: the ssh-ed25519 key is not valid");
	return 0;
}

static int load_ecdsa(pc_sshkey *key, pc_sshreader *rd, pc_error *err)
{
	const struct keytype *kt = key->type;
	const unsigned char *curve, *q;
	size_t curve_len, q_len;
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	OSSL_PARAM params[3];
	char buf[128];
	int r;

	if ((r = read_name(rd, &curve, &curve_len, "public key", "curve name", err)) < 0 ||
	    (r = read_string(rd, &q, &q_len, "public key", "ecdsa point", err)) < 0)
		return r;
	if (!span_is(curve, curve_len, kt->curve))
		return pc_error_set(err, PC_EINVAL,
			"public key: a %s key must be on curve %s, this one names '%s'",
			kt->name, kt->curve, shown(buf, sizeof(buf), curve, curve_len));
	/* Only the uncompressed form (0x04 || X || Y), as OpenSSH writes and reads it. */
	if (q_len != 1 + 2 * kt->field || q[0] != 0x04)
		return pc_error_set(err, PC_EINVAL,
			"public key: a %s point must be uncompressed (%zu bytes starting with 0x04)",
			kt->curve, 1 + 2 * kt->field);

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)kt->group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)q, q_len);
	params[2] = OSSL_PARAM_construct_end();
	r = PC_EINVAL;
	if (!(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key->pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		r = pc_error_set(err, PC_EINVAL, "public key: the %s point is not on the curve", kt->curve);
		goto done;
	}
	/*
	 * On the curve, not at infinity, coordinates below p.  The NIST curves
	 * have cofactor 1, so no separate check of the point's order is needed.
	 */
	if (!(check = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL)) ||
	    EVP_PKEY_public_check_quick(check) != 1) {
		r = pc_error_set(err, PC_EINVAL, "public key: the %s point is not a valid public key",
			kt->curve);
		goto done;
	}
	r = 0;
done:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static unsigned bits_of(const unsigned char *p, size_t n)
{
	unsigned b;

	if (!n)
		return 0;
	for (b = 8; b > 0 && !(p[0] & (1u << (b - 1))); b--)
		;
	return (unsigned)(n - 1) * 8 + b;
}

static int load_rsa(pc_sshkey *key, pc_sshreader *rd, pc_error *err)
{
	const unsigned char *e, *n;
	size_t e_len, n_len;
	BIGNUM *bn_e = NULL, *bn_n = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned bits;
	int r;

	if ((r = read_mpint(rd, &e, &e_len, "public key", "RSA exponent", err)) < 0 ||
	    (r = read_mpint(rd, &n, &n_len, "public key", "RSA modulus", err)) < 0)
		return r;
	bits = bits_of(n, n_len);
	if (bits < RSA_MIN_BITS)
		return pc_error_set(err, PC_EINVAL,
			"public key: the RSA key has %u bits; at least %d are required", bits, RSA_MIN_BITS);
	if (bits > RSA_MAX_BITS)
		return pc_error_set(err, PC_EINVAL,
			"public key: the RSA key has %u bits; at most %d are supported", bits, RSA_MAX_BITS);
	if (!(n[n_len - 1] & 1) || e_len == 0 || !(e[e_len - 1] & 1) || (e_len == 1 && e[0] == 1) ||
	    e_len > n_len)
		return pc_error_set(err, PC_EINVAL, "public key: the RSA key is not valid (bad modulus or exponent)");

	r = pc_error_set(err, PC_ENOMEM, "public key: out of memory");
	if (!(bn_e = BN_bin2bn(e, (int)e_len, NULL)) || !(bn_n = BN_bin2bn(n, (int)n_len, NULL)) ||
	    !(bld = OSSL_PARAM_BLD_new()) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)))
		goto done;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key->pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		r = pc_error_set(err, PC_EINVAL, "public key: the RSA key is not valid");
		goto done;
	}
	r = 0;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_e);
	BN_free(bn_n);
	return r;
}

int pc_sshkey_from_blob(pc_sshkey **out, const unsigned char *blob, size_t len, pc_error *err)
{
	pc_sshreader rd;
	const unsigned char *name;
	size_t name_len;
	pc_sshkey *key = NULL;
	int r = PC_EINVAL;

	*out = NULL;
	pc_sshreader_init(&rd, blob, len);
	if ((r = read_name(&rd, &name, &name_len, "public key", "key type", err)) < 0)
		goto done;
	if (!(key = pc_calloc(1, sizeof(*key)))) {
		r = pc_error_set(err, PC_ENOMEM, "public key: out of memory");
		goto done;
	}
	if (!(key->type = find_keytype(name, name_len))) {
		r = unsupported_keytype(err, "public key", name, name_len);
		goto done;
	}
	switch (key->type->kind) {
	case KIND_ED25519:
		r = load_ed25519(key, &rd, err);
		break;
	case KIND_ECDSA:
		r = load_ecdsa(key, &rd, err);
		break;
	case KIND_RSA:
		r = load_rsa(key, &rd, err);
		break;
	}
	if (r < 0)
		goto done;
	if (pc_sshreader_end(&rd) < 0) {
		r = pc_error_set(err, PC_EINVAL, "public key: %zu bytes of trailing data after the %s key",
			rd.len, key->type->name);
		goto done;
	}
	if (!(key->blob = pc_malloc(len))) {
		r = pc_error_set(err, PC_ENOMEM, "public key: out of memory");
		goto done;
	}
	memcpy(key->blob, blob, len);
	key->blob_len = len;
	*out = key;
	key = NULL;	/* transferred */
	r = 0;
done:
	pc_sshkey_free(key);
	ERR_clear_error();
	return r;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The longest base64 we take for one key: a 16384-bit RSA key is under 2,800 characters. */
#define KEY_B64_MAX 8192

/*
 * "TYPE BASE64 [comment]" in s[0..len).  On failure *bad is the offset of
 * the field that is wrong, for FILE:LINE:COLUMN diagnostics.
 */
static int parse_key_text(pc_sshkey **out, const char *s, size_t len, size_t *bad, pc_error *err)
{
	size_t i = 0, type_at, type_len, b64_at, b64_len;
	unsigned char *blob = NULL;
	size_t blob_len;
	pc_sshkey *key = NULL;
	char buf[128];
	int r = PC_EINVAL;

	*out = NULL;
	while (i < len && is_space((unsigned char)s[i]))
		i++;
	*bad = type_at = i;
	while (i < len && !is_space((unsigned char)s[i]))
		i++;
	type_len = i - type_at;
	if (!type_len) {
		r = pc_error_set(err, PC_EINVAL, "missing key: expected \"TYPE BASE64 [comment]\"");
		goto done;
	}
	if (!find_keytype(s + type_at, type_len)) {
		r = unsupported_keytype(err, "key", s + type_at, type_len);
		goto done;
	}
	while (i < len && is_space((unsigned char)s[i]))
		i++;
	*bad = b64_at = i;
	while (i < len && !is_space((unsigned char)s[i]))
		i++;
	b64_len = i - b64_at;
	if (!b64_len) {
		r = pc_error_set(err, PC_EINVAL, "missing base64 key data after '%s'",
			shown(buf, sizeof(buf), s + type_at, type_len));
		goto done;
	}
	if (b64_len > KEY_B64_MAX) {
		r = pc_error_set(err, PC_EINVAL, "key data is too long (%zu characters, at most %d)",
			b64_len, KEY_B64_MAX);
		goto done;
	}
	if ((r = pc_base64_decode(&blob, &blob_len, s + b64_at, b64_len)) < 0) {
		r = r == PC_ENOMEM ? pc_error_set(err, r, "out of memory") :
			pc_error_set(err, PC_EINVAL, "key data is not valid base64");
		goto done;
	}
	if ((r = pc_sshkey_from_blob(&key, blob, blob_len, err)) < 0)
		goto done;
	if (!span_is((const unsigned char *)s + type_at, type_len, key->type->name)) {
		*bad = type_at;
		r = pc_error_set(err, PC_EINVAL, "the key type is '%s' but the key data is an %s key",
			shown(buf, sizeof(buf), s + type_at, type_len), key->type->name);
		goto done;
	}
	*out = key;
	key = NULL;	/* transferred */
	r = 0;
done:
	pc_sshkey_free(key);
	free(blob);
	return r;
}

int pc_sshkey_parse(pc_sshkey **out, const char *line, pc_error *err)
{
	size_t bad;

	return parse_key_text(out, line, strlen(line), &bad, err);
}

const char *pc_sshkey_type(const pc_sshkey *key)
{
	return key->type->name;
}

void pc_sshkey_fingerprint(const pc_sshkey *key, char out[64])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int md_len = 0;
	int n;

	out[0] = '\0';
	if (EVP_Digest(key->blob, key->blob_len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32) {
		ERR_clear_error();
		return;
	}
	n = EVP_EncodeBlock(b64, md, (int)md_len);
	/* ssh-keygen prints the SHA-256 fingerprint without base64 padding */
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, 64, "SHA256:%.*s", n, (const char *)b64);
}

const unsigned char *pc_sshkey_blob(const pc_sshkey *key, size_t *len)
{
	*len = key->blob_len;
	return key->blob;
}

int pc_sshkey_equal(const pc_sshkey *a, const pc_sshkey *b)
{
	return a && b && a->blob_len == b->blob_len && !memcmp(a->blob, b->blob, a->blob_len);
}

/* SSHSIG */

static const char ARMOR_BEGIN[] = "-----BEGIN SSH SIGNATURE-----";
static const char ARMOR_END[] = "-----END SSH SIGNATURE-----";
static const char SSHSIG_MAGIC[] = "SSHSIG";
#define SSHSIG_MAGIC_LEN 6

static int is_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '+' || c == '/' || c == '=';
}

/* Next line of [*p, end): its span without "\n" or "\r\n"; 0 at the end of input. */
static int next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*p >= end)
		return 0;
	*line = *p;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*len = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	return 1;
}

static int line_is(const char *line, size_t len, const char *s)
{
	return len == strlen(s) && !memcmp(line, s, len);
}

int pc_sshsig_dearmor(unsigned char **blob, size_t *blob_len, const char *armor,
	size_t armor_len, pc_error *err)
{
	const char *p = armor, *end = armor + armor_len, *line;
	size_t len, i;
	unsigned lineno = 1;
	int r = PC_EINVAL;
	pc_buf b64 = PC_BUF_INIT;

	*blob = NULL;
	*blob_len = 0;
	if (armor_len > PC_SSHSIG_MAX_ARMOR)
		return pc_error_set(err, PC_EINVAL,
			"bad armor: the signature is %zu bytes, more than the limit of %d",
			armor_len, PC_SSHSIG_MAX_ARMOR);
	if (!armor_len)
		return pc_error_set(err, PC_EINVAL, "bad armor: the signature is empty");
	if (!next_line(&p, end, &line, &len) || !line_is(line, len, ARMOR_BEGIN))
		return pc_error_set(err, PC_EINVAL, "bad armor: the signature does not start with %s",
			ARMOR_BEGIN);
	pc_buf_init(&b64, armor_len);
	for (;;) {
		if (!next_line(&p, end, &line, &len)) {
			r = pc_error_set(err, PC_EINVAL,
				"bad armor: no %s line (the signature is truncated)", ARMOR_END);
			goto done;
		}
		lineno++;
		if (line_is(line, len, ARMOR_END))
			break;
		for (i = 0; i < len; i++)
			if (!is_b64_char((unsigned char)line[i])) {
				r = pc_error_set(err, PC_EINVAL,
					"bad armor: line %u has a character that is not base64 (0x%02x at column %zu)",
					lineno, (unsigned char)line[i], i + 1);
				goto done;
			}
		if ((r = pc_buf_put(&b64, line, len)) < 0) {
			r = pc_error_set(err, r, "out of memory");
			goto done;
		}
	}
	/* Nothing may follow the footer but its own line end. */
	if (p != end) {
		r = pc_error_set(err, PC_EINVAL, "bad armor: %zu bytes of trailing data after %s",
			(size_t)(end - p), ARMOR_END);
		goto done;
	}
	if (!b64.len) {
		r = pc_error_set(err, PC_EINVAL, "bad armor: no data between %s and %s",
			ARMOR_BEGIN, ARMOR_END);
		goto done;
	}
	if ((r = pc_base64_decode(blob, blob_len, b64.ptr, b64.len)) < 0) {
		r = r == PC_ENOMEM ? pc_error_set(err, r, "out of memory") :
			pc_error_set(err, PC_EINVAL,
				"bad armor: the base64 data is invalid (bad length or padding)");
		goto done;
	}
	r = 0;
done:
	pc_buf_release(&b64);
	return r;
}

static int put_u32(pc_buf *b, uint32_t v)
{
	unsigned char d[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
		(unsigned char)(v >> 8), (unsigned char)v };

	return pc_buf_put(b, d, 4);
}

static int put_string(pc_buf *b, const void *p, size_t n)
{
	int r;

	if (n > UINT32_MAX)
		return PC_ELIMIT;
	if ((r = put_u32(b, (uint32_t)n)) < 0)
		return r;
	return n ? pc_buf_put(b, p, n) : 0;
}

/* One EVP verification; any OpenSSL failure is a failed verification. */
static int evp_verify(EVP_PKEY *pkey, const char *md, const unsigned char *sig, size_t sig_len,
	const unsigned char *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = 0;

	if (ctx && EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, pkey, NULL) == 1)
		ok = EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

static int bad_signature(pc_error *err, const pc_sshkey *key)
{
	char fp[64];

	pc_sshkey_fingerprint(key, fp);
	return pc_error_set(err, PC_EVERIFY,
		"bad signature: it does not match the signed data and the %s key %s",
		key->type->name, fp);
}

static int wrong_algorithm(pc_error *err, const pc_sshkey *key, const unsigned char *alg, size_t n)
{
	char buf[128];

	return pc_error_set(err, PC_EVERIFY,
		"wrong algorithm for the key: a signature of type '%s' cannot come from an %s key",
		shown(buf, sizeof(buf), alg, n), key->type->name);
}

static int verify_ecdsa(const pc_sshkey *key, const unsigned char *sig, size_t sig_len,
	const unsigned char *data, size_t len, pc_error *err)
{
	const size_t field = key->type->field;
	const unsigned char *rp, *sp;
	size_t r_len, s_len;
	pc_sshreader rd;
	ECDSA_SIG *esig = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL;
	int der_len, r;

	pc_sshreader_init(&rd, sig, sig_len);
	if ((r = read_mpint(&rd, &rp, &r_len, "signature", "ecdsa r", err)) < 0 ||
	    (r = read_mpint(&rd, &sp, &s_len, "signature", "ecdsa s", err)) < 0)
		return r;
	if (pc_sshreader_end(&rd) < 0)
		return pc_error_set(err, PC_EINVAL, "signature: trailing data after the ecdsa r and s");
	if (!r_len || !s_len || r_len > field || s_len > field)
		return pc_error_set(err, PC_EVERIFY,
			"bad signature: the ecdsa r or s is zero or longer than the %s order", key->type->curve);

	r = pc_error_set(err, PC_ENOMEM, "out of memory");
	if (!(esig = ECDSA_SIG_new()) || !(br = BN_bin2bn(rp, (int)r_len, NULL)) ||
	    !(bs = BN_bin2bn(sp, (int)s_len, NULL)))
		goto done;
	if (!ECDSA_SIG_set0(esig, br, bs))
		goto done;
	br = bs = NULL;	/* transferred */
	if ((der_len = i2d_ECDSA_SIG(esig, &der)) <= 0)
		goto done;
	r = evp_verify(key->pkey, key->type->md, der, (size_t)der_len, data, len) ? 0 :
		bad_signature(err, key);
done:
	OPENSSL_free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(esig);
	ERR_clear_error();
	return r;
}

static int verify_rsa(const pc_sshkey *key, const char *md, const unsigned char *sig, size_t sig_len,
	const unsigned char *data, size_t len, pc_error *err)
{
	size_t mod_len = (size_t)EVP_PKEY_get_size(key->pkey);
	unsigned char *padded = NULL;
	int r;

	if (!sig_len || sig_len > mod_len)
		return pc_error_set(err, PC_EVERIFY,
			"bad signature: an RSA signature of %zu bytes for a %zu-byte modulus", sig_len, mod_len);
	/* Some signers drop leading zero bytes (RFC 8332 allows reading them back in). */
	if (sig_len < mod_len) {
		if (!(padded = pc_calloc(1, mod_len)))
			return pc_error_set(err, PC_ENOMEM, "out of memory");
		memcpy(padded + mod_len - sig_len, sig, sig_len);
		sig = padded;
		sig_len = mod_len;
	}
	r = evp_verify(key->pkey, md, sig, sig_len, data, len) ? 0 : bad_signature(err, key);
	free(padded);
	return r;
}

/* Check the inner signature (string sig-type, string sig-bytes) of `key` over `data`. */
static int verify_inner(const pc_sshkey *key, const unsigned char *sig, size_t sig_len,
	const unsigned char *data, size_t len, pc_error *err)
{
	const unsigned char *alg, *bytes;
	size_t alg_len, bytes_len;
	pc_sshreader rd;
	int r;

	pc_sshreader_init(&rd, sig, sig_len);
	if ((r = read_name(&rd, &alg, &alg_len, "signature", "signature type", err)) < 0 ||
	    (r = read_string(&rd, &bytes, &bytes_len, "signature", "signature bytes", err)) < 0)
		return r;
	if (pc_sshreader_end(&rd) < 0)
		return pc_error_set(err, PC_EINVAL, "signature: %zu bytes of trailing data after the signature bytes",
			rd.len);

	switch (key->type->kind) {
	case KIND_ED25519:
		if (!span_is(alg, alg_len, "ssh-ed25519"))
			return wrong_algorithm(err, key, alg, alg_len);
		if (bytes_len != 64)
			return pc_error_set(err, PC_EINVAL,
				"signature: an ssh-ed25519 signature is 64 bytes, this one is %zu", bytes_len);
		return evp_verify(key->pkey, NULL, bytes, bytes_len, data, len) ? 0 : bad_signature(err, key);
	case KIND_ECDSA:
		if (!span_is(alg, alg_len, key->type->name))
			return wrong_algorithm(err, key, alg, alg_len);
		return verify_ecdsa(key, bytes, bytes_len, data, len, err);
	case KIND_RSA:
		if (span_is(alg, alg_len, "rsa-sha2-256"))
			return verify_rsa(key, "SHA256", bytes, bytes_len, data, len, err);
		if (span_is(alg, alg_len, "rsa-sha2-512"))
			return verify_rsa(key, "SHA512", bytes, bytes_len, data, len, err);
		if (span_is(alg, alg_len, "ssh-rsa"))
			return pc_error_set(err, PC_EVERIFY,
				"refusing an ssh-rsa signature: it is made with SHA-1, which is broken; "
				"sign again with rsa-sha2-512 (what current ssh-keygen and git use)");
		return wrong_algorithm(err, key, alg, alg_len);
	}
	return pc_error_set(err, PC_EINVAL, "signature: unsupported key");
}

int pc_sshsig_verify_blob(pc_sshkey **signer, const unsigned char *blob, size_t blob_len,
	const char *ns, const unsigned char *msg, size_t msg_len, pc_error *err)
{
	const unsigned char *magic, *pub, *sig_ns, *reserved, *hashalg, *sig;
	size_t pub_len, ns_len, reserved_len, hashalg_len, sig_len;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int h_len = 0;
	const EVP_MD *md;
	pc_sshkey *key = NULL;
	pc_sshreader rd;
	pc_buf data = PC_BUF_INIT;
	uint32_t version;
	char buf1[128], buf2[128];
	int r = PC_EINVAL;

	if (signer)
		*signer = NULL;
	if (!ns || !*ns)
		return pc_error_set(err, PC_EINVAL, "no namespace to verify the signature for");
	pc_sshreader_init(&rd, blob, blob_len);
	if (pc_sshreader_bytes(&rd, &magic, SSHSIG_MAGIC_LEN) < 0 ||
	    memcmp(magic, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN)) {
		r = pc_error_set(err, PC_EINVAL, "not an SSH signature: the blob does not start with %s",
			SSHSIG_MAGIC);
		goto done;
	}
	if (pc_sshreader_u32(&rd, &version) < 0) {
		r = read_failed(err, PC_ETRUNCATED, "signature", "version");
		goto done;
	}
	if (version != 1) {
		r = pc_error_set(err, PC_EINVAL, "unsupported signature version %lu (only version 1 is supported)",
			(unsigned long)version);
		goto done;
	}
	if ((r = read_string(&rd, &pub, &pub_len, "signature", "public key", err)) < 0 ||
	    (r = read_name(&rd, &sig_ns, &ns_len, "signature", "namespace", err)) < 0 ||
	    (r = read_string(&rd, &reserved, &reserved_len, "signature", "reserved field", err)) < 0 ||
	    (r = read_name(&rd, &hashalg, &hashalg_len, "signature", "hash algorithm", err)) < 0 ||
	    (r = read_string(&rd, &sig, &sig_len, "signature", "signature", err)) < 0)
		goto done;
	if (pc_sshreader_end(&rd) < 0) {
		r = pc_error_set(err, PC_EINVAL, "signature: %zu bytes of trailing data after the signature blob",
			rd.len);
		goto done;
	}
	if ((r = pc_sshkey_from_blob(&key, pub, pub_len, err)) < 0) {
		pc_error_prefix(err, "signature");
		goto done;
	}
	if (!ns_len) {
		r = pc_error_set(err, PC_EINVAL, "signature: the namespace is empty");
		goto done;
	}
	if (span_is(hashalg, hashalg_len, "sha256"))
		md = EVP_sha256();
	else if (span_is(hashalg, hashalg_len, "sha512"))
		md = EVP_sha512();
	else {
		r = pc_error_set(err, PC_EINVAL, "unsupported hash algorithm '%s' (sha256 or sha512)",
			shown(buf1, sizeof(buf1), hashalg, hashalg_len));
		goto done;
	}
	if (!span_is(sig_ns, ns_len, ns)) {
		r = pc_error_set(err, PC_EVERIFY, "signature namespace is '%s', expected '%s'",
			shown(buf1, sizeof(buf1), sig_ns, ns_len), shown(buf2, sizeof(buf2), ns, strlen(ns)));
		goto done;
	}
	if (EVP_Digest(msg, msg_len, h, &h_len, md, NULL) != 1) {
		ERR_clear_error();
		r = pc_error_set(err, PC_ENOMEM, "cannot hash the message");
		goto done;
	}
	/*
	 * The signed data.  Its reserved field is always empty, whatever the
	 * blob carries: that is how OpenSSH reads PROTOCOL.sshsig's "ignore
	 * the reserved field", and git verifies through OpenSSH.
	 */
	if (pc_buf_put(&data, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN) < 0 ||
	    put_string(&data, ns, strlen(ns)) < 0 ||
	    put_string(&data, "", 0) < 0 ||
	    put_string(&data, hashalg, hashalg_len) < 0 ||
	    put_string(&data, h, h_len) < 0) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if ((r = verify_inner(key, sig, sig_len, (const unsigned char *)data.ptr, data.len, err)) < 0)
		goto done;
	if (signer) {
		*signer = key;
		key = NULL;	/* transferred */
	}
	r = 0;
done:
	pc_buf_release(&data);
	pc_sshkey_free(key);
	return r;
}

int pc_sshsig_verify(pc_sshkey **signer, const char *armor, size_t armor_len,
	const char *ns, const unsigned char *msg, size_t msg_len, pc_error *err)
{
	unsigned char *blob = NULL;
	size_t blob_len;
	int r;

	if (signer)
		*signer = NULL;
	if ((r = pc_sshsig_dearmor(&blob, &blob_len, armor, armor_len, err)) < 0)
		return r;
	r = pc_sshsig_verify_blob(signer, blob, blob_len, ns, msg, msg_len, err);
	free(blob);
	return r;
}

/* Signed tags */

/* The armor headers git recognises (gpg-interface.c); the last such line starts the signature. */
static const char *const sig_markers[] = {
	"-----BEGIN PGP SIGNATURE-----",
	"-----BEGIN PGP MESSAGE-----",
	"-----BEGIN SIGNED MESSAGE-----",
	"-----BEGIN SSH SIGNATURE-----",
};

static int starts_with_span(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !memcmp(p, prefix, k);
}

int pc_sshsig_split_tag(const char *raw, size_t len, size_t *payload_len,
	const char **sig, size_t *sig_len)
{
	size_t pos = 0, found = len, i;
	int ssh = 0;
	const char *nl;

	*payload_len = len;
	*sig = NULL;
	*sig_len = 0;
	/* As git does: the signature starts at the last line that begins with a marker. */
	while (pos < len) {
		for (i = 0; i < PC_ARRAY_SIZE(sig_markers); i++)
			if (starts_with_span(raw + pos, len - pos, sig_markers[i])) {
				found = pos;
				ssh = !strcmp(sig_markers[i], ARMOR_BEGIN);
				break;
			}
		nl = memchr(raw + pos, '\n', len - pos);
		pos = nl ? (size_t)(nl - raw) + 1 : len;
	}
	if (found == len || !ssh)
		return PC_ENOTFOUND;
	*payload_len = found;
	*sig = raw + found;
	*sig_len = len - found;
	return 0;
}

int pc_sshsig_split_commit(const char *raw, size_t len, pc_buf *payload, pc_buf *sig)
{
	const char *line = raw, *end = raw + len, *next, *nl, *value;
	int in_signature = 0, other_signature = 0, saw = 0;

	/* The header walk of git's parse_buffer_signed_by_header, line for line. */
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		next = nl ? nl + 1 : end;
		value = NULL;
		if (in_signature && line[0] == ' ') {
			value = line + 1;
		} else if (starts_with_span(line, (size_t)(end - line), "gpgsig ")) {
			value = line + 7;
			other_signature = 0;
		} else if (starts_with_span(line, (size_t)(end - line), "gpgsig")) {
			other_signature = 1;	/* gpgsig-sha256 and the like: signed by nobody here */
		} else if (other_signature && line[0] != ' ') {
			other_signature = 0;
		}
		if (value) {
			pc_buf_put(sig, value, (size_t)(next - value));
			saw = 1;
			in_signature = 1;
		} else {
			if (line[0] == '\n')
				next = end;	/* the message: never a header */
			if (!other_signature)
				pc_buf_put(payload, line, (size_t)(next - line));
			in_signature = 0;
		}
		line = next;
	}
	if (pc_buf_error(payload) || pc_buf_error(sig))
		return pc_buf_error(payload) ? pc_buf_error(payload) : pc_buf_error(sig);
	return saw ? 0 : PC_ENOTFOUND;
}

size_t pc_sshsig_armor_extent(const char *armor, size_t len)
{
	static const char footer[] = "\n-----END SSH SIGNATURE-----";
	size_t skip = sizeof(ARMOR_BEGIN) - 1;
	const char *at;

	if (len < skip || memcmp(armor, ARMOR_BEGIN, skip))
		return len;
	if (!(at = memmem(armor + skip, len - skip, footer, sizeof(footer) - 1)))
		return len;
	at += sizeof(footer) - 1;
	if (at < armor + len && *at == '\n')
		at++;
	return (size_t)(at - armor);
}

/* Pattern lists (ssh_config(5) PATTERNS), as OpenSSH's match_pattern_list */

int pc_sshsig_match_list(const char *s, const char *list)
{
	return pc_glob_match_list(s, list);
}

/* allowed_signers */

struct signer {
	char *principals;	/* pattern list */
	char *namespaces;	/* pattern list, NULL = any */
	int has_after, has_before;
	int64_t valid_after, valid_before;
	pc_sshkey *key;
	unsigned line, column;	/* where the principals were written */
};

struct pc_signers {
	struct signer *items;
	size_t n, alloc;
};

void pc_signers_free(pc_signers *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->items[i].principals);
		free(s->items[i].namespaces);
		pc_sshkey_free(s->items[i].key);
	}
	free(s->items);
	free(s);
}

/* One line being parsed, for diagnostics. */
struct sline {
	const char *file;
	const char *p;		/* the line, without its newline */
	size_t len;
	unsigned lineno;
	pc_diag *diags;
	int failed;
	int nomem;		/* an allocation failed: report PC_ENOMEM, not PC_EINVAL */
};

__attribute__((format(printf, 3, 4)))
static int line_error(struct sline *l, size_t at, const char *fmt, ...)
{
	char msg[PC_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->failed = 1;
	if (l->diags)
		pc_diag_add(l->diags, l->file, l->lineno, (unsigned)at + 1, "%s", msg);
	return PC_EINVAL;
}

static int line_nomem(struct sline *l, size_t at)
{
	l->nomem = 1;
	line_error(l, at, "out of memory");
	return PC_ENOMEM;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static int digits(const char *s, size_t n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (*s++ - '0');
	return v;
}

/*
 * ssh-keygen's timestamps: YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, UTC
 * with a Z or UTC suffix, else local time taken as standard time (what
 * ssh-keygen's mktime with tm_isdst 0 gives).  Unlike ssh-keygen we refuse
 * dates that do not exist (20230230) instead of rolling them over.
 */
static int parse_time(const char *v, int64_t *out)
{
	size_t n = strlen(v), i;
	struct tm tm;
	int utc = 0, y, mo, d, h = 0, mi = 0, s = 0;
	time_t t;

	if (n > 1 && (v[n - 1] == 'Z' || v[n - 1] == 'z')) {
		utc = 1;
		n--;
	} else if (n > 3 && !strncasecmp(v + n - 3, "UTC", 3)) {
		utc = 1;
		n -= 3;
	}
	if (n != 8 && n != 12 && n != 14)
		return PC_EINVAL;
	for (i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return PC_EINVAL;
	y = digits(v, 4);
	mo = digits(v + 4, 2);
	d = digits(v + 6, 2);
	if (n >= 12) {
		h = digits(v + 8, 2);
		mi = digits(v + 10, 2);
	}
	if (n == 14)
		s = digits(v + 12, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || s > 59)
		return PC_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = 0;
	t = utc ? timegm(&tm) : mktime(&tm);
	/* 0 is "unset" to ssh-keygen, which refuses it too */
	if (t <= 0)
		return PC_EINVAL;
	*out = (int64_t)t;
	return 0;
}

static int strieq_span(const char *p, size_t n, const char *s)
{
	return n == strlen(s) && !strncasecmp(p, s, n);
}

/* Check a comma-separated pattern list has no empty element. */
static int check_list(struct sline *l, size_t at, const char *list, const char *what)
{
	const char *p = list, *comma;

	for (;;) {
		comma = strchr(p, ',');
		if (comma == p || (!comma && !*p) || (*p == '!' && (comma == p + 1 || (!comma && !p[1]))))
			return line_error(l, at + (size_t)(p - list), "empty %s in the list", what);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* The end of the options field starting at i: the first blank outside double quotes. */
static size_t options_end(const struct sline *l, size_t i, int *open_quote)
{
	int inq = 0;

	for (; i < l->len; i++) {
		if (inq && l->p[i] == '\\' && i + 1 < l->len && l->p[i + 1] == '"')
			i++;
		else if (l->p[i] == '"')
			inq = !inq;
		else if (!inq && is_blank((unsigned char)l->p[i]))
			break;
	}
	*open_quote = inq;
	return i;
}

static int is_keytype_name(const char *p, size_t n)
{
	return find_keytype(p, n) || strieq_span(p, n, "ssh-dss") || (n >= 3 && !memcmp(p, "sk-", 3)) ||
		is_cert_type(p, n);
}

/*
 * ssh-keygen takes the field after the principals as the key when it
 * parses as one, else as options.  Here: options when the field has the
 * shape of options (=, quotes, commas), or when it is no key type and a
 * key type and key data still follow it; otherwise it is read as a key,
 * so a misspelt key type is reported as one.
 */
static int looks_like_options(const struct sline *l, size_t at, size_t end)
{
	const char *p = l->p + at;
	size_t n = end - at, i = end, fields = 0;

	if (memchr(p, '=', n) || memchr(p, '"', n) || memchr(p, ',', n))
		return 1;
	if (is_keytype_name(p, n))
		return 0;
	while (i < l->len && fields < 2) {
		while (i < l->len && is_blank((unsigned char)l->p[i]))
			i++;
		if (i < l->len)
			fields++;
		while (i < l->len && !is_blank((unsigned char)l->p[i]))
			i++;
	}
	return fields >= 2;
}

static int parse_options(struct sline *l, size_t i, size_t end, struct signer *e)
{
	const char *p = l->p;
	size_t kw_at, kw_len, val_at;
	pc_buf val = PC_BUF_INIT;
	int r = 0;

	for (;;) {
		kw_at = i;
		while (i < end && p[i] != '=' && p[i] != ',')
			i++;
		kw_len = i - kw_at;
		if (strieq_span(p + kw_at, kw_len, "cert-authority")) {
			r = line_error(l, kw_at, "cert-authority is not supported: policy-check checks "
				"signatures of plain keys only; list each signer's own key instead");
			goto done;
		}
		if (!strieq_span(p + kw_at, kw_len, "namespaces") &&
		    !strieq_span(p + kw_at, kw_len, "valid-after") &&
		    !strieq_span(p + kw_at, kw_len, "valid-before")) {
			r = line_error(l, kw_at, "unknown option '%.*s' (known: namespaces, valid-after, "
				"valid-before)", (int)(kw_len > 64 ? 64 : kw_len), p + kw_at);
			goto done;
		}
		if (i >= end || p[i] != '=') {
			r = line_error(l, kw_at, "option %.*s needs a value: %.*s=\"...\"",
				(int)kw_len, p + kw_at, (int)kw_len, p + kw_at);
			goto done;
		}
		i++;
		val_at = i;
		if (i >= end || p[i] != '"') {
			r = line_error(l, val_at, "the value of %.*s must be in double quotes, as "
				"ssh-keygen requires", (int)kw_len, p + kw_at);
			goto done;
		}
		pc_buf_clear(&val);
		for (i++; i < end && p[i] != '"'; i++) {
			if (p[i] == '\\' && i + 1 < end && p[i + 1] == '"')
				i++;
			pc_buf_putc(&val, p[i]);
		}
		if (i >= end) {
			r = line_error(l, val_at, "missing closing quote");
			goto done;
		}
		i++;
		if (pc_buf_error(&val) < 0) {
			r = line_nomem(l, val_at);
			goto done;
		}
		if (strieq_span(p + kw_at, kw_len, "namespaces")) {
			if (e->namespaces) {
				r = line_error(l, kw_at, "namespaces given twice");
				goto done;
			}
			if ((r = check_list(l, val_at + 1, val.ptr, "namespace")) < 0)
				goto done;
			if (!(e->namespaces = pc_strdup(val.ptr))) {
				r = line_nomem(l, val_at);
				goto done;
			}
		} else {
			int after = strieq_span(p + kw_at, kw_len, "valid-after");
			int64_t t;

			if (after ? e->has_after : e->has_before) {
				r = line_error(l, kw_at, "%s given twice", after ? "valid-after" : "valid-before");
				goto done;
			}
			if (parse_time(val.ptr, &t) < 0) {
				r = line_error(l, val_at + 1, "invalid time '%.*s' for %s: write YYYYMMDD, "
					"YYYYMMDDHHMM or YYYYMMDDHHMMSS, with Z for UTC",
					(int)(val.len > 32 ? 32 : val.len), val.ptr,
					after ? "valid-after" : "valid-before");
				goto done;
			}
			if (after) {
				e->has_after = 1;
				e->valid_after = t;
			} else {
				e->has_before = 1;
				e->valid_before = t;
			}
		}
		if (i == end)
			break;
		if (p[i] != ',') {
			r = line_error(l, i, "expected ',' or a space after an option");
			goto done;
		}
		if (++i == end) {
			r = line_error(l, i - 1, "the option list ends with ','");
			goto done;
		}
	}
	if (e->has_after && e->has_before && e->valid_before <= e->valid_after)
		r = line_error(l, kw_at, "valid-before is not later than valid-after");
done:
	pc_buf_release(&val);
	return r;
}

static int parse_signer_line(pc_signers *s, struct sline *l)
{
	const char *p = l->p;
	size_t i = 0, n = l->len, start, plen, end, bad;
	struct signer e;
	pc_error err = PC_ERROR_INIT;
	int r = PC_EINVAL, open_quote;

	memset(&e, 0, sizeof(e));
	while (i < n && is_blank((unsigned char)p[i]))
		i++;
	if (i == n || p[i] == '#')
		return 0;
	if (memchr(p, '\0', n))
		return line_error(l, (size_t)((const char *)memchr(p, '\0', n) - p), "NUL byte in the line");

	if (p[i] == '"') {
		start = ++i;
		while (i < n && p[i] != '"')
			i++;
		if (i == n)
			return line_error(l, start - 1, "missing closing quote after the principals");
		plen = i++ - start;
		if (i < n && !is_blank((unsigned char)p[i]))
			return line_error(l, i, "expected a space after the quoted principals");
	} else {
		start = i;
		while (i < n && !is_blank((unsigned char)p[i]))
			i++;
		plen = i - start;
	}
	e.line = l->lineno;
	e.column = (unsigned)start + 1;
	if (!(e.principals = pc_strndup(p + start, plen))) {
		r = line_nomem(l, start);
		goto done;
	}
	if ((r = check_list(l, start, e.principals, "principal")) < 0)
		goto done;
	while (i < n && is_blank((unsigned char)p[i]))
		i++;
	if (i == n) {
		r = line_error(l, i, "missing key after the principals");
		goto done;
	}
	end = options_end(l, i, &open_quote);
	if (looks_like_options(l, i, end)) {
		if (open_quote) {
			r = line_error(l, i, "missing closing quote in the options");
			goto done;
		}
		if ((r = parse_options(l, i, end, &e)) < 0)
			goto done;
		i = end;
		while (i < n && is_blank((unsigned char)p[i]))
			i++;
		if (i == n) {
			r = line_error(l, i, "missing key after the options");
			goto done;
		}
	}
	if ((r = parse_key_text(&e.key, p + i, n - i, &bad, &err)) < 0) {
		if (r == PC_ENOMEM)
			l->nomem = 1;
		r = line_error(l, i + bad, "%s", err.msg);
		goto done;
	}
	if (pc_grow((void **)&s->items, &s->alloc, s->n + 1, sizeof(*s->items)) < 0) {
		r = line_nomem(l, 0);
		goto done;
	}
	s->items[s->n++] = e;
	memset(&e, 0, sizeof(e));	/* transferred */
	r = 0;
done:
	free(e.principals);
	free(e.namespaces);
	pc_sshkey_free(e.key);
	return r;
}

int pc_signers_parse(pc_signers **out, const char *name, const char *text, size_t len,
	pc_diag *diags)
{
	pc_signers *s;
	struct sline l;
	const char *p = text, *end = text + len, *nl;

	*out = NULL;
	if (!(s = pc_calloc(1, sizeof(*s)))) {
		if (diags)
			pc_diag_add(diags, name, 0, 0, "out of memory");
		return PC_ENOMEM;
	}
	memset(&l, 0, sizeof(l));
	l.file = name;
	l.diags = diags;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l.p = p;
		l.len = (size_t)((nl ? nl : end) - p);
		l.lineno++;
		parse_signer_line(s, &l);
		p = nl ? nl + 1 : end;
	}
	if (l.failed) {
		pc_signers_free(s);
		return l.nomem ? PC_ENOMEM : PC_EINVAL;
	}
	*out = s;
	return 0;
}

int pc_signers_load(pc_signers **out, const char *path, pc_diag *diags)
{
	pc_error err = PC_ERROR_INIT;
	char *text = NULL;
	size_t len;
	int r;

	*out = NULL;
	if ((r = pc_read_file(&text, &len, path, PC_SIGNERS_MAX_SIZE, &err)) < 0) {
		if (diags)
			pc_diag_add(diags, NULL, 0, 0, "%s", err.msg);
		return r;
	}
	r = pc_signers_parse(out, path, text, len, diags);
	free(text);
	return r;
}

static int entry_applies(const struct signer *e, const pc_sshkey *key, const char *ns, int64_t when)
{
	if (!pc_sshkey_equal(e->key, key))
		return 0;
	if (e->namespaces && pc_sshsig_match_list(ns, e->namespaces) != 1)
		return 0;
	if (e->has_after && when < e->valid_after)
		return 0;
	if (e->has_before && when > e->valid_before)
		return 0;
	return 1;
}

int pc_signers_lookup(const pc_signers *s, const pc_sshkey *key, const char *ns,
	int64_t when, pc_strlist *principals)
{
	const char *p, *comma;
	char *one;
	size_t i, n;
	int r;

	for (i = 0; s && i < s->n; i++) {
		if (!entry_applies(&s->items[i], key, ns, when))
			continue;
		for (p = s->items[i].principals;; p = comma + 1) {
			comma = strchr(p, ',');
			n = comma ? (size_t)(comma - p) : strlen(p);
			if (n && *p != '!') {
				if (!(one = pc_strndup(p, n)))
					return PC_ENOMEM;
				r = pc_strlist_has(principals, one) ? 0 : pc_strlist_add(principals, one);
				free(one);
				if (r < 0)
					return r;
			}
			if (!comma)
				break;
		}
	}
	return 0;
}

size_t pc_signers_count(const pc_signers *s)
{
	return s ? s->n : 0;
}

int pc_signers_entry(const pc_signers *s, size_t i, const char *ns, const char **principals,
	const pc_sshkey **key, unsigned *line, unsigned *column)
{
	const struct signer *e = &s->items[i];

	*principals = e->principals;
	*key = e->key;
	*line = e->line;
	*column = e->column;
	return !ns || !e->namespaces || pc_sshsig_match_list(ns, e->namespaces) == 1;
}

int pc_signers_allows(const pc_signers *s, const pc_sshkey *key, const char *principal,
	const char *ns, int64_t when)
{
	size_t i;

	for (i = 0; s && i < s->n; i++)
		if (entry_applies(&s->items[i], key, ns, when) &&
		    pc_sshsig_match_list(principal, s->items[i].principals) == 1)
			return 1;
	return 0;
}

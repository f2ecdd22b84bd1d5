/*
 * sshkey.c: OpenSSH public keys: the wire blob (RFC 4253 ssh-rsa, RFC 5656
 * ecdsa, RFC 8709 ssh-ed25519) and the "TYPE BASE64 [comment]" text form,
 * fingerprints, and the check of one signature made by a key (RFC 8332
 * rsa-sha2-*), each parsed with the bounds-checked reader before OpenSSL
 * sees any of it.
 */
#include "config.h"
#include "sshkey.h"
#include "sshkey-int.h"
#include "sshreader-int.h"
#include "merkle.h"
#include "util.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
		if (pc_sshreader_span_is(name, n, keytypes[i].name))
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

	pc_sshreader_shown(buf, sizeof(buf), name, n);
	if (pc_sshreader_span_is(name, n, "ssh-dss"))
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

/*
 * check_only: the key is only judged (a policy's users: keys), never used.
 * OpenSSL takes any 32 bytes as an Ed25519 public key, so there is nothing
 * more to judge, and making one for each user of the policy cost more than
 * the rest of the policy's load.
 */
static int load_ed25519(pc_sshkey *key, pc_sshreader *rd, int check_only, pc_error *err)
{
	const unsigned char *pk;
	size_t n;
	int r;

	if ((r = pc_sshreader_get_string(rd, &pk, &n, "public key", "ed25519 key", err)) < 0)
		return r;
	if (n != 32)
		return pc_error_set(err, PC_EINVAL,
			"public key: an ssh-ed25519 key is 32 bytes, this one is %zu", n);
	if (check_only)
		return 0;
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

	if ((r = pc_sshreader_get_name(rd, &curve, &curve_len, "public key", "curve name", err)) < 0 ||
	    (r = pc_sshreader_get_string(rd, &q, &q_len, "public key", "ecdsa point", err)) < 0)
		return r;
	if (!pc_sshreader_span_is(curve, curve_len, kt->curve))
		return pc_error_set(err, PC_EINVAL,
			"public key: a %s key must be on curve %s, this one names '%s'",
			kt->name, kt->curve, pc_sshreader_shown(buf, sizeof(buf), curve, curve_len));
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

	if ((r = pc_sshreader_get_mpint(rd, &e, &e_len, "public key", "RSA exponent", err)) < 0 ||
	    (r = pc_sshreader_get_mpint(rd, &n, &n_len, "public key", "RSA modulus", err)) < 0)
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

static int from_blob(pc_sshkey **out, const unsigned char *blob, size_t len, int check_only,
	pc_error *err)
{
	pc_sshreader rd;
	const unsigned char *name;
	size_t name_len;
	pc_sshkey *key = NULL;
	int r = PC_EINVAL;

	*out = NULL;
	pc_sshreader_init(&rd, blob, len);
	if ((r = pc_sshreader_get_name(&rd, &name, &name_len, "public key", "key type", err)) < 0)
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
		r = load_ed25519(key, &rd, check_only, err);
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

int pc_sshkey_from_blob(pc_sshkey **out, const unsigned char *blob, size_t len, pc_error *err)
{
	return from_blob(out, blob, len, 0, err);
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The next field of s[*i..len) after any blanks: its offset in *at, its length returned. */
static size_t next_field(const char *s, size_t len, size_t *i, size_t *at)
{
	while (*i < len && is_space((unsigned char)s[*i]))
		(*i)++;
	*at = *i;
	while (*i < len && !is_space((unsigned char)s[*i]))
		(*i)++;
	return *i - *at;
}

/* The longest base64 we take for one key: a 16384-bit RSA key is under 2,800 characters. */
#define KEY_B64_MAX 8192

static int parse_text(pc_sshkey **out, const char *s, size_t len, size_t *bad, int check_only,
	pc_error *err)
{
	size_t i = 0, type_at, type_len, b64_at, b64_len;
	unsigned char *blob = NULL;
	size_t blob_len;
	pc_sshkey *key = NULL;
	char buf[128];
	int r = PC_EINVAL;

	*out = NULL;
	type_len = next_field(s, len, &i, &type_at);
	*bad = type_at;
	if (!type_len) {
		r = pc_error_set(err, PC_EINVAL, "missing key: expected \"TYPE BASE64 [comment]\"");
		goto done;
	}
	if (!find_keytype(s + type_at, type_len)) {
		r = unsupported_keytype(err, "key", s + type_at, type_len);
		goto done;
	}
	b64_len = next_field(s, len, &i, &b64_at);
	*bad = b64_at;
	if (!b64_len) {
		r = pc_error_set(err, PC_EINVAL, "missing base64 key data after '%s'",
			pc_sshreader_shown(buf, sizeof(buf), s + type_at, type_len));
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
	if ((r = from_blob(&key, blob, blob_len, check_only, err)) < 0)
		goto done;
	if (!pc_sshreader_span_is((const unsigned char *)s + type_at, type_len, key->type->name)) {
		*bad = type_at;
		r = pc_error_set(err, PC_EINVAL, "the key type is '%s' but the key data is an %s key",
			pc_sshreader_shown(buf, sizeof(buf), s + type_at, type_len), key->type->name);
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

int pc_sshkey_parse_text(pc_sshkey **out, const char *s, size_t len, size_t *bad, pc_error *err)
{
	return parse_text(out, s, len, bad, 0, err);
}

int pc_sshkey_parse(pc_sshkey **out, const char *line, pc_error *err)
{
	size_t bad;

	return pc_sshkey_parse_text(out, line, strlen(line), &bad, err);
}

int pc_sshkey_check(const char *line, pc_error *err)
{
	pc_sshkey *key = NULL;
	size_t bad;
	int r;

	r = parse_text(&key, line, strlen(line), &bad, 1, err);
	pc_sshkey_free(key);
	return r;
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
	if (!pc_sha256_md() ||
	    EVP_Digest(key->blob, key->blob_len, md, &md_len, pc_sha256_md(), NULL) != 1 || md_len != 32) {
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

int pc_sshkey_is_type_name(const char *p, size_t n)
{
	return find_keytype(p, n) || (n == 7 && !strncasecmp(p, "ssh-dss", 7)) ||
		(n >= 3 && !memcmp(p, "sk-", 3)) || is_cert_type(p, n);
}

/* Signatures made by a key */

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
		pc_sshreader_shown(buf, sizeof(buf), alg, n), key->type->name);
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
	if ((r = pc_sshreader_get_mpint(&rd, &rp, &r_len, "signature", "ecdsa r", err)) < 0 ||
	    (r = pc_sshreader_get_mpint(&rd, &sp, &s_len, "signature", "ecdsa s", err)) < 0)
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

int pc_sshkey_verify(const pc_sshkey *key, const unsigned char *sig, size_t sig_len,
	const unsigned char *data, size_t len, pc_error *err)
{
	const unsigned char *alg, *bytes;
	size_t alg_len, bytes_len;
	pc_sshreader rd;
	int r;

	pc_sshreader_init(&rd, sig, sig_len);
	if ((r = pc_sshreader_get_name(&rd, &alg, &alg_len, "signature", "signature type", err)) < 0 ||
	    (r = pc_sshreader_get_string(&rd, &bytes, &bytes_len, "signature", "signature bytes", err)) < 0)
		return r;
	if (pc_sshreader_end(&rd) < 0)
		return pc_error_set(err, PC_EINVAL, "signature: %zu bytes of trailing data after the signature bytes",
			rd.len);

	switch (key->type->kind) {
	case KIND_ED25519:
		if (!pc_sshreader_span_is(alg, alg_len, "ssh-ed25519"))
			return wrong_algorithm(err, key, alg, alg_len);
		if (bytes_len != 64)
			return pc_error_set(err, PC_EINVAL,
				"signature: an ssh-ed25519 signature is 64 bytes, this one is %zu", bytes_len);
		return evp_verify(key->pkey, NULL, bytes, bytes_len, data, len) ? 0 : bad_signature(err, key);
	case KIND_ECDSA:
		if (!pc_sshreader_span_is(alg, alg_len, key->type->name))
			return wrong_algorithm(err, key, alg, alg_len);
		return verify_ecdsa(key, bytes, bytes_len, data, len, err);
	case KIND_RSA:
		if (pc_sshreader_span_is(alg, alg_len, "rsa-sha2-256"))
			return verify_rsa(key, "SHA256", bytes, bytes_len, data, len, err);
		if (pc_sshreader_span_is(alg, alg_len, "rsa-sha2-512"))
			return verify_rsa(key, "SHA512", bytes, bytes_len, data, len, err);
		if (pc_sshreader_span_is(alg, alg_len, "ssh-rsa"))
			return pc_error_set(err, PC_EVERIFY,
				"refusing an ssh-rsa signature: it is made with SHA-1, which is broken; "
				"sign again with rsa-sha2-512 (what current ssh-keygen and git use)");
		return wrong_algorithm(err, key, alg, alg_len);
	}
	return pc_error_set(err, PC_EINVAL, "signature: unsupported key");
}

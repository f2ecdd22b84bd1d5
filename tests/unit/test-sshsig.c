/*
 * Unit tests for the sshsig module: the byte reader, key blobs, SSHSIG
 * blobs and armor built here in C (signed with a key made by OpenSSL),
 * tag splitting, pattern lists and allowed_signers diagnostics.
 * tests/t/t1200-sshsig.t covers the same against real ssh-keygen and git.
 */
#include "sshsig.h"
#include "buf.h"
#include "tap.h"
#include "../helpers/sshwire.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>

#define S(lit) (const unsigned char *)(lit), sizeof(lit) - 1

static void test_reader(void)
{
	pc_sshreader r;
	const unsigned char *p;
	size_t n;
	uint32_t v;

	pc_sshreader_init(&r, S("\x01\x02\x03\x04"));
	ok(pc_sshreader_u32(&r, &v) == 0 && v == 0x01020304 && r.len == 0, "u32 reads big-endian");
	is_int(pc_sshreader_u32(&r, &v), PC_ETRUNCATED, "u32 at the end is truncated");

	pc_sshreader_init(&r, S("\x01\x02\x03"));
	is_int(pc_sshreader_u32(&r, &v), PC_ETRUNCATED, "u32 from 3 bytes is truncated");
	is_int((long long)r.len, 3, "a failed read consumes nothing");

	pc_sshreader_init(&r, S("\0\0\0\3abc"));
	ok(pc_sshreader_string(&r, &p, &n) == 0 && n == 3 && !memcmp(p, "abc", 3), "string");
	is_int(pc_sshreader_end(&r), 0, "nothing left after the string");

	pc_sshreader_init(&r, S("\0\0\0\4abc"));
	is_int(pc_sshreader_string(&r, &p, &n), PC_ETRUNCATED, "string one byte longer than the data");
	is_int((long long)r.len, 7, "and nothing was consumed");

	pc_sshreader_init(&r, S("\xff\xff\xff\xff" "abc"));
	is_int(pc_sshreader_string(&r, &p, &n), PC_ETRUNCATED, "string of length 0xffffffff");
	pc_sshreader_init(&r, S("\xff\xff\xff\xfc" "abc"));
	is_int(pc_sshreader_string(&r, &p, &n), PC_ETRUNCATED,
		"a length that would wrap a 32-bit sum is still refused");
	pc_sshreader_init(&r, S("\x80\0\0\0"));
	is_int(pc_sshreader_string(&r, &p, &n), PC_ETRUNCATED, "string of length 2^31 over 4 bytes");
	pc_sshreader_init(&r, S("\0\0"));
	is_int(pc_sshreader_string(&r, &p, &n), PC_ETRUNCATED, "string with half a length");

	pc_sshreader_init(&r, S("\0\0\0\0" "x"));
	ok(pc_sshreader_string(&r, &p, &n) == 0 && n == 0, "zero-length string");
	is_int(pc_sshreader_end(&r), PC_EINVAL, "trailing byte is reported by end");

	pc_sshreader_init(&r, S("\0\0\0\3a\0b"));
	is_int(pc_sshreader_name(&r, &p, &n), PC_EINVAL, "a name with a NUL byte is refused");
	is_int((long long)r.len, 7, "and nothing was consumed");

	pc_sshreader_init(&r, S("ab"));
	is_int(pc_sshreader_bytes(&r, &p, 3), PC_ETRUNCATED, "bytes past the end");
	ok(pc_sshreader_bytes(&r, &p, 2) == 0 && r.len == 0, "bytes up to the end");

	pc_sshreader_init(&r, NULL, 10);
	is_int(pc_sshreader_u32(&r, &v), PC_ETRUNCATED, "a NULL span is empty whatever its length");
}

static void test_mpint(void)
{
	static const struct {
		const char *data;
		size_t len;
		int want;
		size_t mag_len;
	} cases[] = {
		{ "\0\0\0\0", 4, 0, 0 },			/* zero */
		{ "\0\0\0\1\x7f", 5, 0, 1 },
		{ "\0\0\0\2\0\x80", 6, 0, 1 },			/* sign byte stripped */
		{ "\0\0\0\1\x80", 5, PC_EINVAL, 0 },		/* negative */
		{ "\0\0\0\2\0\x7f", 6, PC_EINVAL, 0 },		/* needless zero byte */
		{ "\0\0\0\1\0", 5, PC_EINVAL, 0 },		/* zero written as one byte */
		{ "\0\0\0\3\0\x80", 6, PC_ETRUNCATED, 0 },
	};
	pc_sshreader r;
	const unsigned char *p;
	size_t i, n;

	for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
		pc_sshreader_init(&r, cases[i].data, cases[i].len);
		is_int(pc_sshreader_mpint(&r, &p, &n), cases[i].want, "mpint case %zu", i);
		if (cases[i].want == 0)
			is_int((long long)n, (long long)cases[i].mag_len, "mpint case %zu magnitude", i);
	}
}

static int key_from(pc_buf *b, pc_error *err)
{
	pc_sshkey *key = NULL;
	int r = pc_sshkey_from_blob(&key, (unsigned char *)b->ptr, b->len, err);

	ok((r == 0) == (key != NULL), "the key is returned exactly on success");
	pc_sshkey_free(key);
	return r;
}

static void test_key_blobs(void)
{
	static const unsigned char pk[32] = { 1, 2, 3 };
	unsigned char mod[384];
	pc_error err = PC_ERROR_INIT;
	pc_buf b = PC_BUF_INIT;
	size_t i;

	put_cstring(&b, "ssh-ed25519");
	put_string(&b, pk, 32);
	is_int(key_from(&b, &err), 0, "ed25519 blob");
	pc_buf_putc(&b, 'x');
	is_int(key_from(&b, &err), PC_EINVAL, "ed25519 blob with a trailing byte");
	ok(strstr(err.msg, "trailing data") != NULL, "says trailing data: %s", err.msg);
	pc_buf_truncate(&b, b.len - 2);
	is_int(key_from(&b, &err), PC_EINVAL, "ed25519 blob cut short");
	ok(strstr(err.msg, "truncated") != NULL, "says truncated: %s", err.msg);

	pc_buf_clear(&b);
	put_cstring(&b, "ssh-ed25519");
	put_string(&b, pk, 31);
	is_int(key_from(&b, &err), PC_EINVAL, "ed25519 key of 31 bytes");
	ok(strstr(err.msg, "32 bytes") != NULL, "says 32 bytes: %s", err.msg);

	pc_buf_clear(&b);
	is_int(key_from(&b, &err), PC_EINVAL, "empty blob");
	put_u32(&b, 0);
	is_int(key_from(&b, &err), PC_EINVAL, "zero-length key type");
	pc_buf_clear(&b);
	put_u32(&b, 0xffffffffu);
	pc_buf_puts(&b, "ssh-ed25519");
	is_int(key_from(&b, &err), PC_EINVAL, "key type length 0xffffffff");
	ok(strstr(err.msg, "truncated") != NULL, "says truncated: %s", err.msg);

	{
		static const char *types[] = { "ssh-dss", "sk-ssh-ed25519@openssh.com",
			"ssh-ed25519-cert-v01@openssh.com", "ssh-foo", "ecdsa-sha2-nistp224" };
		static const char *says[] = { "DSA", "security-key", "certificates", "unknown key type",
			"unknown key type" };

		for (i = 0; i < PC_ARRAY_SIZE(types); i++) {
			pc_buf_clear(&b);
			put_cstring(&b, types[i]);
			put_string(&b, pk, 32);
			is_int(key_from(&b, &err), PC_EINVAL, "key type %s is refused", types[i]);
			ok(strstr(err.msg, says[i]) != NULL, "with a reason: %s", err.msg);
		}
	}

	/* RSA: the modulus need not be a real one for the size checks */
	memset(mod, 0xa5, sizeof(mod));
	mod[sizeof(mod) - 1] |= 1;
	pc_buf_clear(&b);
	put_cstring(&b, "ssh-rsa");
	put_string(&b, "\x01\x00\x01", 3);
	put_u32(&b, 128 + 1);
	pc_buf_putc(&b, 0);
	pc_buf_put(&b, mod + sizeof(mod) - 128, 128);
	is_int(key_from(&b, &err), PC_EINVAL, "1024-bit RSA key");
	ok(strstr(err.msg, "1024 bits; at least 2048") != NULL, "says why: %s", err.msg);

	pc_buf_clear(&b);
	put_cstring(&b, "ssh-rsa");
	put_string(&b, "\x01\x00\x01", 3);
	put_u32(&b, 256 + 1);
	pc_buf_putc(&b, 0);
	pc_buf_put(&b, mod, 256);
	is_int(key_from(&b, &err), 0, "2048-bit RSA key");

	pc_buf_clear(&b);
	put_cstring(&b, "ssh-rsa");
	put_string(&b, "\x01\x00\x01", 3);
	put_string(&b, mod, 256);	/* top bit set and no sign byte: negative */
	is_int(key_from(&b, &err), PC_EINVAL, "negative RSA modulus");
	ok(strstr(err.msg, "RSA modulus") != NULL, "names the modulus: %s", err.msg);

	pc_buf_clear(&b);
	put_cstring(&b, "ssh-rsa");
	put_string(&b, "\x01\x00\x00", 3);
	put_u32(&b, 256 + 1);
	pc_buf_putc(&b, 0);
	pc_buf_put(&b, mod, 256);
	is_int(key_from(&b, &err), PC_EINVAL, "even RSA exponent");
	pc_buf_release(&b);
}

/* An uncompressed P-256 point from a fresh OpenSSL key. */
static size_t p256_point(unsigned char *q, size_t size)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t n = 0;

	if (pkey)
		EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, q, size, &n);
	EVP_PKEY_free(pkey);
	return n;
}

static void ecdsa_blob(pc_buf *b, const char *type, const char *curve, const unsigned char *q, size_t n)
{
	pc_buf_clear(b);
	put_cstring(b, type);
	put_cstring(b, curve);
	put_string(b, q, n);
}

static void test_ecdsa_blobs(void)
{
	unsigned char q[133];
	size_t n = p256_point(q, sizeof(q));
	pc_error err = PC_ERROR_INIT;
	pc_buf b = PC_BUF_INIT;

	is_int((long long)n, 65, "OpenSSL made an uncompressed P-256 point");
	ecdsa_blob(&b, "ecdsa-sha2-nistp256", "nistp256", q, n);
	is_int(key_from(&b, &err), 0, "ecdsa-sha2-nistp256 blob");

	ecdsa_blob(&b, "ecdsa-sha2-nistp256", "nistp384", q, n);
	is_int(key_from(&b, &err), PC_EINVAL, "curve name that does not match the type");
	ok(strstr(err.msg, "must be on curve nistp256, this one names 'nistp384'") != NULL,
		"says which: %s", err.msg);

	ecdsa_blob(&b, "ecdsa-sha2-nistp384", "nistp384", q, n);
	is_int(key_from(&b, &err), PC_EINVAL, "a P-256 point in a nistp384 key");

	q[64] ^= 1;
	ecdsa_blob(&b, "ecdsa-sha2-nistp256", "nistp256", q, n);
	is_int(key_from(&b, &err), PC_EINVAL, "point off the curve");
	ok(strstr(err.msg, "not on the curve") != NULL || strstr(err.msg, "not a valid") != NULL,
		"says so: %s", err.msg);
	q[64] ^= 1;

	q[0] = 0x02;
	ecdsa_blob(&b, "ecdsa-sha2-nistp256", "nistp256", q, 33);
	is_int(key_from(&b, &err), PC_EINVAL, "compressed point");
	ok(strstr(err.msg, "uncompressed") != NULL, "says uncompressed: %s", err.msg);

	memset(q, 0, sizeof(q));
	q[0] = 0x04;
	ecdsa_blob(&b, "ecdsa-sha2-nistp256", "nistp256", q, 65);
	is_int(key_from(&b, &err), PC_EINVAL, "the point (0, 0)");
	pc_buf_release(&b);
}

/* A real SSHSIG blob over msg, made with an OpenSSL Ed25519 key. */
struct signed_blob {
	EVP_PKEY *pkey;
	pc_buf key;		/* public key blob */
};

static void make_key(struct signed_blob *sb)
{
	unsigned char pk[32];
	size_t n = sizeof(pk);

	sb->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY_get_raw_public_key(sb->pkey, pk, &n);
	pc_buf_init(&sb->key, 0);
	put_cstring(&sb->key, "ssh-ed25519");
	put_string(&sb->key, pk, n);
}

/* Build a blob; each field can be overridden to make it malformed. */
static void build_sig(pc_buf *out, struct signed_blob *sb, const char *ns, const char *signed_ns,
	const char *hashalg, const char *sigtype, uint32_t version, const char *msg)
{
	unsigned char h[64], sig[64];
	unsigned int h_len = 0;
	size_t sig_len = sizeof(sig);
	pc_buf data = PC_BUF_INIT, inner = PC_BUF_INIT;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	EVP_Digest(msg, strlen(msg), h, &h_len, EVP_sha512(), NULL);
	pc_buf_put(&data, "SSHSIG", 6);
	put_cstring(&data, signed_ns);
	put_string(&data, "", 0);
	put_cstring(&data, "sha512");
	put_string(&data, h, h_len);
	EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, sb->pkey, NULL);
	EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)data.ptr, data.len);
	EVP_MD_CTX_free(ctx);

	put_cstring(&inner, sigtype);
	put_string(&inner, sig, sig_len);
	pc_buf_clear(out);
	pc_buf_put(out, "SSHSIG", 6);
	put_u32(out, version);
	put_string(out, sb->key.ptr, sb->key.len);
	put_cstring(out, ns);
	put_string(out, "", 0);
	put_cstring(out, hashalg);
	put_string(out, inner.ptr, inner.len);
	pc_buf_release(&data);
	pc_buf_release(&inner);
}

static int verify_buf(const pc_buf *b, const char *ns, const char *msg, pc_error *err)
{
	pc_sshkey *signer = NULL;
	int r = pc_sshsig_verify_blob(&signer, (unsigned char *)b->ptr, b->len, ns,
		(const unsigned char *)msg, strlen(msg), err);

	pc_sshkey_free(signer);
	return r;
}

static void test_sig_blobs(void)
{
	static const char msg[] = "object 1234\ntype commit\n\napprove\n";
	struct signed_blob sb;
	pc_error err = PC_ERROR_INIT;
	pc_buf b = PC_BUF_INIT, m = PC_BUF_INIT;
	pc_sshkey *signer = NULL, *key = NULL;
	size_t i;
	int all_refused;

	make_key(&sb);
	build_sig(&b, &sb, "git", "git", "sha512", "ssh-ed25519", 1, msg);
	is_int(pc_sshsig_verify_blob(&signer, (unsigned char *)b.ptr, b.len, "git",
		(const unsigned char *)msg, strlen(msg), &err), 0, "a good blob verifies (%s)", err.msg);
	pc_sshkey_from_blob(&key, (unsigned char *)sb.key.ptr, sb.key.len, &err);
	ok(pc_sshkey_equal(signer, key), "and names its signer");
	pc_sshkey_free(signer);
	pc_sshkey_free(key);

	is_int(verify_buf(&b, "git", "object 1234\ntype commit\n\napprovE\n", &err), PC_EVERIFY,
		"another message");
	ok(strstr(err.msg, "bad signature") != NULL, "says bad signature: %s", err.msg);
	is_int(verify_buf(&b, "file", msg, &err), PC_EVERIFY, "another namespace");
	is_str(err.msg, "signature namespace is 'git', expected 'file'", "says which namespaces");
	is_int(verify_buf(&b, "", msg, &err), PC_EINVAL, "an empty expected namespace");

	/* Every prefix of a good blob is refused as malformed. */
	all_refused = 1;
	for (i = 0; i < b.len; i++)
		if (pc_sshsig_verify_blob(NULL, (unsigned char *)b.ptr, i, "git",
				(const unsigned char *)msg, strlen(msg), &err) != PC_EINVAL)
			all_refused = 0;
	ok(all_refused, "every one of the %zu truncations is malformed", b.len);

	/* Every single-bit change is refused. */
	all_refused = 1;
	for (i = 0; i < b.len * 8; i++) {
		b.ptr[i / 8] ^= (char)(1 << (i % 8));
		if (verify_buf(&b, "git", msg, &err) == 0) {
			all_refused = 0;
			diag("bit %zu flipped still verifies", i);
		}
		b.ptr[i / 8] ^= (char)(1 << (i % 8));
	}
	ok(all_refused, "every one of the %zu single-bit changes is refused", b.len * 8);

	pc_buf_putc(&b, 0);
	is_int(verify_buf(&b, "git", msg, &err), PC_EINVAL, "trailing byte after the blob");
	ok(strstr(err.msg, "trailing data") != NULL, "says trailing data: %s", err.msg);

	build_sig(&b, &sb, "git", "git", "sha512", "ssh-ed25519", 2, msg);
	is_int(verify_buf(&b, "git", msg, &err), PC_EINVAL, "version 2");
	ok(strstr(err.msg, "unsupported signature version 2") != NULL, "says so: %s", err.msg);
	build_sig(&b, &sb, "git", "git", "sha512", "ssh-ed25519", 0, msg);
	is_int(verify_buf(&b, "git", msg, &err), PC_EINVAL, "version 0");

	build_sig(&b, &sb, "git", "git", "md5", "ssh-ed25519", 1, msg);
	is_int(verify_buf(&b, "git", msg, &err), PC_EINVAL, "hash md5");
	ok(strstr(err.msg, "unsupported hash algorithm 'md5'") != NULL, "says so: %s", err.msg);

	build_sig(&b, &sb, "", "", "sha512", "ssh-ed25519", 1, msg);
	is_int(verify_buf(&b, "git", msg, &err), PC_EINVAL, "empty namespace in the blob");

	build_sig(&b, &sb, "git", "file", "sha512", "ssh-ed25519", 1, msg);
	is_int(verify_buf(&b, "git", msg, &err), PC_EVERIFY, "signed for another namespace than it says");

	build_sig(&b, &sb, "git", "git", "sha512", "ecdsa-sha2-nistp256", 1, msg);
	is_int(verify_buf(&b, "git", msg, &err), PC_EVERIFY, "ecdsa signature type with an ed25519 key");
	ok(strstr(err.msg, "wrong algorithm for the key") != NULL, "says so: %s", err.msg);

	build_sig(&b, &sb, "gi\x01t", "git", "sha512", "ssh-ed25519", 1, msg);
	is_int(verify_buf(&b, "git", msg, &err), PC_EVERIFY, "control character in the namespace");
	ok(strstr(err.msg, "'gi\\x01t'") != NULL, "is shown escaped: %s", err.msg);

	/* A header with a huge length inside an otherwise good blob. */
	pc_buf_clear(&m);
	pc_buf_put(&m, "SSHSIG", 6);
	put_u32(&m, 1);
	put_u32(&m, 0xfffffff0u);
	pc_buf_put(&m, sb.key.ptr, sb.key.len);
	is_int(verify_buf(&m, "git", msg, &err), PC_EINVAL, "public key length 0xfffffff0");
	is_str(err.msg, "signature is truncated: it ends inside the public key", "says where");

	pc_buf_clear(&m);
	pc_buf_put(&m, "SSHSIH", 6);
	is_int(verify_buf(&m, "git", msg, &err), PC_EINVAL, "bad magic");
	ok(strstr(err.msg, "not an SSH signature") != NULL, "says so: %s", err.msg);

	pc_buf_release(&b);
	pc_buf_release(&m);
	pc_buf_release(&sb.key);
	EVP_PKEY_free(sb.pkey);
}

static char *armor_of(const pc_buf *b, const char *eol)
{
	char *b64 = pc_base64_encode((unsigned char *)b->ptr, b->len);
	pc_buf a = PC_BUF_INIT;
	size_t i, n = strlen(b64);

	pc_buf_printf(&a, "-----BEGIN SSH SIGNATURE-----%s", eol);
	for (i = 0; i < n; i += 70)
		pc_buf_printf(&a, "%.*s%s", (int)(n - i < 70 ? n - i : 70), b64 + i, eol);
	pc_buf_printf(&a, "-----END SSH SIGNATURE-----%s", eol);
	free(b64);
	return pc_buf_detach(&a);
}

static int verify_armor(const char *armor, size_t len, const char *msg, pc_error *err)
{
	pc_sshkey *signer = NULL;
	int r = pc_sshsig_verify(&signer, armor, len, "git", (const unsigned char *)msg, strlen(msg), err);

	pc_sshkey_free(signer);
	return r;
}

static void test_armor(void)
{
	static const char msg[] = "hello\n";
	struct signed_blob sb;
	pc_error err = PC_ERROR_INIT;
	pc_buf b = PC_BUF_INIT, t = PC_BUF_INIT;
	char *a, *big, *end;

	make_key(&sb);
	build_sig(&b, &sb, "git", "git", "sha512", "ssh-ed25519", 1, msg);
	a = armor_of(&b, "\n");
	is_int(verify_armor(a, strlen(a), msg, &err), 0, "armored signature verifies (%s)", err.msg);
	is_int(verify_armor(a, strlen(a) - 1, msg, &err), 0, "also without the final newline");

	pc_buf_clear(&t);
	pc_buf_puts(&t, a);
	pc_buf_puts(&t, "garbage\n");
	is_int(verify_armor(t.ptr, t.len, msg, &err), PC_EINVAL, "data after the END line");
	ok(strstr(err.msg, "trailing data after -----END SSH SIGNATURE-----") != NULL, "says so: %s", err.msg);

	pc_buf_clear(&t);
	pc_buf_puts(&t, a);
	pc_buf_puts(&t, "\n");
	is_int(verify_armor(t.ptr, t.len, msg, &err), PC_EINVAL, "an empty line after the END line");

	end = strstr(a, "-----END");
	is_int(verify_armor(a, (size_t)(end - a), msg, &err), PC_EINVAL, "no END line");
	ok(strstr(err.msg, "truncated") != NULL, "says truncated: %s", err.msg);

	is_int(verify_armor(a + 1, strlen(a) - 1, msg, &err), PC_EINVAL, "BEGIN line damaged");
	ok(strstr(err.msg, "does not start with -----BEGIN SSH SIGNATURE-----") != NULL, "says so: %s", err.msg);
	is_int(verify_armor("", 0, msg, &err), PC_EINVAL, "empty armor");

	a[40] = '!';
	is_int(verify_armor(a, strlen(a), msg, &err), PC_EINVAL, "non-base64 character");
	is_str(err.msg, "bad armor: line 2 has a character that is not base64 (0x21 at column 11)",
		"says where");
	free(a);

	a = armor_of(&b, "\r\n");
	is_int(verify_armor(a, strlen(a), msg, &err), 0, "CRLF line ends are accepted");
	free(a);

	pc_buf_clear(&t);
	pc_buf_puts(&t, "-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n");
	is_int(verify_armor(t.ptr, t.len, msg, &err), PC_EINVAL, "nothing between BEGIN and END");

	pc_buf_clear(&t);
	pc_buf_puts(&t, "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\nAA\n-----END SSH SIGNATURE-----\n");
	is_int(verify_armor(t.ptr, t.len, msg, &err), PC_EINVAL, "base64 of a bad length");
	ok(strstr(err.msg, "base64") != NULL, "says base64: %s", err.msg);

	big = malloc(PC_SSHSIG_MAX_ARMOR + 2);
	memset(big, 'A', PC_SSHSIG_MAX_ARMOR + 1);
	big[PC_SSHSIG_MAX_ARMOR + 1] = '\0';
	is_int(verify_armor(big, PC_SSHSIG_MAX_ARMOR + 1, msg, &err), PC_EINVAL, "oversized armor");
	ok(strstr(err.msg, "more than the limit") != NULL, "says limit: %s", err.msg);
	free(big);

	pc_buf_release(&b);
	pc_buf_release(&t);
	pc_buf_release(&sb.key);
	EVP_PKEY_free(sb.pkey);
}

static void test_split_tag(void)
{
	static const char ssh[] = "object 0123\ntype commit\ntag v1\ntagger T <t@x> 1 +0000\n\nmsg\n"
		"-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n";
	static const char pgp_last[] = "object 0123\n\nmsg\n-----BEGIN SSH SIGNATURE-----\nAAAA\n"
		"-----END SSH SIGNATURE-----\n-----BEGIN PGP SIGNATURE-----\nx\n-----END PGP SIGNATURE-----\n";
	static const char inline_marker[] = "object 0123\n\nsee -----BEGIN SSH SIGNATURE-----\n";
	size_t payload, sig_len;
	const char *sig;

	is_int(pc_sshsig_split_tag(ssh, strlen(ssh), &payload, &sig, &sig_len), 0, "split a signed tag");
	is_int((long long)payload, (long long)(strstr(ssh, "-----BEGIN") - ssh), "payload ends before the armor");
	ok(sig == ssh + payload && sig_len == strlen(ssh) - payload, "signature is the rest");
	is_int(pc_sshsig_split_tag(pgp_last, strlen(pgp_last), &payload, &sig, &sig_len), PC_ENOTFOUND,
		"a PGP signature after it is what git would check: not ours");
	is_int(pc_sshsig_split_tag(inline_marker, strlen(inline_marker), &payload, &sig, &sig_len),
		PC_ENOTFOUND, "a marker inside a line does not count");
	is_int(pc_sshsig_split_tag("", 0, &payload, &sig, &sig_len), PC_ENOTFOUND, "empty tag");
}

/* Commits split as git 2.39's parse_buffer_signed_by_header splits them. */
static void test_split_commit(void)
{
	static const struct { const char *name, *raw, *payload, *sig; int rc; } cases[] = {
		{ "one gpgsig header with continuation lines",
		  "tree 1\ngpgsig A\n B\n C\nauthor x\n\nmsg\n",
		  "tree 1\nauthor x\n\nmsg\n", "A\nB\nC\n", 0 },
		{ "no gpgsig header", "tree 1\n\nmsg\n", "tree 1\n\nmsg\n", "", PC_ENOTFOUND },
		{ "a gpgsig in the message is no signature",
		  "tree 1\n\nmsg\ngpgsig A\n B\n", "tree 1\n\nmsg\ngpgsig A\n B\n", "", PC_ENOTFOUND },
		{ "gpgsig-sha256 and its continuation are left out of the payload",
		  "tree 1\ngpgsig-sha256 X\n Y\ngpgsig A\n B\n\nm\n", "tree 1\n\nm\n", "A\nB\n", 0 },
		{ "any gpgsig* header is left out",
		  "tree 1\ngpgsig A\ngpgsigx Z\n W\nauthor x\n\nm\n", "tree 1\nauthor x\n\nm\n", "A\n", 0 },
		{ "two gpgsig headers are joined",
		  "tree 1\ngpgsig A\n B\ngpgsig C\n\nm\n", "tree 1\n\nm\n", "A\nB\nC\n", 0 },
		{ "a continuation after another header is payload",
		  "tree 1\ngpgsig A\nauthor x\n B\n\nm\n", "tree 1\nauthor x\n B\n\nm\n", "A\n", 0 },
		{ "only gpgsig-sha256: no signature", "tree 1\ngpgsig-sha256 A\n B\n\nm\n", "tree 1\n\nm\n",
		  "", PC_ENOTFOUND },
		{ "no message and no final newline", "tree 1\ngpgsig A", "tree 1\n", "A", 0 },
		{ "'gpgsig' without a value is another signature header", "tree 1\ngpgsig\n A\n\nm\n",
		  "tree 1\n\nm\n", "", PC_ENOTFOUND },
		{ "empty object", "", "", "", PC_ENOTFOUND },
	};
	static const struct { const char *armor; size_t want; } extents[] = {
		{ "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n", 63 },
		{ "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\ngarbage\n", 63 },
		{ "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----", 62 },
		{ "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----xyz\n", 62 },
		{ "garbage\n-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n", 71 },
		{ "-----BEGIN SSH SIGNATURE-----\nAAAA\n", 35 },
	};
	pc_buf payload = PC_BUF_INIT, sig = PC_BUF_INIT;
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
		pc_buf_clear(&payload);
		pc_buf_clear(&sig);
		is_int(pc_sshsig_split_commit(cases[i].raw, strlen(cases[i].raw), &payload, &sig), cases[i].rc,
			"split commit: %s", cases[i].name);
		is_str(payload.ptr, cases[i].payload, "split commit payload: %s", cases[i].name);
		is_str(sig.ptr, cases[i].sig, "split commit signature: %s", cases[i].name);
	}
	for (i = 0; i < PC_ARRAY_SIZE(extents); i++)
		is_int((long long)pc_sshsig_armor_extent(extents[i].armor, strlen(extents[i].armor)),
			(long long)extents[i].want, "armor extent %zu", i);
	pc_buf_release(&payload);
	pc_buf_release(&sig);
}

static void test_match_list(void)
{
	static const struct { const char *s, *list; int want; } cases[] = {
		{ "alice@example.com", "alice@example.com", 1 },
		{ "alice@example.com", "bob@example.com,alice@example.com", 1 },
		{ "alice@example.com", "*@example.com", 1 },
		{ "alice@example.com", "*@example.org", 0 },
		{ "alice@example.com", "alic?@example.com", 1 },
		{ "alice@example.com", "al*ce@*.com", 1 },
		{ "alice@example.com", "*@example.com,!alice@example.com", -1 },
		{ "bob@example.com", "*@example.com,!alice@example.com", 1 },
		{ "Alice@example.com", "alice@example.com", 0 },
		{ "git", "git,file", 1 },
		{ "file", "git", 0 },
		{ "", "*", 1 },
		{ "a", "", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*a*a*c", 0 },
	};
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(cases); i++)
		is_int(pc_sshsig_match_list(cases[i].s, cases[i].list), cases[i].want,
			"'%s' against '%s'", cases[i].s, cases[i].list);
}

static char *key_line(void)
{
	struct signed_blob sb;
	char *b64, *line;

	make_key(&sb);
	b64 = pc_base64_encode((unsigned char *)sb.key.ptr, sb.key.len);
	line = pc_asprintf("ssh-ed25519 %s comment", b64);
	free(b64);
	pc_buf_release(&sb.key);
	EVP_PKEY_free(sb.pkey);
	return line;
}

static void test_key_lines(void)
{
	char *line = key_line(), *bad;
	pc_error err = PC_ERROR_INIT;
	pc_sshkey *key = NULL, *again = NULL;
	char fp[64];

	is_int(pc_sshkey_parse(&key, line, &err), 0, "key line parses (%s)", err.msg);
	is_str(pc_sshkey_type(key), "ssh-ed25519", "its type");
	pc_sshkey_fingerprint(key, fp);
	ok(!strncmp(fp, "SHA256:", 7) && strlen(fp) == 50, "fingerprint %s has the ssh-keygen shape", fp);
	bad = pc_asprintf("  %s\n", line);
	is_int(pc_sshkey_parse(&again, bad, &err), 0, "surrounding blanks are fine");
	ok(pc_sshkey_equal(key, again), "and give the same key");
	free(bad);
	pc_sshkey_free(again);

	bad = pc_strdup(line);
	memcpy(bad, "ssh-rsa    ", 11);
	is_int(pc_sshkey_parse(&again, bad, &err), PC_EINVAL, "type that is not the blob's");
	ok(strstr(err.msg, "'ssh-rsa' but the key data is an ssh-ed25519 key") != NULL, "says so: %s", err.msg);
	free(bad);
	is_int(pc_sshkey_parse(&again, "ssh-ed25519", &err), PC_EINVAL, "type without data");
	ok(strstr(err.msg, "missing base64") != NULL, "says so: %s", err.msg);
	is_int(pc_sshkey_parse(&again, "ssh-ed25519 AAAA$AAA", &err), PC_EINVAL, "bad base64");
	is_int(pc_sshkey_parse(&again, "", &err), PC_EINVAL, "empty line");
	is_int(pc_sshkey_parse(&again, "ssh-dss AAAA", &err), PC_EINVAL, "DSA line");
	ok(again == NULL, "no key comes back on failure");
	pc_sshkey_free(key);
	free(line);
}

/* The template with each "KEY" replaced by key. */
static char *with_key(const char *tmpl, const char *key)
{
	pc_buf b = PC_BUF_INIT;
	const char *k;

	while ((k = strstr(tmpl, "KEY"))) {
		pc_buf_put(&b, tmpl, (size_t)(k - tmpl));
		pc_buf_puts(&b, key);
		tmpl = k + 3;
	}
	pc_buf_puts(&b, tmpl);
	return pc_buf_detach(&b);
}

static void test_signers(void)
{
	char *line = key_line(), *other = key_line(), *text;
	pc_diag diags = PC_DIAG_INIT;
	pc_error err = PC_ERROR_INIT;
	pc_signers *s = NULL;
	pc_sshkey *key = NULL, *okey = NULL;
	pc_strlist got = PC_STRLIST_INIT;
	size_t i;
	/* 2024-01-01T00:00:00Z and 2025-01-01T00:00:00Z */
	const int64_t t2024 = 1704067200, t2025 = 1735689600;
	static const struct { const char *line; const char *want; } bad[] = {
		{ "alice@x", "f:1:8: missing key after the principals" },
		{ "alice@x cert-authority KEY", "f:1:9: cert-authority is not supported" },
		{ "alice@x namespaces=git KEY", "f:1:20: the value of namespaces must be in double quotes" },
		{ "alice@x namespaces=\"git\",namespaces=\"file\" KEY", "f:1:26: namespaces given twice" },
		{ "alice@x foo=\"x\" KEY", "f:1:9: unknown option 'foo'" },
		{ "alice@x valid-after=\"2024\" KEY", "f:1:22: invalid time '2024' for valid-after" },
		{ "alice@x valid-after=\"20240230\" KEY", "f:1:22: invalid time '20240230'" },
		{ "alice@x valid-after=\"20240101\",valid-before=\"20230101\" KEY",
			"valid-before is not later than valid-after" },
		{ "alice@x namespaces=\"git KEY", "f:1:9: missing closing quote" },
		{ "alice@x, KEY", "f:1:9: empty principal in the list" },
		{ "\"alice@x KEY", "f:1:1: missing closing quote after the principals" },
		{ "alice@x ssh-ed25519 AAAA", "f:1:21: public key is truncated" },
		{ "alice@x namespaces=\"git,\" KEY", "empty namespace in the list" },
		{ "alice@x namespaces=\"git\", KEY", "f:1:25: the option list ends with ','" },
		{ "alice@x ssh-dss AAAA", "f:1:9: key: ssh-dss (DSA) keys are not supported" },
		{ "alice@x no-touch-required KEY", "f:1:9: unknown option 'no-touch-required'" },
		{ "alice@x ssh-ed2551 AAAA", "f:1:9: key: unknown key type 'ssh-ed2551'" },
		{ "alice@x ssh-ed25519-cert-v01@openssh.com AAAA", "f:1:9: key: certificates" },
	};

	for (i = 0; i < PC_ARRAY_SIZE(bad); i++) {
		text = with_key(bad[i].line, line);
		pc_diag_clear(&diags);
		is_int(pc_signers_parse(&s, "f", text, strlen(text), &diags), PC_EINVAL, "refused: %s", text);
		ok(s == NULL, "and nothing is returned");
		pc_diag_to_error(&diags, &err);
		ok(strstr(err.msg, bad[i].want) != NULL, "says '%s': %s", bad[i].want, err.msg);
		free(text);
	}

	text = pc_asprintf("# comment\n\n   \nx@y %s\n\"bad\n", line);
	pc_diag_clear(&diags);
	is_int(pc_signers_parse(&s, "f", text, strlen(text), &diags), PC_EINVAL, "one bad line refuses the file");
	pc_diag_to_error(&diags, &err);
	ok(strstr(err.msg, "f:5:1:") != NULL, "and names line 5: %s", err.msg);
	free(text);

	pc_sshkey_parse(&key, line, &err);
	pc_sshkey_parse(&okey, other, &err);
	text = pc_asprintf("# team\nalice@x,*@ops.x,!eve@ops.x %s\r\n"
		"bob@x namespaces=\"file\" %s\n"
		"carol@x valid-after=\"20240101Z\",valid-before=\"20250101Z\" %s\n"
		"dave@x %s\n", line, line, line, other);
	pc_diag_clear(&diags);
	is_int(pc_signers_parse(&s, "f", text, strlen(text), &diags), 0, "a good file parses");
	pc_diag_print(&diags, stdout);

	pc_signers_lookup(s, key, "git", t2024, &got);
	is_int((long long)got.n, 3, "three principals for git at 2024-01-01");
	ok(got.n == 3 && !strcmp(got.items[0], "alice@x") && !strcmp(got.items[1], "*@ops.x") &&
		!strcmp(got.items[2], "carol@x"), "alice@x, *@ops.x and carol@x (exclusions left out)");
	pc_strlist_clear(&got);
	pc_signers_lookup(s, key, "file", t2024 - 1, &got);
	ok(got.n == 3 && !strcmp(got.items[2], "bob@x"), "bob@x only for file; carol not before valid-after");
	pc_strlist_clear(&got);
	pc_signers_lookup(s, key, "git", t2025, &got);
	ok(got.n == 3 && !strcmp(got.items[2], "carol@x"), "valid-before includes its own second");
	pc_strlist_clear(&got);
	pc_signers_lookup(s, key, "git", t2025 + 1, &got);
	is_int((long long)got.n, 2, "carol's key expired a second later");
	pc_strlist_clear(&got);

	ok(pc_signers_allows(s, key, "ann@ops.x", "git", t2024), "a wildcard principal allows ann@ops.x");
	ok(!pc_signers_allows(s, key, "eve@ops.x", "git", t2024), "but excludes eve@ops.x");
	ok(!pc_signers_allows(s, key, "bob@x", "git", t2024), "bob@x may not sign for git");
	ok(pc_signers_allows(s, key, "bob@x", "file", t2024), "bob@x may sign files");
	ok(!pc_signers_allows(s, key, "dave@x", "git", t2024), "dave@x is another key's");
	ok(pc_signers_allows(s, okey, "dave@x", "git", t2024), "dave@x with his own key");
	ok(!pc_signers_allows(s, okey, "alice@x", "git", t2024), "alice@x is not dave's key");
	pc_signers_free(s);
	free(text);

	pc_diag_clear(&diags);
	is_int(pc_signers_load(&s, "/nonexistent/allowed_signers", &diags), PC_ENOTFOUND, "missing file");
	pc_diag_to_error(&diags, &err);
	ok(strstr(err.msg, "/nonexistent/allowed_signers") != NULL, "names it: %s", err.msg);

	pc_diag_clear(&diags);
	pc_sshkey_free(key);
	pc_sshkey_free(okey);
	free(line);
	free(other);
}

int main(void)
{
	test_reader();
	test_mpint();
	test_key_blobs();
	test_ecdsa_blobs();
	test_sig_blobs();
	test_armor();
	test_split_tag();
	test_split_commit();
	test_match_list();
	test_key_lines();
	test_signers();
	return done_testing();
}

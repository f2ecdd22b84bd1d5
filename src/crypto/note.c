/*
 * note.c: C2SP signed notes and tlog checkpoints with Ed25519 keys
 * (OpenSSL EVP).
 */
#include "config.h"
#include "note.h"
#include "json.h"
#include "merkle.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define ED25519_SIG_LEN 64
#define SIG_TYPE_ED25519 0x01
#define NOTE_MAX_SIGS 100

/* The em dash that starts a signature line, U+2014, and the space after it. */
static const char sig_prefix[] = "\xe2\x80\x94 ";

struct pc_note_signer {
	EVP_PKEY *key;
	pc_note_verifier v;
};

int pc_note_name_valid(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t len = strlen(name), i = 0, seq;

	if (!len)
		return 0;
	while (i < len) {
		if (p[i] <= 0x20 || p[i] == 0x7f || p[i] == '+')
			return 0;
		if (!(seq = pc_utf8_seq_len(p + i, len - i)))
			return 0;
		/* Unicode spaces outside ASCII: U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028/9, U+202F, U+205F, U+3000. */
		if ((seq == 2 && p[i] == 0xc2 && (p[i + 1] == 0x85 || p[i + 1] == 0xa0)) ||
		    (seq == 3 && p[i] == 0xe1 && p[i + 1] == 0x9a && p[i + 2] == 0x80) ||
		    (seq == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
		     (p[i + 2] <= 0x8a || p[i + 2] == 0xa8 || p[i + 2] == 0xa9 || p[i + 2] == 0xaf)) ||
		    (seq == 3 && p[i] == 0xe2 && p[i + 1] == 0x81 && p[i + 2] == 0x9f) ||
		    (seq == 3 && p[i] == 0xe3 && p[i + 1] == 0x80 && p[i + 2] == 0x80))
			return 0;
		i += seq;
	}
	return 1;
}

int pc_note_key_id(uint32_t *out, const char *name, const unsigned char pub[32])
{
	unsigned char h[PC_HASH_LEN];
	pc_buf b = PC_BUF_INIT;
	int r;

	pc_buf_puts(&b, name);
	pc_buf_putc(&b, '\n');
	pc_buf_putc(&b, SIG_TYPE_ED25519);
	pc_buf_put(&b, pub, 32);
	if ((r = pc_buf_error(&b)) == 0 && (r = pc_sha256(h, b.ptr, b.len)) == 0)
		*out = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	pc_buf_release(&b);
	return r;
}

static int vkey_string(char **out, const pc_note_verifier *v)
{
	unsigned char raw[33];
	char *b64;

	raw[0] = SIG_TYPE_ED25519;
	memcpy(raw + 1, v->pub, 32);
	if (!(b64 = pc_base64_encode(raw, sizeof(raw))))
		return PC_ENOMEM;
	*out = pc_asprintf("%s+%08x+%s", v->name, (unsigned)v->id, b64);
	free(b64);
	return *out ? 0 : PC_ENOMEM;
}

/* A PEM callback that refuses to ask for a passphrase. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(int *)u = 1;
	return -1;
}

/*
 * The usual Ed25519 key file, PKCS#8 v1 without attributes, is 48 fixed DER
 * bytes ending in the 32-byte seed.  Reading it here costs ~0.08 ms where
 * OpenSSL's generic decoder takes ~0.8 ms, most of an append's CPU time.
 * Any other form returns NULL and goes through OpenSSL.
 */
static EVP_PKEY *ed25519_from_pem(const char *pem, size_t len)
{
	static const char begin[] = "-----BEGIN PRIVATE KEY-----\n", end[] = "-----END PRIVATE KEY-----";
	static const unsigned char prefix[16] = {
		0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
	};
	char b64[128];
	unsigned char *der = NULL;
	size_t n = 0, derlen = 0, i;
	EVP_PKEY *key = NULL;

	if (len < sizeof(begin) || memcmp(pem, begin, sizeof(begin) - 1))
		return NULL;
	for (i = sizeof(begin) - 1; i < len && pem[i] != '-'; i++) {
		if (pem[i] == '\n' || pem[i] == '\r')
			continue;
		if (n == sizeof(b64))
			goto done;
		b64[n++] = pem[i];
	}
	if (len - i < sizeof(end) - 1 || memcmp(pem + i, end, sizeof(end) - 1))
		goto done;
	if (pc_base64_decode(&der, &derlen, b64, n) == 0 && derlen == 48 && !memcmp(der, prefix, sizeof(prefix)))
		key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, der + 16, 32);
done:
	OPENSSL_cleanse(b64, sizeof(b64));
	if (der) {
		OPENSSL_cleanse(der, derlen);
		free(der);
	}
	return key;
}

int pc_note_signer_load(pc_note_signer **out, const char *key_path, const char *name, pc_error *err)
{
	pc_note_signer *s = NULL;
	struct stat st;
	char *pem = NULL;
	size_t pem_len = 0, pub_len = 32;
	BIO *bio = NULL;
	int asked = 0, r = PC_ERROR;

	*out = NULL;
	if (!pc_note_name_valid(name))
		return pc_error_set(err, PC_EINVAL,
			"audit origin '%s' cannot name a key: use a non-empty name without spaces or '+', "
			"such as git.example.com/policy-check", name);
	if ((r = pc_check_safe_path(key_path, PC_SAFE_NO_SYMLINK, err)) < 0) {
		if (r == PC_ENOTFOUND)
			pc_error_set(err, r, "%s: the audit key does not exist; create it with "
				"policy-check audit keygen --origin %s PREFIX, or fix audit.key in the policy",
				key_path, name);
		return r;
	}
	if (stat(key_path, &st) < 0)
		return pc_error_set(err, PC_EIO, "%s: %s", key_path, strerror(errno));
	if (st.st_mode & S_IRWXO)
		return pc_error_set(err, PC_EUNSAFE,
			"%s: refusing a private key that others can read (mode %04o); run chmod o-rwx on it",
			key_path, (unsigned)(st.st_mode & 07777));
	if ((r = pc_read_file(&pem, &pem_len, key_path, 65536, err)) < 0)
		return r;
	r = PC_ERROR;
	if (!(s = pc_calloc(1, sizeof(*s))) || !(s->v.name = pc_strdup(name))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if (!(s->key = ed25519_from_pem(pem, pem_len))) {
		if (!(bio = BIO_new_mem_buf(pem, (int)pem_len))) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		s->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked);
	}
	if (!s->key) {
		r = pc_error_set(err, PC_EINVAL, asked ?
			"%s: the audit key is encrypted; the hooks cannot ask for a passphrase, "
			"so store it unencrypted with mode 0600" :
			"%s: not a PKCS#8 PEM private key; create one with policy-check audit keygen",
			key_path);
		goto done;
	}
	if (!EVP_PKEY_is_a(s->key, "ED25519")) {
		r = pc_error_set(err, PC_EINVAL,
			"%s: the audit key must be Ed25519; create one with policy-check audit keygen",
			key_path);
		goto done;
	}
	if (EVP_PKEY_get_raw_public_key(s->key, s->v.pub, &pub_len) != 1 || pub_len != 32) {
		r = pc_error_set(err, PC_EINVAL, "%s: cannot read the public half of the key", key_path);
		goto done;
	}
	if ((r = pc_note_key_id(&s->v.id, name, s->v.pub)) < 0) {
		pc_error_set(err, r, "cannot hash the key id");
		goto done;
	}
	*out = s;
	s = NULL;	/* transferred */
	r = 0;
done:
	BIO_free(bio);
	if (pem) {
		OPENSSL_cleanse(pem, pem_len);
		free(pem);
	}
	pc_note_signer_free(s);
	return r;
}

void pc_note_signer_free(pc_note_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	pc_note_verifier_release(&s->v);
	free(s);
}

int pc_note_signer_derive(unsigned char out[32], const pc_note_signer *s, const char *label,
	pc_error *err)
{
	unsigned char seed[32];
	size_t seed_len = sizeof(seed);
	EVP_MD_CTX *md = NULL;
	unsigned int out_len = 0;
	int r = PC_ERROR;

	if (EVP_PKEY_get_raw_private_key(s->key, seed, &seed_len) != 1 || seed_len != sizeof(seed)) {
		r = pc_error_set(err, PC_EINVAL, "cannot read the private half of the audit key");
		goto done;
	}
	if (!(md = EVP_MD_CTX_new()) || !pc_sha256_md() || EVP_DigestInit_ex(md, pc_sha256_md(), NULL) != 1 ||
	    EVP_DigestUpdate(md, label, strlen(label) + 1) != 1 ||
	    EVP_DigestUpdate(md, seed, sizeof(seed)) != 1 ||
	    EVP_DigestFinal_ex(md, out, &out_len) != 1 || out_len != 32) {
		r = pc_error_set(err, PC_ENOMEM, "cannot derive a key from the audit key");
		goto done;
	}
	r = 0;
done:
	OPENSSL_cleanse(seed, sizeof(seed));
	EVP_MD_CTX_free(md);
	return r;
}

int pc_hmac_hex(char out[65], const unsigned char key[32], const char *prefix, const char *body,
	size_t len)
{
	unsigned char mac[32];
	EVP_MAC *alg = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t got = 0;
	int r = PC_ERROR;

	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!(alg = EVP_MAC_fetch(NULL, "HMAC", NULL)) || !(ctx = EVP_MAC_CTX_new(alg)) ||
	    EVP_MAC_init(ctx, key, 32, params) != 1 ||
	    (prefix && EVP_MAC_update(ctx, (const unsigned char *)prefix, strlen(prefix)) != 1) ||
	    EVP_MAC_update(ctx, (const unsigned char *)body, len) != 1 ||
	    EVP_MAC_final(ctx, mac, &got, sizeof(mac)) != 1 || got != sizeof(mac))
		goto done;
	pc_hex(out, mac, got);
	r = 0;
done:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(alg);
	return r;
}

int pc_note_signer_vkey(char **out, const pc_note_signer *s)
{
	return vkey_string(out, &s->v);
}

const pc_note_verifier *pc_note_signer_verifier(const pc_note_signer *s)
{
	return &s->v;
}

int pc_note_sign(pc_buf *out, const pc_note_signer *s, const char *text, size_t len, pc_error *err)
{
	unsigned char sig[4 + ED25519_SIG_LEN];
	size_t siglen = ED25519_SIG_LEN;
	EVP_MD_CTX *ctx = NULL;
	char *b64 = NULL;
	int r = PC_ERROR;

	if (!len || text[len - 1] != '\n')
		return pc_error_set(err, PC_EINVAL, "note text must end with a newline");
	sig[0] = (unsigned char)(s->v.id >> 24);
	sig[1] = (unsigned char)(s->v.id >> 16);
	sig[2] = (unsigned char)(s->v.id >> 8);
	sig[3] = (unsigned char)s->v.id;
	if (!(ctx = EVP_MD_CTX_new()) ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->key) != 1 ||
	    EVP_DigestSign(ctx, sig + 4, &siglen, (const unsigned char *)text, len) != 1 ||
	    siglen != ED25519_SIG_LEN) {
		r = pc_error_set(err, PC_ERROR, "signing the checkpoint failed");
		goto done;
	}
	if (!(b64 = pc_base64_encode(sig, sizeof(sig)))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	pc_buf_put(out, text, len);
	pc_buf_putc(out, '\n');
	pc_buf_puts(out, sig_prefix);
	pc_buf_puts(out, s->v.name);
	pc_buf_putc(out, ' ');
	pc_buf_puts(out, b64);
	pc_buf_putc(out, '\n');
	r = pc_buf_error(out) ? pc_error_set(err, PC_ENOMEM, "out of memory") : 0;
done:
	EVP_MD_CTX_free(ctx);
	free(b64);
	return r;
}

/* Create path exclusively with mode and write data to it, durably. */
static int write_new_file(const char *path, const void *data, size_t len, mode_t mode, pc_error *err)
{
	const char *p = data;
	ssize_t w;
	int fd;

	if (pc_fault("open"))
		errno = EIO, fd = -1;
	else
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return pc_error_set(err, errno == EEXIST ? PC_EINVAL : PC_EIO, errno == EEXIST ?
			"%s: already exists; refusing to overwrite a key (choose another prefix)" :
			"%s: cannot create: %s", path, strerror(errno));
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (len) {
		if (pc_fault("write"))
			errno = EIO, w = -1;
		else
			w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (pc_fault("fsync")) {
		errno = EIO;
		goto fail;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	pc_error_set(err, PC_EIO, "%s: cannot write: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return PC_EIO;
}

int pc_note_keygen(char **vkey_out, const char *prefix, const char *name, pc_error *err)
{
	pc_note_verifier v = { NULL, 0, { 0 } };
	char *key_path = NULL, *vkey_path = NULL, *vkey = NULL, *line = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	char *pem;
	long pem_len;
	size_t pub_len = 32;
	int r = PC_ERROR, key_written = 0;

	if (vkey_out)
		*vkey_out = NULL;
	if (!pc_note_name_valid(name))
		return pc_error_set(err, PC_EINVAL,
			"invalid origin '%s': use a non-empty name without spaces or '+', such as "
			"git.example.com/policy-check", name);
	if (!(key_path = pc_asprintf("%s.key", prefix)) || !(vkey_path = pc_asprintf("%s.vkey", prefix)) ||
	    !(v.name = pc_strdup(name))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if (access(vkey_path, F_OK) == 0) {
		r = pc_error_set(err, PC_EINVAL, "%s: already exists; refusing to overwrite a key (choose another prefix)",
			vkey_path);
		goto done;
	}
	if (!(key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) ||
	    EVP_PKEY_get_raw_public_key(key, v.pub, &pub_len) != 1 || pub_len != 32) {
		r = pc_error_set(err, PC_ERROR, "generating an Ed25519 key failed");
		goto done;
	}
	if ((r = pc_note_key_id(&v.id, name, v.pub)) < 0 || (r = vkey_string(&vkey, &v)) < 0 ||
	    !(line = pc_asprintf("%s\n", vkey))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if (!(bio = BIO_new(BIO_s_mem())) ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (pem_len = BIO_get_mem_data(bio, &pem)) <= 0) {
		r = pc_error_set(err, PC_ERROR, "encoding the private key failed");
		goto done;
	}
	r = write_new_file(key_path, pem, (size_t)pem_len, 0600, err);
	OPENSSL_cleanse(pem, (size_t)pem_len);
	if (r < 0)
		goto done;
	key_written = 1;
	if ((r = write_new_file(vkey_path, line, strlen(line), 0644, err)) < 0)
		goto done;
	if (vkey_out) {
		*vkey_out = vkey;
		vkey = NULL;	/* transferred */
	}
	r = 0;
done:
	if (r < 0 && key_written)
		unlink(key_path);
	BIO_free(bio);
	EVP_PKEY_free(key);
	pc_note_verifier_release(&v);
	free(key_path);
	free(vkey_path);
	free(vkey);
	free(line);
	return r;
}

int pc_note_verifier_parse(pc_note_verifier *out, const char *vkey, size_t len, pc_error *err)
{
	const char *plus1, *plus2;
	unsigned char *raw = NULL, idb[4];
	size_t rawlen = 0;
	uint32_t id, want;
	char *name = NULL;
	int r = PC_EINVAL;

	memset(out, 0, sizeof(*out));
	while (len && (vkey[len - 1] == '\n' || vkey[len - 1] == '\r'))
		len--;
	if (!(plus1 = memchr(vkey, '+', len)) ||
	    !(plus2 = memchr(plus1 + 1, '+', len - (size_t)(plus1 + 1 - vkey))))
		return pc_error_set(err, PC_EINVAL,
			"not a verifier key: expected <origin>+<key id>+<base64 key>, as written by audit keygen");
	if (plus2 - plus1 - 1 != 8 || pc_unhex(idb, plus1 + 1, 4) < 0)
		return pc_error_set(err, PC_EINVAL, "verifier key: the key id must be 8 hex digits");
	id = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 | (uint32_t)idb[2] << 8 | idb[3];
	if (!(name = pc_strndup(vkey, (size_t)(plus1 - vkey))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	if (!pc_note_name_valid(name)) {
		r = pc_error_set(err, PC_EINVAL, "verifier key: invalid key name '%s'", name);
		goto done;
	}
	if ((r = pc_base64_decode(&raw, &rawlen, plus2 + 1, len - (size_t)(plus2 + 1 - vkey))) == PC_ENOMEM) {
		r = pc_error_set(err, r, "out of memory");
		goto done;
	}
	if (r < 0 || rawlen != 33 || raw[0] != SIG_TYPE_ED25519) {
		r = pc_error_set(err, PC_EINVAL, "verifier key: not the base64 of an Ed25519 key (0x01 and 32 bytes)");
		goto done;
	}
	if ((r = pc_note_key_id(&want, name, raw + 1)) < 0)
		goto done;
	if (want != id) {
		r = pc_error_set(err, PC_EINVAL,
			"verifier key: key id %08x does not match the key (its id is %08x); the key was altered",
			(unsigned)id, (unsigned)want);
		goto done;
	}
	out->name = name;
	name = NULL;	/* transferred */
	out->id = id;
	memcpy(out->pub, raw + 1, 32);
	r = 0;
done:
	free(name);
	free(raw);
	return r;
}

void pc_note_verifier_release(pc_note_verifier *v)
{
	if (!v)
		return;
	free(v->name);
	v->name = NULL;
}

static int ed25519_verify(const unsigned char pub[32], const char *text, size_t len, const unsigned char *sig)
{
	EVP_PKEY *key;
	EVP_MD_CTX *ctx = NULL;
	int ok = 0;

	if (!(key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32)))
		return PC_ENOMEM;
	if ((ctx = EVP_MD_CTX_new()) && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1)
		ok = EVP_DigestVerify(ctx, sig, ED25519_SIG_LEN, (const unsigned char *)text, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok ? 0 : PC_EVERIFY;
}

/* Offset of the signed text's end: just after the first newline of the last "\n\n". */
static int split_note(size_t *text_len, const char *note, size_t len)
{
	size_t i;

	for (i = len - 1; i > 0; i--)
		if (note[i] == '\n' && note[i - 1] == '\n') {
			*text_len = i;
			return 0;
		}
	return PC_EINVAL;
}

int pc_note_verify(size_t *text_len, const pc_note_verifier *v, const char *note, size_t len, pc_error *err)
{
	const unsigned char *p = (const unsigned char *)note;
	size_t i, seq, tlen, nsig = 0, name_len;
	uint32_t other_id = 0;
	int found = 0, same_name = 0, r;
	char names[256] = "";

	*text_len = 0;
	if (len > PC_NOTE_MAX)
		return pc_error_set(err, PC_ELIMIT, "note is larger than %d bytes", PC_NOTE_MAX);
	if (!len || note[len - 1] != '\n')
		return pc_error_set(err, PC_EINVAL, "not a signed note: it does not end with a newline");
	for (i = 0; i < len; i += seq) {
		if ((p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7f)
			return pc_error_set(err, PC_EINVAL, "not a signed note: control character at byte %zu", i + 1);
		if (!(seq = pc_utf8_seq_len(p + i, len - i)))
			return pc_error_set(err, PC_EINVAL, "not a signed note: invalid UTF-8 at byte %zu", i + 1);
	}
	if (split_note(&tlen, note, len) < 0 || tlen == 0)
		return pc_error_set(err, PC_EINVAL, "not a signed note: no blank line before the signatures");
	for (i = tlen + 1; i < len;) {
		const char *line = note + i, *nl = memchr(line, '\n', len - i), *sp;
		unsigned char *sig = NULL;
		size_t siglen = 0;
		uint32_t id;

		if (++nsig > NOTE_MAX_SIGS)
			return pc_error_set(err, PC_ELIMIT, "note has more than %d signatures", NOTE_MAX_SIGS);
		if ((size_t)(nl - line) < sizeof(sig_prefix) || memcmp(line, sig_prefix, sizeof(sig_prefix) - 1))
			return pc_error_set(err, PC_EINVAL, "not a signed note: a signature line must start with an em dash and a space");
		line += sizeof(sig_prefix) - 1;
		if (!(sp = memchr(line, ' ', (size_t)(nl - line))) || sp == line)
			return pc_error_set(err, PC_EINVAL, "not a signed note: malformed signature line");
		name_len = (size_t)(sp - line);
		if ((r = pc_base64_decode(&sig, &siglen, sp + 1, (size_t)(nl - sp - 1))) < 0 || siglen < 5) {
			free(sig);
			if (r == PC_ENOMEM)	/* not a verdict on the note */
				return pc_error_set(err, r, "out of memory");
			return pc_error_set(err, PC_EINVAL, "not a signed note: a signature is not valid base64");
		}
		id = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 | (uint32_t)sig[2] << 8 | sig[3];
		if (name_len == strlen(v->name) && !memcmp(line, v->name, name_len)) {
			same_name = 1;
			if (id == v->id) {
				r = siglen == 4 + ED25519_SIG_LEN ? ed25519_verify(v->pub, note, tlen, sig + 4) : PC_EVERIFY;
				free(sig);
				if (r == PC_ENOMEM)
					return pc_error_set(err, r, "out of memory");
				if (r < 0)
					return pc_error_set(err, PC_EVERIFY,
						"the signature by %s (key id %08x) does not verify: the note was modified "
						"after it was signed", v->name, (unsigned)v->id);
				found = 1;
			} else {
				other_id = id;
				free(sig);
			}
		} else {
			free(sig);
			if (strlen(names) + name_len + 3 < sizeof(names)) {
				if (names[0])
					strcat(names, ", ");
				strncat(names, line, name_len);
			}
		}
		i = (size_t)(nl - note) + 1;
	}
	if (!nsig)
		return pc_error_set(err, PC_EINVAL, "not a signed note: no signature lines");
	if (!found) {
		if (same_name)
			return pc_error_set(err, PC_EVERIFY,
				"signed by another key named %s (key id %08x), not by the verifier key (key id %08x): "
				"check that you were given the right key, or the note was re-signed",
				v->name, (unsigned)other_id, (unsigned)v->id);
		return pc_error_set(err, PC_EVERIFY, "not signed by %s; the note is signed by: %s",
			v->name, names);
	}
	*text_len = tlen;
	return 0;
}

int pc_checkpoint_format(pc_buf *out, const char *origin, uint64_t size, const unsigned char root[32])
{
	char *b64 = pc_base64_encode(root, 32);

	if (!b64)
		return PC_ENOMEM;
	pc_buf_printf(out, "%s\n%llu\n%s\n", origin, (unsigned long long)size, b64);
	free(b64);
	return pc_buf_error(out);
}

int pc_checkpoint_parse(pc_checkpoint *cp, const char *text, size_t len, pc_error *err)
{
	const char *l1, *l2, *l3, *end;
	unsigned char *root = NULL;
	size_t rootlen = 0, tlen;
	uint64_t size = 0;
	const char *p;
	int r;

	memset(cp, 0, sizeof(*cp));
	/* A whole note: the text ends at the last blank line. */
	if (len && split_note(&tlen, text, len) == 0)
		len = tlen;
	end = text + len;
	if (!(l1 = memchr(text, '\n', len)) || !(l2 = memchr(l1 + 1, '\n', (size_t)(end - l1 - 1))) ||
	    !(l3 = memchr(l2 + 1, '\n', (size_t)(end - l2 - 1))))
		return pc_error_set(err, PC_EINVAL, "not a checkpoint: it needs an origin, a size and a root hash line");
	if (l1 == text)
		return pc_error_set(err, PC_EINVAL, "not a checkpoint: empty origin line");
	p = l1 + 1;
	if (p == l2 || (*p == '0' && l2 - p > 1) || l2 - p > 20)
		return pc_error_set(err, PC_EINVAL, "not a checkpoint: the tree size must be a decimal number without leading zeros");
	for (; p < l2; p++) {
		if (*p < '0' || *p > '9' || size > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return pc_error_set(err, PC_EINVAL, "not a checkpoint: invalid tree size");
		size = size * 10 + (uint64_t)(*p - '0');
	}
	if ((r = pc_base64_decode(&root, &rootlen, l2 + 1, (size_t)(l3 - l2 - 1))) < 0 || rootlen != 32) {
		free(root);
		if (r == PC_ENOMEM)	/* not a verdict on the checkpoint */
			return pc_error_set(err, r, "out of memory");
		return pc_error_set(err, PC_EINVAL, "not a checkpoint: the root hash is not 32 bytes of base64");
	}
	/* Extension lines, if any, must be non-empty. */
	for (p = l3 + 1; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || nl == p) {
			free(root);
			return pc_error_set(err, PC_EINVAL, "not a checkpoint: empty or unterminated extension line");
		}
		p = nl + 1;
	}
	if (!(cp->origin = pc_strndup(text, (size_t)(l1 - text)))) {
		free(root);
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	cp->size = size;
	memcpy(cp->root, root, 32);
	free(root);
	return 0;
}

int pc_checkpoint_open(pc_checkpoint *cp, const pc_note_verifier *v, const char *note, size_t len, pc_error *err)
{
	size_t tlen;
	int r;

	memset(cp, 0, sizeof(*cp));
	if ((r = pc_note_verify(&tlen, v, note, len, err)) < 0)
		return r;
	if ((r = pc_checkpoint_parse(cp, note, tlen, err)) < 0)
		return r;
	if (strcmp(cp->origin, v->name)) {
		pc_error_set(err, PC_EVERIFY, "the checkpoint's origin '%s' is not the key's name '%s'",
			cp->origin, v->name);
		pc_checkpoint_release(cp);
		return PC_EVERIFY;
	}
	return 0;
}

void pc_checkpoint_release(pc_checkpoint *cp)
{
	if (!cp)
		return;
	free(cp->origin);
	cp->origin = NULL;
}

/*
 * sshsig.c: SSHSIG signatures (OpenSSH's PROTOCOL.sshsig): the armor, the
 * blob, the data a signature covers and its verification, and where git
 * keeps the signature of a tag or a commit.  Keys and the check of the
 * signature bytes are sshkey.c's; allowed_signers is signers.c's.
 */
#include "config.h"
#include "sshsig.h"
#include "sshkey-int.h"
#include "sshreader-int.h"
#include "merkle.h"
#include "buf.h"
#include "util.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>

/* Armor */

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
		r = pc_sshreader_failed(err, PC_ETRUNCATED, "signature", "version");
		goto done;
	}
	if (version != 1) {
		r = pc_error_set(err, PC_EINVAL, "unsupported signature version %lu (only version 1 is supported)",
			(unsigned long)version);
		goto done;
	}
	if ((r = pc_sshreader_get_string(&rd, &pub, &pub_len, "signature", "public key", err)) < 0 ||
	    (r = pc_sshreader_get_name(&rd, &sig_ns, &ns_len, "signature", "namespace", err)) < 0 ||
	    (r = pc_sshreader_get_string(&rd, &reserved, &reserved_len, "signature", "reserved field", err)) < 0 ||
	    (r = pc_sshreader_get_name(&rd, &hashalg, &hashalg_len, "signature", "hash algorithm", err)) < 0 ||
	    (r = pc_sshreader_get_string(&rd, &sig, &sig_len, "signature", "signature", err)) < 0)
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
	if (pc_sshreader_span_is(hashalg, hashalg_len, "sha256"))
		md = pc_sha256_md();
	else if (pc_sshreader_span_is(hashalg, hashalg_len, "sha512"))
		md = EVP_sha512();
	else {
		r = pc_error_set(err, PC_EINVAL, "unsupported hash algorithm '%s' (sha256 or sha512)",
			pc_sshreader_shown(buf1, sizeof(buf1), hashalg, hashalg_len));
		goto done;
	}
	if (!pc_sshreader_span_is(sig_ns, ns_len, ns)) {
		r = pc_error_set(err, PC_EVERIFY, "signature namespace is '%s', expected '%s'",
			pc_sshreader_shown(buf1, sizeof(buf1), sig_ns, ns_len), pc_sshreader_shown(buf2, sizeof(buf2), ns, strlen(ns)));
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
	if ((r = pc_sshkey_verify(key, sig, sig_len, (const unsigned char *)data.ptr, data.len, err)) < 0)
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

/*
 * sshsig.h: OpenSSH public keys, SSHSIG signatures (PROTOCOL.sshsig) and
 * allowed_signers files, verified with OpenSSL only.
 *
 * Supported: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa keys with
 * rsa-sha2-256/512 signatures.  An `ssh-rsa` (SHA-1) signature is refused.
 * All parsing of untrusted bytes is bounds-checked and rejects trailing data.
 */
#ifndef PC_SSHSIG_H
#define PC_SSHSIG_H

#include "common.h"
#include "diag.h"
#include "util.h"
#include "buf.h"

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

typedef struct pc_sshkey pc_sshkey;

/*
 * Keys are refused when they are not one of the supported types, when an
 * ECDSA key's curve name differs from its type or its point is not on the
 * curve, and when an RSA modulus has fewer than 2048 (or more than 16384)
 * bits.  Two keys are equal when their wire blobs are.
 */

/* Parse an authorized-key style line "TYPE BASE64 [comment]". */
int pc_sshkey_parse(pc_sshkey **out, const char *line, pc_error *err);
/* Parse the wire-format public key blob. */
int pc_sshkey_from_blob(pc_sshkey **out, const unsigned char *blob, size_t len, pc_error *err);
void pc_sshkey_free(pc_sshkey *key);
const char *pc_sshkey_type(const pc_sshkey *key);	/* "ssh-ed25519", ... */
/* "SHA256:<unpadded base64>" as ssh-keygen -l prints it. */
void pc_sshkey_fingerprint(const pc_sshkey *key, char out[64]);
int pc_sshkey_equal(const pc_sshkey *a, const pc_sshkey *b);
/* The key's wire blob (owned by the key). */
const unsigned char *pc_sshkey_blob(const pc_sshkey *key, size_t *len);

/*
 * Verify an armored signature ("-----BEGIN SSH SIGNATURE-----" ...) over
 * `msg` for namespace `ns`.  On success *signer is the public key that made
 * it (caller frees).  Whether that key is trusted is the caller's decision.
 * Returns PC_EVERIFY for a signature that does not verify, PC_EINVAL for
 * malformed input, each with a message saying which.
 *
 * PC_EINVAL: bad armor (missing header or footer, bad base64, data after
 * the footer, over PC_SSHSIG_MAX_ARMOR bytes), a truncated blob, trailing
 * data, a version other than 1, an unknown hash algorithm, a bad key.
 * PC_EVERIFY: a namespace other than `ns`, a signature algorithm that does
 * not belong to the key (or `ssh-rsa`, which is SHA-1), a signature that
 * does not match the message and key.
 *
 * The blob's `reserved` field is read but, as OpenSSH does, the signed data
 * is built with an empty one, so results agree with `ssh-keygen -Y verify`
 * (and so with git).
 *
 * Signed commits: git stores the armor in the commit's "gpgsig" header.
 * Use libgit2's git_commit_extract_signature(&sig, &data, repo, id, NULL)
 * and pass sig as `armor` and data as `msg`.
 */
int pc_sshsig_verify(pc_sshkey **signer, const char *armor, size_t armor_len,
	const char *ns, const unsigned char *msg, size_t msg_len, pc_error *err);

#define PC_SSHSIG_MAX_ARMOR 65536

/* Decode the armor into the binary SSHSIG blob (caller frees *blob). */
int pc_sshsig_dearmor(unsigned char **blob, size_t *blob_len, const char *armor,
	size_t armor_len, pc_error *err);
/* pc_sshsig_verify over an already decoded blob. */
int pc_sshsig_verify_blob(pc_sshkey **signer, const unsigned char *blob, size_t blob_len,
	const char *ns, const unsigned char *msg, size_t msg_len, pc_error *err);

/*
 * Split a raw tag object (as stored, headers + message) into the signed
 * payload and the trailing SSH signature.  Returns PC_ENOTFOUND when the
 * tag has no SSH signature.
 */
int pc_sshsig_split_tag(const char *raw, size_t len, size_t *payload_len,
	const char **sig, size_t *sig_len);

/*
 * Split a raw commit object (as stored) the way git 2.39 does for
 * `git verify-commit` (commit.c, parse_buffer_signed_by_header): the
 * signature is the value of the "gpgsig" header lines with their
 * continuation lines, read only in the header block, before the first
 * empty line (a "gpgsig" in the message is no signature); several gpgsig
 * headers are joined, as git joins them.  The payload is the object
 * without those lines and without any other header whose name starts with
 * "gpgsig" (gpgsig-sha256, ...) and its continuation lines.  Appends to
 * `payload` and `sig`; PC_ENOTFOUND when there is no gpgsig header,
 * PC_ENOMEM or PC_ELIMIT when a buffer could not grow.
 */
int pc_sshsig_split_commit(const char *raw, size_t len, pc_buf *payload, pc_buf *sig);
/*
 * The part of an armored signature that ssh-keygen -Y verify reads (and so
 * git): everything up to and including the first END line.  A second
 * gpgsig header joined after a valid signature is ignored that way, so
 * cut it off before the strict pc_sshsig_verify.  `len` when the armor
 * does not start with the BEGIN line or has no END line.
 */
size_t pc_sshsig_armor_extent(const char *armor, size_t len);

/*
 * git's allowed_signers format (ssh-keygen(1) ALLOWED SIGNERS):
 *
 *   principals [options] keytype base64 [comment]
 *
 * principals is a comma-separated list of patterns (`*`, `?`, and `!` to
 * exclude), optionally in double quotes.  Options: namespaces="a,b"
 * (patterns), valid-after="TIME", valid-before="TIME"; values must be
 * quoted, as ssh-keygen requires.  TIME is YYYYMMDD, YYYYMMDDHHMM or
 * YYYYMMDDHHMMSS, in UTC when followed by Z (or UTC), otherwise in the
 * local time zone read exactly as ssh-keygen reads it: as the zone's
 * standard time (mktime with tm_isdst 0), so during summer time it is one
 * hour later than the wall clock shows.  Write Z to avoid that.  The key
 * may be used at valid-after and at valid-before (both ends included).
 * cert-authority is refused: only plain keys are supported.  Every problem
 * is a FILE:LINE:COLUMN diagnostic and the whole file is then refused
 * (ssh-keygen would skip the line; failing closed is the safer choice for
 * a server).
 */
typedef struct pc_signers pc_signers;

#define PC_SIGNERS_MAX_SIZE (4 << 20)

int pc_signers_load(pc_signers **out, const char *path, pc_diag *diags);
int pc_signers_parse(pc_signers **out, const char *name, const char *text, size_t len,
	pc_diag *diags);
void pc_signers_free(pc_signers *s);
/*
 * Principals (e.g. emails) for which `key` may sign in namespace `ns` at
 * time `when` (seconds since the epoch; valid-after / valid-before and
 * namespaces= honoured).  Appended to `principals`.
 *
 * What is appended are the principal patterns of every matching line
 * (not the "!" exclusions), without duplicates; they may contain
 * wildcards, so use pc_signers_allows to test one identity.  Returns 0
 * (also when nothing matched) or PC_ENOMEM.
 */
int pc_signers_lookup(const pc_signers *s, const pc_sshkey *key, const char *ns,
	int64_t when, pc_strlist *principals);
/*
 * 1 when `principal` may sign with `key` in namespace `ns` at `when`: the
 * check `ssh-keygen -Y verify -I principal` makes.  Principal entries are
 * patterns, so this is how to test an identity such as an email.
 */
int pc_signers_allows(const pc_signers *s, const pc_sshkey *key, const char *principal,
	const char *ns, int64_t when);
/*
 * The lines of the file one by one, for checks across lines and users
 * (policy-check lint): entry i (i < pc_signers_count) gives its principal
 * pattern list, its key and where the principals were written.  Returns 1
 * when the entry may sign in namespace `ns` (NULL: any), else 0.
 */
size_t pc_signers_count(const pc_signers *s);
int pc_signers_entry(const pc_signers *s, size_t i, const char *ns, const char **principals,
	const pc_sshkey **key, unsigned *line, unsigned *column);
/* OpenSSH pattern-list matching: 1 match, 0 no match, -1 excluded by "!". */
int pc_sshsig_match_list(const char *s, const char *list);

#endif

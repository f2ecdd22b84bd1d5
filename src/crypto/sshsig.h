/*
 * sshsig.h: SSHSIG signatures (OpenSSH's PROTOCOL.sshsig), verified with
 * OpenSSL only, and the signatures git keeps in tags and commits.
 *
 * Signatures: ssh-ed25519, ecdsa-sha2-nistp256/384/521, and rsa-sha2-256/512
 * from ssh-rsa keys.  An `ssh-rsa` (SHA-1) signature is refused.  All
 * parsing of untrusted bytes is bounds-checked and rejects trailing data.
 *
 * The keys are sshkey.h's and allowed_signers is signers.h's; this header
 * includes both (and the reader, sshreader.h), so that one include gives
 * the whole of SSH signing.
 */
#ifndef PC_SSHSIG_H
#define PC_SSHSIG_H

#include "common.h"
#include "buf.h"
#include "sshreader.h"
#include "sshkey.h"
#include "signers.h"

#include <stdint.h>

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

#endif

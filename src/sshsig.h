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

#include <stdint.h>

typedef struct pc_sshkey pc_sshkey;

/* Parse an authorized-key style line "TYPE BASE64 [comment]". */
int pc_sshkey_parse(pc_sshkey **out, const char *line, pc_error *err);
/* Parse the wire-format public key blob. */
int pc_sshkey_from_blob(pc_sshkey **out, const unsigned char *blob, size_t len, pc_error *err);
void pc_sshkey_free(pc_sshkey *key);
const char *pc_sshkey_type(const pc_sshkey *key);	/* "ssh-ed25519", ... */
/* "SHA256:<unpadded base64>" as ssh-keygen -l prints it. */
void pc_sshkey_fingerprint(const pc_sshkey *key, char out[64]);
int pc_sshkey_equal(const pc_sshkey *a, const pc_sshkey *b);

/*
 * Verify an armored signature ("-----BEGIN SSH SIGNATURE-----" ...) over
 * `msg` for namespace `ns`.  On success *signer is the public key that made
 * it (caller frees).  Whether that key is trusted is the caller's decision.
 * Returns PC_EVERIFY for a signature that does not verify, PC_EINVAL for
 * malformed input, each with a message saying which.
 */
int pc_sshsig_verify(pc_sshkey **signer, const char *armor, size_t armor_len,
	const char *ns, const unsigned char *msg, size_t msg_len, pc_error *err);

/*
 * Split a raw tag object (as stored, headers + message) into the signed
 * payload and the trailing SSH signature.  Returns PC_ENOTFOUND when the
 * tag has no SSH signature.
 */
int pc_sshsig_split_tag(const char *raw, size_t len, size_t *payload_len,
	const char **sig, size_t *sig_len);

/* git's allowed_signers format (ssh-keygen(1) ALLOWED SIGNERS). */
typedef struct pc_signers pc_signers;

int pc_signers_load(pc_signers **out, const char *path, pc_diag *diags);
int pc_signers_parse(pc_signers **out, const char *name, const char *text, size_t len,
	pc_diag *diags);
void pc_signers_free(pc_signers *s);
/*
 * Principals (e.g. emails) for which `key` may sign in namespace `ns` at
 * time `when` (seconds since the epoch; valid-after / valid-before and
 * namespaces= honoured).  Appended to `principals`.
 */
int pc_signers_lookup(const pc_signers *s, const pc_sshkey *key, const char *ns,
	int64_t when, pc_strlist *principals);

#endif

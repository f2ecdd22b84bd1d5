/*
 * sshkey.h: OpenSSH public keys, read from their wire blob or from an
 * authorized-key style line, and checked with OpenSSL.
 *
 * Supported: ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa.
 */
#ifndef PC_SSHKEY_H
#define PC_SSHKEY_H

#include "common.h"

#include <stddef.h>

typedef struct pc_sshkey pc_sshkey;

/*
 * Keys are refused when they are not one of the supported types, when an
 * ECDSA key's curve name differs from its type or its point is not on the
 * curve, and when an RSA modulus has fewer than 2048 (or more than 16384)
 * bits.  Two keys are equal when their wire blobs are.
 */

/* Parse an authorized-key style line "TYPE BASE64 [comment]". */
int pc_sshkey_parse(pc_sshkey **out, const char *line, pc_error *err);
/*
 * Judge a key line as pc_sshkey_parse does, for a key that is not used
 * (the policy's users: keys, checked when it loads): the same errors,
 * without building what a verification needs.
 */
int pc_sshkey_check(const char *line, pc_error *err);
/* Parse the wire-format public key blob. */
int pc_sshkey_from_blob(pc_sshkey **out, const unsigned char *blob, size_t len, pc_error *err);
void pc_sshkey_free(pc_sshkey *key);
const char *pc_sshkey_type(const pc_sshkey *key);	/* "ssh-ed25519", ... */
/* "SHA256:<unpadded base64>" as ssh-keygen -l prints it. */
void pc_sshkey_fingerprint(const pc_sshkey *key, char out[64]);
int pc_sshkey_equal(const pc_sshkey *a, const pc_sshkey *b);
/* The key's wire blob (owned by the key). */
const unsigned char *pc_sshkey_blob(const pc_sshkey *key, size_t *len);

#endif

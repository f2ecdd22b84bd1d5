/*
 * note.h: C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and
 * the tlog checkpoints (c2sp.org/tlog-checkpoint) they carry.
 *
 * A note is its text (ending in a newline), a blank line, and signature
 * lines "— <key name> <base64(4-byte key id || signature)>".  Key id =
 * the first 4 bytes of SHA-256(<name> || 0x0A || 0x01 || <32-byte public
 * key>), big-endian.  A verifier key is written
 * "<name>+<8 hex digits key id>+<base64(0x01 || public key)>", the
 * encoding of Go's golang.org/x/mod/sumdb/note, so its tools verify our
 * checkpoints unchanged.
 *
 * Private keys are PKCS#8 PEM Ed25519 files ("BEGIN PRIVATE KEY"), as
 * `openssl genpkey -algorithm ed25519` writes them; the key name comes
 * from configuration (the audit origin), not from the key file.
 */
#ifndef PC_NOTE_H
#define PC_NOTE_H

#include "common.h"
#include "buf.h"

#include <stdint.h>

#define PC_NOTE_MAX 65536	/* bytes of a note we agree to read */

typedef struct pc_note_signer pc_note_signer;

typedef struct pc_note_verifier {
	char *name;
	uint32_t id;
	unsigned char pub[32];
} pc_note_verifier;

/* 1 when name can be a key name: non-empty UTF-8, no space, no '+', no control character. */
int pc_note_name_valid(const char *name);
/* SHA-256(name || 0x0A || 0x01 || pub)[:4] as a big-endian number. */
int pc_note_key_id(uint32_t *out, const char *name, const unsigned char pub[32]);

/*
 * Load a private key file for signing as `name`.  The file must be safe
 * (pc_check_safe_path), not a symbolic link, and not readable by others;
 * encrypted keys are refused.  The key material read is wiped.
 */
int pc_note_signer_load(pc_note_signer **out, const char *key_path, const char *name, pc_error *err);
void pc_note_signer_free(pc_note_signer *s);
/* The verifier key line of the signer (without newline). */
int pc_note_signer_vkey(char **out, const pc_note_signer *s);
const pc_note_verifier *pc_note_signer_verifier(const pc_note_signer *s);
/*
 * A 32-byte secret for another purpose than signing notes, derived from
 * the private key: SHA-256(label || 0x00 || 32-byte Ed25519 seed).  The
 * label separates the purposes, so the result says nothing about the key
 * or about secrets derived with other labels.  Wipe it after use.
 */
int pc_note_signer_derive(unsigned char out[32], const pc_note_signer *s, const char *label,
	pc_error *err);

/*
 * The lower-case hex HMAC-SHA256, under a 32-byte key (one derived with
 * pc_note_signer_derive), of prefix followed by body; prefix may be NULL.
 */
int pc_hmac_hex(char out[65], const unsigned char key[32], const char *prefix, const char *body,
	size_t len);

/* Append text (which must end in a newline) and its signature block to out. */
int pc_note_sign(pc_buf *out, const pc_note_signer *s, const char *text, size_t len, pc_error *err);

/*
 * Generate a key: PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.vkey (the
 * verifier key line).  Existing files are never overwritten.  *vkey_out
 * (may be NULL) receives the verifier key.
 */
int pc_note_keygen(char **vkey_out, const char *prefix, const char *name, pc_error *err);

/* Parse "<name>+<hex id>+<base64>", checking that the id matches the key. */
int pc_note_verifier_parse(pc_note_verifier *out, const char *vkey, size_t len, pc_error *err);
void pc_note_verifier_release(pc_note_verifier *v);

/*
 * Check that note carries a valid signature by v.  *text_len receives the
 * length of the signed text (a prefix of note).  Failures are PC_EINVAL
 * (not a well-formed note) or PC_EVERIFY (signed by another key, or the
 * signature does not verify), each with a message saying which.
 */
int pc_note_verify(size_t *text_len, const pc_note_verifier *v, const char *note, size_t len, pc_error *err);

/* A tlog checkpoint's text. */
typedef struct pc_checkpoint {
	char *origin;
	uint64_t size;
	unsigned char root[32];
} pc_checkpoint;

/* Append "<origin>\n<size>\n<base64 root>\n". */
int pc_checkpoint_format(pc_buf *out, const char *origin, uint64_t size, const unsigned char root[32]);
/*
 * Parse checkpoint text (or a whole note: the text ends at its last blank
 * line).  Extension lines are allowed and ignored.
 */
int pc_checkpoint_parse(pc_checkpoint *cp, const char *text, size_t len, pc_error *err);
/* Verify the note's signature by v, that its origin is v's name, and parse it. */
int pc_checkpoint_open(pc_checkpoint *cp, const pc_note_verifier *v, const char *note, size_t len, pc_error *err);
void pc_checkpoint_release(pc_checkpoint *cp);

#endif

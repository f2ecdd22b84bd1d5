/*
 * sshkey-int.h: what sshsig.c and signers.c need of a key beyond the
 * public API.  Internal to the crypto layer's SSH files.
 */
#ifndef PC_SSHKEY_INT_H
#define PC_SSHKEY_INT_H

#include "sshkey.h"

/*
 * A key line "TYPE BASE64 [comment]" in s[0..len).  On failure *bad is the
 * offset of the field that is wrong, for FILE:LINE:COLUMN diagnostics.
 */
int pc_sshkey_parse_text(pc_sshkey **out, const char *s, size_t len, size_t *bad, pc_error *err);
/*
 * 1 when p[0..n) names a key type, supported or not (ssh-dss, sk-*,
 * certificates): a field that does is read as a key, so that an
 * unsupported one is reported as such.
 */
int pc_sshkey_is_type_name(const char *p, size_t n);
/*
 * Check the inner signature of an SSHSIG blob (string sig-type, string
 * sig-bytes) made by `key` over `data`: PC_EVERIFY for a signature that
 * does not verify or an algorithm that is not the key's, PC_EINVAL for a
 * malformed one.
 */
int pc_sshkey_verify(const pc_sshkey *key, const unsigned char *sig, size_t sig_len,
	const unsigned char *data, size_t len, pc_error *err);

#endif

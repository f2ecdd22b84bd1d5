/*
 * fuzz-sshsig.c: libFuzzer entry for everything the SSH code of the crypto
 * layer (sshreader, sshkey, sshsig, signers) parses from outside: armor,
 * SSHSIG blobs, key blobs and key lines, raw tag objects, allowed_signers
 * files and pattern lists.  Every input goes through all of them.  The
 * seeds in corpus/sshsig/ are real signatures over FUZZ_MSG (namespace git)
 * by the keys beside them, so mutations start from inputs that reach the
 * signature checks.
 *
 * Built against the library sources by `make fuzz` (mk/hardening.am) and
 * replayed and run by `make fuzz-check` (tests/fuzz/run.sh).
 */
#include "sshsig.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MSG "policy-check approval v1\n\ntarget: refs/heads/main\n"
/* The seeds' ed25519 key, named in corpus/sshsig/allowed-signers. */
#define FUZZ_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJDKYhm+Ojk+BHYLvgNoa+vFECXWq7YOECkCRixOar9O ed25519@example.com"

static void drop(pc_sshkey **key)
{
	pc_sshkey_free(*key);
	*key = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char msg[] = FUZZ_MSG;
	const size_t msg_len = sizeof(msg) - 1;
	pc_error err = PC_ERROR_INIT;
	pc_diag diags = PC_DIAG_INIT;
	pc_sshkey *key = NULL, *fixed = NULL;
	pc_signers *signers = NULL;
	pc_strlist principals = PC_STRLIST_INIT;
	size_t payload_len, sig_len;
	const char *sig, *nul;
	char *text;

	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	pc_sshsig_verify(&key, (const char *)data, size, "git", msg, msg_len, &err);
	drop(&key);
	pc_sshsig_verify_blob(&key, data, size, "git", msg, msg_len, &err);
	drop(&key);
	pc_sshkey_from_blob(&key, data, size, &err);
	drop(&key);
	pc_sshkey_parse(&key, text, &err);
	drop(&key);

	if (pc_sshsig_split_tag((const char *)data, size, &payload_len, &sig, &sig_len) == 0) {
		pc_sshsig_verify(&key, sig, sig_len, "git", data, payload_len, &err);
		drop(&key);
	}

	if (pc_signers_parse(&signers, "fuzz", (const char *)data, size, &diags) == 0 &&
	    pc_sshkey_parse(&fixed, FUZZ_KEY, &err) == 0) {
		pc_signers_lookup(signers, fixed, "git", 1735689600, &principals);
		pc_signers_allows(signers, fixed, "alice@example.com", "git", 1735689600);
		pc_signers_allows(signers, fixed, "eve@ops.example.com", "file", 0);
	}
	pc_strlist_clear(&principals);
	pc_sshkey_free(fixed);
	pc_signers_free(signers);
	pc_diag_clear(&diags);

	/* "string\0pattern-list" */
	if ((nul = memchr(text, '\0', size)))
		pc_sshsig_match_list(text, nul + 1);

	free(text);
	return 0;
}

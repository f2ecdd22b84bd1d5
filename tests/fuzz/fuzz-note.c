/*
 * fuzz-note.c: libFuzzer entry for what auditors feed `audit verify` and
 * `audit proof` checks: verifier keys, C2SP signed notes, tlog checkpoints
 * and tlog-proofs.  The input is a note, checkpoint or proof, optionally
 * followed by "\0" and a trusted checkpoint.  The seeds in corpus/note/
 * are real ones signed by FUZZ_VKEY's key, so mutations reach the
 * signature and Merkle proof checks.
 */
#include "audit.h"
#include "note.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_VKEY "fuzz.example/policy-check+c7b64c41+AYOW/sDceOFFRrOrJhejUsgWu/7KxbUvB7kM/ewgdsYI"

static pc_note_verifier verifier;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pc_error err = PC_ERROR_INIT;

	if (pc_note_verifier_parse(&verifier, FUZZ_VKEY, strlen(FUZZ_VKEY), &err) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pc_error err = PC_ERROR_INIT;
	pc_note_verifier v;
	pc_checkpoint cp;
	pc_buf record = PC_BUF_INIT;
	const char *text = (const char *)data, *trusted = NULL, *nul;
	size_t len = size, trusted_len = 0, signed_len;
	uint64_t index;

	if ((nul = memchr(text, '\0', size))) {
		len = (size_t)(nul - text);
		trusted = nul + 1;
		trusted_len = size - len - 1;
	}
	memset(&v, 0, sizeof(v));
	if (pc_note_verifier_parse(&v, text, len, &err) == 0)
		pc_note_verifier_release(&v);
	pc_note_verify(&signed_len, &verifier, text, len, &err);
	memset(&cp, 0, sizeof(cp));
	if (pc_checkpoint_parse(&cp, text, len, &err) == 0)
		pc_checkpoint_release(&cp);
	memset(&cp, 0, sizeof(cp));
	if (pc_checkpoint_open(&cp, &verifier, text, len, &err) == 0)
		pc_checkpoint_release(&cp);
	memset(&cp, 0, sizeof(cp));
	pc_audit_check_proof(&index, &cp, &record, &verifier, text, len, NULL, 0, trusted, trusted_len,
		&err);
	pc_checkpoint_release(&cp);
	pc_buf_release(&record);
	return 0;
}

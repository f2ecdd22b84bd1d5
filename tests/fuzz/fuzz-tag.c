/*
 * fuzz-tag.c: libFuzzer entry for the signatures of pushed objects.  The
 * input is stored as a tag and as a commit in an in-memory object
 * database; then, as the engine does, the tag is split into payload and
 * SSH signature (pc_sshsig_split_tag), the commit's signature is extracted
 * with libgit2 (git_commit_extract_signature), and each is verified.
 */
#include "sshsig.h"
#include "fuzz-odb.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static git_repository *repo;
static git_odb *odb;
static fuzz_odb *objects;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	git_libgit2_init();
	objects = fuzz_repo_new(&repo);
	if (git_repository_odb(&odb, repo) < 0)
		abort();
	return 0;
}

static void verify(const char *sig, size_t sig_len, const void *msg, size_t msg_len)
{
	pc_error err = PC_ERROR_INIT;
	pc_sshkey *key = NULL;

	pc_sshsig_verify(&key, sig, sig_len, "git", msg, msg_len, &err);
	pc_sshkey_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	git_buf sig = GIT_BUF_INIT, signed_data = GIT_BUF_INIT;
	git_oid id;
	git_tag *tag = NULL;
	const char *tsig;
	size_t payload_len, tsig_len;

	if (pc_sshsig_split_tag((const char *)data, size, &payload_len, &tsig, &tsig_len) == 0)
		verify(tsig, tsig_len, data, payload_len);

	if (git_odb_write(&id, odb, data, size, GIT_OBJECT_COMMIT) == 0 &&
	    git_commit_extract_signature(&sig, &signed_data, repo, &id, NULL) == 0)
		verify(sig.ptr, sig.size, signed_data.ptr, signed_data.size);
	git_buf_dispose(&sig);
	git_buf_dispose(&signed_data);

	if (git_odb_write(&id, odb, data, size, GIT_OBJECT_TAG) == 0 &&
	    git_tag_lookup(&tag, repo, &id) == 0)
		git_tag_free(tag);
	git_error_clear();
	fuzz_odb_reset(objects);
	return 0;
}

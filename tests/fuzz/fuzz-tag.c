/*
 * fuzz-tag.c: libFuzzer entry for the signatures of pushed objects.  The
 * input is stored as a tag and as a commit in an in-memory object
 * database; then, as the engine does, the tag is split into payload and
 * SSH signature (pc_sshsig_split_tag), the commit is split into payload
 * and gpgsig signature as git reads it (pc_sshsig_split_commit, the armor
 * cut at its first END line), and each is verified.  The
 * tag is also read as an approval object (pc_approval_read) under a policy
 * whose user fuzz owns FUZZ_USER_KEY, the key that signed the approval-*
 * seeds, so mutations of their unsigned parts reach the checks after the
 * signature.
 */
#include "approve.h"
#include "sshsig.h"
#include "fuzz-odb.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_USER_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILk2AlAdKPBeS5Jc38bYRc4KhlrW3MQWnutHe3/WcbNE fuzz-approver"

static const char policy_text[] =
	"version: 1\n"
	"identity: { env: [REMOTE_USER] }\n"
	"users:\n"
	"  fuzz: { email: fuzz@example.com, keys: [\"" FUZZ_USER_KEY "\"] }\n"
	"audit: { log: /nonexistent/audit.log, key: /nonexistent/audit.key, origin: fuzz.example }\n";

static git_repository *repo;
static git_odb *odb;
static fuzz_odb *objects;
static pc_policy *policy;
static pc_ctx ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pc_diag diags = PC_DIAG_INIT;

	git_libgit2_init();
	objects = fuzz_repo_new(&repo);
	if (git_repository_odb(&odb, repo) < 0 ||
	    pc_policy_parse(&policy, "fuzz.yml", policy_text, sizeof(policy_text) - 1, &diags) < 0) {
		pc_diag_print(&diags, stderr);
		abort();
	}
	ctx.repo = repo;
	ctx.policy = policy;
	ctx.now = 1700000000;	/* the push time: fixed, so runs are reproducible */
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
	pc_buf sig = PC_BUF_INIT, signed_data = PC_BUF_INIT;
	git_oid id;
	git_tag *tag = NULL;
	pc_approval_obj approval;
	pc_error err = PC_ERROR_INIT;
	char why[256];
	int ok;
	const char *tsig;
	size_t payload_len, tsig_len;

	if (pc_sshsig_split_tag((const char *)data, size, &payload_len, &tsig, &tsig_len) == 0)
		verify(tsig, tsig_len, data, payload_len);

	if (pc_sshsig_split_commit((const char *)data, size, &signed_data, &sig) == 0)
		verify(sig.ptr, pc_sshsig_armor_extent(sig.ptr, sig.len), signed_data.ptr, signed_data.len);
	pc_buf_release(&sig);
	pc_buf_release(&signed_data);

	if (git_odb_write(&id, odb, data, size, GIT_OBJECT_TAG) == 0) {
		if (git_tag_lookup(&tag, repo, &id) == 0)
			git_tag_free(tag);
		if (pc_approval_read(&ctx, &id, &approval, &ok, why, sizeof(why), &err) == 0 && ok)
			pc_approval_obj_release(&approval);
	}
	git_error_clear();
	fuzz_odb_reset(objects);
	return 0;
}

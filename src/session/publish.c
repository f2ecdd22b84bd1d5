/*
 * publish.c: the policy published at refs/meta/policy-check; see
 * publish.h.
 */
#include "publish.h"
#include "buf.h"
#include "merkle.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* allowed_signers is a list of keys: far below this. */
#define SIGNERS_MAX ((size_t)16 << 20)

static int git_fail(pc_error *err, const char *what)
{
	const git_error *e = git_error_last();
	int r = pc_error_set(err, PC_EIO, "%s: %s", what, e && e->message ? e->message : "unknown error");

	git_error_clear();
	return r;
}

/* The id of `name` in the tree of the commit `ref` points at; zero when absent. */
static void published_blob(git_oid *out, git_tree *tree, const char *name)
{
	const git_tree_entry *e = tree ? git_tree_entry_byname(tree, name) : NULL;

	if (e && git_tree_entry_type(e) == GIT_OBJECT_BLOB)
		git_oid_cpy(out, git_tree_entry_id(e));
	else
		memset(out, 0, sizeof(*out));
}

int pc_publish_policy(git_repository *repo, const pc_policy *p, int *updated, pc_error *err)
{
	unsigned char md[PC_HASH_LEN];
	char hex[2 * PC_HASH_LEN + 1];
	git_reference *ref = NULL;
	git_commit *old = NULL;
	git_tree *old_tree = NULL, *tree = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_odb *odb = NULL;
	git_oid policy_id, signers_id, have_policy, have_signers, tree_id, commit_id;
	char *policy_text = NULL, *signers_text = NULL, *msg = NULL;
	size_t policy_len = 0, signers_len = 0;
	int r, e;

	if (updated)
		*updated = 0;
	memset(&signers_id, 0, sizeof(signers_id));
	if ((r = pc_read_file(&policy_text, &policy_len, p->path, PC_POLICY_MAX_SIZE, err)) < 0)
		goto done;
	/* The bytes the hooks judged by, or nothing: the digest must match. */
	if (pc_sha256(md, policy_text, policy_len) < 0) {
		r = pc_error_set(err, PC_ERROR, "cannot compute the policy's SHA-256");
		goto done;
	}
	pc_hex(hex, md, PC_HASH_LEN);
	hex[2 * PC_HASH_LEN] = '\0';
	if (strncmp(p->sha256, "sha256:", 7) || strcmp(p->sha256 + 7, hex)) {
		r = 0;
		goto done;
	}
	if (p->allowed_signers) {
		r = pc_read_file(&signers_text, &signers_len, p->allowed_signers, SIGNERS_MAX, err);
		if (r == PC_ENOTFOUND) {
			/* the hooks judge without it too; publish what they have */
			pc_error_clear(err);
			free(signers_text);
			signers_text = NULL;
		} else if (r < 0)
			goto done;
	}
	if (git_repository_odb(&odb, repo) < 0 ||
	    git_odb_hash(&policy_id, policy_text, policy_len, GIT_OBJECT_BLOB) < 0 ||
	    (signers_text && git_odb_hash(&signers_id, signers_text, signers_len, GIT_OBJECT_BLOB) < 0)) {
		r = git_fail(err, "cannot hash the policy");
		goto done;
	}
	e = git_reference_lookup(&ref, repo, PC_PUBLISH_REF);
	if (e == 0) {
		if (git_reference_type(ref) != GIT_REFERENCE_DIRECT ||
		    git_commit_lookup(&old, repo, git_reference_target(ref)) < 0 ||
		    git_commit_tree(&old_tree, old) < 0) {
			r = git_fail(err, PC_PUBLISH_REF " is not a commit; delete it (git update-ref -d), "
				"the next push publishes the policy again");
			goto done;
		}
	} else if (e != GIT_ENOTFOUND) {
		r = git_fail(err, "cannot read " PC_PUBLISH_REF);
		goto done;
	}
	git_error_clear();
	published_blob(&have_policy, old_tree, PC_PUBLISH_POLICY);
	published_blob(&have_signers, old_tree, PC_PUBLISH_SIGNERS);
	if (old_tree && git_oid_equal(&have_policy, &policy_id) && git_oid_equal(&have_signers, &signers_id) &&
	    git_tree_entrycount(old_tree) == (signers_text ? 2u : 1u)) {
		r = 0;
		goto done;
	}
	if (git_odb_write(&policy_id, odb, policy_text, policy_len, GIT_OBJECT_BLOB) < 0 ||
	    (signers_text && git_odb_write(&signers_id, odb, signers_text, signers_len, GIT_OBJECT_BLOB) < 0) ||
	    git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, PC_PUBLISH_POLICY, &policy_id, GIT_FILEMODE_BLOB) < 0 ||
	    (signers_text &&
	     git_treebuilder_insert(NULL, tb, PC_PUBLISH_SIGNERS, &signers_id, GIT_FILEMODE_BLOB) < 0) ||
	    git_treebuilder_write(&tree_id, tb) < 0 || git_tree_lookup(&tree, repo, &tree_id) < 0 ||
	    git_signature_now(&sig, "policy-check", "policy-check@localhost") < 0) {
		r = git_fail(err, "cannot write the published policy");
		goto done;
	}
	if (!(msg = pc_asprintf("policy-check: the server's policy\n\npolicy: %s\n", p->sha256))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if (git_commit_create(&commit_id, repo, NULL, sig, sig, NULL, msg, tree, old ? 1 : 0,
			(const git_commit **)&old) < 0) {
		r = git_fail(err, "cannot write the published policy");
		goto done;
	}
	git_reference_free(ref);
	ref = NULL;
	/* Compare and swap: of two hooks publishing at once, one moves the ref. */
	e = old ? git_reference_create_matching(&ref, repo, PC_PUBLISH_REF, &commit_id, 1,
			git_commit_id(old), "policy-check: publish the policy") :
		git_reference_create(&ref, repo, PC_PUBLISH_REF, &commit_id, 0,
			"policy-check: publish the policy");
	if (e == GIT_EMODIFIED || e == GIT_EEXISTS) {
		git_error_clear();
		r = 0;
		goto done;
	}
	if (e < 0) {
		r = git_fail(err, "cannot update " PC_PUBLISH_REF);
		goto done;
	}
	if (updated)
		*updated = 1;
	r = 0;
done:
	free(msg);
	git_signature_free(sig);
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_tree_free(old_tree);
	git_commit_free(old);
	git_reference_free(ref);
	git_odb_free(odb);
	free(signers_text);
	free(policy_text);
	return r;
}

/* Write a blob of tree into dir/name, mode 0600, refusing anything there. */
static int write_blob(git_repository *repo, git_tree *tree, const char *dir, const char *name,
	char **path, pc_error *err)
{
	const git_tree_entry *e = git_tree_entry_byname(tree, name);
	git_blob *blob = NULL;
	int fd = -1, r;

	*path = NULL;
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return PC_ENOTFOUND;
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0)
		return git_fail(err, "cannot read the published policy");
	/* what a server publishes is read like anything a server sends: bounded */
	if ((uint64_t)git_blob_rawsize(blob) > (uint64_t)SIGNERS_MAX) {
		git_blob_free(blob);
		return pc_error_set(err, PC_ELIMIT, "the published %s is over %zu bytes", name, SIGNERS_MAX);
	}
	if (!(*path = pc_asprintf("%s/%s", dir, name))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if ((fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
	    pc_write_all(fd, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0) {
		r = pc_error_set(err, PC_EIO, "cannot write %s: %s", *path, strerror(errno));
		goto done;
	}
	r = 0;
done:
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = pc_error_set(err, PC_EIO, "cannot write %s: %s", *path, strerror(errno));
	git_blob_free(blob);
	return r;
}

int pc_publish_load(pc_policy **out, git_repository *repo, const char *ref, const char *dir,
	FILE *fp, pc_error *err)
{
	git_object *obj = NULL;
	git_tree *tree = NULL;
	pc_diag diags = PC_DIAG_INIT;
	char *policy_path = NULL, *signers_path = NULL;
	int r;

	*out = NULL;
	if ((r = git_revparse_single(&obj, repo, ref)) == GIT_ENOTFOUND) {
		git_error_clear();
		return pc_error_set(err, PC_ENOTFOUND, "no published policy (%s)", ref);
	}
	if (r < 0 || git_object_peel((git_object **)&tree, obj, GIT_OBJECT_TREE) < 0) {
		r = git_fail(err, "cannot read the published policy");
		goto done;
	}
	if ((r = write_blob(repo, tree, dir, PC_PUBLISH_POLICY, &policy_path, err)) < 0) {
		if (r == PC_ENOTFOUND)
			r = pc_error_set(err, PC_EINVAL, "%s holds no %s", ref, PC_PUBLISH_POLICY);
		goto done;
	}
	r = write_blob(repo, tree, dir, PC_PUBLISH_SIGNERS, &signers_path, err);
	if (r < 0 && r != PC_ENOTFOUND)
		goto done;
	if ((r = pc_policy_load(out, policy_path, &diags)) < 0) {
		fprintf(fp, "policy-check: the policy published at %s is invalid:\n", ref);
		pc_diag_print(&diags, fp);
		r = pc_error_set(err, PC_EINVAL, "the published policy is invalid");
		goto done;
	}
	/* The server's allowed_signers is the published copy (absent: as on the server). */
	if ((*out)->allowed_signers) {
		free((*out)->allowed_signers);
		if (!((*out)->allowed_signers = pc_asprintf("%s/%s", dir, PC_PUBLISH_SIGNERS))) {
			pc_policy_free(*out);
			*out = NULL;
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
	}
	r = 0;
done:
	pc_diag_clear(&diags);
	free(policy_path);
	free(signers_path);
	git_tree_free(tree);
	git_object_free(obj);
	return r;
}

void pc_publish_cleanup(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, PC_PUBLISH_POLICY);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, PC_PUBLISH_SIGNERS);
	unlink(path);
	rmdir(dir);
}

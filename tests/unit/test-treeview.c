/*
 * test-treeview: pc_treeview_lookup follows symbolic links the way a
 * checkout would, inside the repository only, on a commit written into a
 * real repository: chains, directory links, links to the top, escapes,
 * absolute targets, loops, NUL bytes, dangling links.
 */
#include "treeview.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *path;
	unsigned mode;
	const char *content;
	size_t len;		/* 0: strlen(content) */
} files[] = {
	{ "base/kustomization.yaml", GIT_FILEMODE_BLOB, "resources: []\n", 0 },
	{ "overlays/prd/kustomization.yaml", GIT_FILEMODE_BLOB, "images: []\n", 0 },
	{ "overlays/stg/kustomization.yaml", GIT_FILEMODE_LINK, "../prd/kustomization.yaml", 0 },
	{ "overlays/dev", GIT_FILEMODE_LINK, "prd", 0 },
	{ "chain", GIT_FILEMODE_LINK, "overlays/dev/", 0 },
	{ "top", GIT_FILEMODE_LINK, "overlays/..", 0 },
	{ "up", GIT_FILEMODE_LINK, "..", 0 },
	{ "deep/up", GIT_FILEMODE_LINK, "../../outside", 0 },
	{ "abs", GIT_FILEMODE_LINK, "/etc/passwd", 0 },
	{ "loop1", GIT_FILEMODE_LINK, "loop2", 0 },
	{ "loop2", GIT_FILEMODE_LINK, "./loop1", 0 },
	{ "nul", GIT_FILEMODE_LINK, "a\0b", 3 },
	{ "dangling", GIT_FILEMODE_LINK, "missing/file", 0 },
	{ "file", GIT_FILEMODE_BLOB, "x\n", 0 },
};

static const struct {
	const char *path;
	int r;
	const char *final;	/* for r 0 and PC_ENOTFOUND */
	const char *message;	/* a substring, for errors */
} cases[] = {
	{ "base/kustomization.yaml", 0, "base/kustomization.yaml", NULL },
	{ "./base//kustomization.yaml", 0, "base/kustomization.yaml", NULL },
	{ "overlays/stg/kustomization.yaml", 0, "overlays/prd/kustomization.yaml", NULL },
	{ "overlays/dev/kustomization.yaml", 0, "overlays/prd/kustomization.yaml", NULL },
	{ "overlays/dev", 0, "overlays/prd", NULL },
	{ "chain/kustomization.yaml", 0, "overlays/prd/kustomization.yaml", NULL },
	{ "top/base/kustomization.yaml", 0, "base/kustomization.yaml", NULL },
	{ "top", 0, "", NULL },
	{ "", 0, "", NULL },
	{ "overlays/stg/../prd/kustomization.yaml", 0, "overlays/prd/kustomization.yaml", NULL },
	{ "up", PC_EINVAL, NULL, "symbolic link up -> .. leaves the repository" },
	{ "up/etc/passwd", PC_EINVAL, NULL, "leaves the repository" },
	{ "deep/up", PC_EINVAL, NULL, "symbolic link deep/up -> ../../outside leaves the repository" },
	{ "abs", PC_EINVAL, NULL, "symbolic link abs -> /etc/passwd leaves the repository" },
	{ "../x", PC_EINVAL, NULL, "../x leaves the repository" },
	{ "/etc/passwd", PC_EINVAL, NULL, "leaves the repository" },
	{ "loop1", PC_EINVAL, NULL, "loop1: too many symbolic links" },
	{ "nul", PC_EINVAL, NULL, "symbolic link nul has a NUL byte" },
	{ "dangling", PC_ENOTFOUND, "missing/file", NULL },
	{ "file/x", PC_ENOTFOUND, "file/x", NULL },
	{ "overlays/qa/kustomization.yaml", PC_ENOTFOUND, "overlays/qa/kustomization.yaml", NULL },
};

static int make_commit(git_oid *out, git_repository *repo)
{
	git_tree_update *up = calloc(PC_ARRAY_SIZE(files), sizeof(*up));
	git_treebuilder *tb = NULL;
	git_tree *empty = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_oid empty_id, tree_id;
	size_t i;
	int r = -1;

	if (!up || git_treebuilder_new(&tb, repo, NULL) < 0 || git_treebuilder_write(&empty_id, tb) < 0 ||
	    git_tree_lookup(&empty, repo, &empty_id) < 0)
		goto done;
	for (i = 0; i < PC_ARRAY_SIZE(files); i++) {
		size_t len = files[i].len ? files[i].len : strlen(files[i].content);
		up[i].action = GIT_TREE_UPDATE_UPSERT;
		up[i].path = files[i].path;
		up[i].filemode = (git_filemode_t)files[i].mode;
		if (git_blob_create_from_buffer(&up[i].id, repo, files[i].content, len) < 0)
			goto done;
	}
	if (git_tree_create_updated(&tree_id, repo, empty, PC_ARRAY_SIZE(files), up) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0 ||
	    git_signature_new(&sig, "t", "t@example.com", 1700000000, 0) < 0 ||
	    git_commit_create(out, repo, NULL, sig, sig, NULL, "t", tree, 0, NULL) < 0)
		goto done;
	r = 0;
done:
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(empty);
	git_treebuilder_free(tb);
	free(up);
	return r;
}

int main(void)
{
	char dir[] = "/tmp/test-treeview.XXXXXX";
	git_repository *repo = NULL;
	pc_treeview tv;
	pc_buf final = PC_BUF_INIT;
	pc_strlist seen = PC_STRLIST_INIT;
	git_oid commit;
	pc_error oerr = PC_ERROR_INIT;
	size_t i;
	char cmd[64];

	git_libgit2_init();
	if (!mkdtemp(dir) || git_repository_init(&repo, dir, 1) < 0 || make_commit(&commit, repo) < 0) {
		printf("Bail out! cannot make the test repository\n");
		return 1;
	}
	if (pc_treeview_open(&tv, repo, &commit, &oerr) < 0) {
		printf("Bail out! cannot open the tree\n");
		return 1;
	}
	for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
		pc_error err = PC_ERROR_INIT;
		git_tree_entry *e = NULL;
		int r = pc_treeview_lookup(&e, &final, &tv, cases[i].path, &err);

		is_int(r, cases[i].r, "%s: result", cases[i].path);
		if (cases[i].final)
			is_str(final.ptr, cases[i].final, "%s: lands on %s", cases[i].path, cases[i].final);
		if (cases[i].message)
			ok(strstr(err.msg, cases[i].message) != NULL, "%s: says %s (got: %s)",
				cases[i].path, cases[i].message, err.msg);
		ok(r != 0 || !*cases[i].final || e != NULL, "%s: an entry when found", cases[i].path);
		git_tree_entry_free(e);
	}
	/* Every link followed is seen, so a change to any of them is noticed. */
	tv.seen = &seen;
	pc_treeview_lookup(NULL, &final, &tv, "chain/kustomization.yaml", &oerr);
	tv.seen = NULL;
	ok(pc_strlist_has(&seen, "chain") && pc_strlist_has(&seen, "overlays/dev") &&
		pc_strlist_has(&seen, "overlays/prd/kustomization.yaml"), "links on the way are seen");
	pc_strlist_clear(&seen);
	pc_buf_release(&final);
	pc_treeview_close(&tv);
	git_repository_free(repo);
	git_libgit2_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}

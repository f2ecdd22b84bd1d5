/*
 * test-refs-view: pc_refs_load_view, the server's refs as a clone holds
 * them under refs/policy-check/NAME/ (policy-check check).  A table of
 * refs written into a real repository, and for each view the names it
 * must yield: only refs under the view, renamed to the server's names,
 * a remote whose name extends another's (origin, origin2) kept apart.
 */
#include "repo.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const refs[] = {
	"refs/heads/develop",			/* the clone's own branch */
	"refs/remotes/origin/develop",		/* a remote-tracking branch */
	"refs/policy-check/origin/heads/develop",
	"refs/policy-check/origin/heads/feature/x",
	"refs/policy-check/origin/tags/v1",
	"refs/policy-check/origin/approvals/1111111111111111111111111111111111111111/bob",
	"refs/policy-check/origin/meta/policy-check",
	"refs/policy-check/origin2/heads/main",
	"refs/policy-check/originals",
};

static const struct {
	const char *view;
	const char *want;	/* the loaded names, sorted, one per line */
} cases[] = {
	{ "refs/policy-check/origin/",
	  "refs/approvals/1111111111111111111111111111111111111111/bob\n"
	  "refs/heads/develop\nrefs/heads/feature/x\nrefs/meta/policy-check\nrefs/tags/v1\n" },
	{ "refs/policy-check/origin2/", "refs/heads/main\n" },
	{ "refs/policy-check/nosuch/", "" },
	{ NULL,
	  "refs/heads/develop\n"
	  "refs/policy-check/origin/approvals/1111111111111111111111111111111111111111/bob\n"
	  "refs/policy-check/origin/heads/develop\nrefs/policy-check/origin/heads/feature/x\n"
	  "refs/policy-check/origin/meta/policy-check\nrefs/policy-check/origin/tags/v1\n"
	  "refs/policy-check/origin2/heads/main\nrefs/policy-check/originals\n"
	  "refs/remotes/origin/develop\n" },
};

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	char dir[] = "/tmp/test-refs-view.XXXXXX", cmdline[128];
	git_repository *repo = NULL;
	git_signature *sig = NULL;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id;
	git_reference *ref = NULL;
	size_t i, k;

	git_libgit2_init();
	if (!ok(mkdtemp(dir) != NULL, "a scratch directory") ||
	    !ok(git_repository_init(&repo, dir, 1) == 0 && git_treebuilder_new(&tb, repo, NULL) == 0 &&
		git_treebuilder_write(&tree_id, tb) == 0 && git_tree_lookup(&tree, repo, &tree_id) == 0 &&
		git_signature_now(&sig, "t", "t@example.com") == 0 &&
		git_commit_create(&commit_id, repo, NULL, sig, sig, NULL, "c", tree, 0, NULL) == 0,
		"a repository with one commit"))
		return done_testing();
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		ok(git_reference_create(&ref, repo, refs[i], &commit_id, 0, NULL) == 0, "create %s", refs[i]);
		git_reference_free(ref);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pc_refs r = PC_REFS_INIT;
		pc_error err = PC_ERROR_INIT;
		char got[2048] = "";

		if (!ok(pc_refs_load_view(&r, repo, cases[i].view, &err) == 0, "load view %s",
			cases[i].view ? cases[i].view : "(none)"))
			continue;
		if (r.n)
			qsort(r.names, r.n, sizeof(*r.names), cmp);
		for (k = 0; k < r.n; k++) {
			strncat(got, r.names[k], sizeof(got) - strlen(got) - 2);
			strcat(got, "\n");
		}
		is_str(got, cases[i].want, "the refs of view %s", cases[i].view ? cases[i].view : "(none)");
		if (cases[i].view && r.n)
			ok(pc_refs_get(&r, "refs/heads/feature/x") == NULL || git_oid_equal(pc_refs_get(&r,
				"refs/heads/feature/x"), &commit_id), "a loaded branch peels to its commit");
		pc_refs_clear(&r);
	}
	{
		char *name = pc_refs_view_name("refs/policy-check/origin/", "refs/heads/main");

		is_str(name, "refs/policy-check/origin/heads/main", "the clone's name of a server ref");
		free(name);
		name = pc_refs_view_name(NULL, "refs/heads/main");
		is_str(name, "refs/heads/main", "no view: the name itself");
		free(name);
		ok(pc_refs_view_name("refs/policy-check/origin/", "HEAD") == NULL, "HEAD has no name in a view");
	}
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_signature_free(sig);
	git_repository_free(repo);
	snprintf(cmdline, sizeof(cmdline), "rm -rf '%s'", dir);
	if (system(cmdline) != 0)
		ok(0, "remove %s", dir);
	git_libgit2_shutdown();
	return done_testing();
}

/*
 * test-kustomize-edit.c: pc_kustomization_set_images rewrites only the
 * top-level images: block, keeps its indentation, quotes what must be
 * quoted, and refuses what it cannot write.
 */
#include "kustomize-edit.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *text;
	pc_kimage img;		/* the one image to set */
	const char *want;	/* the whole result, or NULL for an error */
	const char *error;	/* a substring of the message */
} cases[] = {
	/* the block is replaced; lines before and after stay */
	{ "kind: K\nimages:\n- name: app\n  newTag: \"1.0\"\nreplicas: 1\n",
	  { "app", NULL, "2.0", NULL },
	  "kind: K\nimages:\n- name: app\n  newTag: \"2.0\"\nreplicas: 1\n", NULL },
	/* an indented list keeps its indentation; a comment after images: is dropped with the block */
	{ "images: # pinned\n  - name: app\n    newTag: v1\n    digest: sha256:aa\n",
	  { "app", "reg/app", "v2", NULL },
	  "images:\n  - name: app\n    newName: reg/app\n    newTag: \"v2\"\n", NULL },
	/* quotes, backslashes and # in a tag */
	{ "images:\n- name: app\n  newTag: x\n",
	  { "app", NULL, "1 \"q\" \\ # c", NULL },
	  "images:\n- name: app\n  newTag: \"1 \\\"q\\\" \\\\ # c\"\n", NULL },
	/* names YAML would read as something else are quoted */
	{ "images:\n- name: app\n",
	  { "true", NULL, NULL, "sha256:bb" },
	  "images:\n- name: \"true\"\n  digest: sha256:bb\n", NULL },
	{ "images:\n- name: app\n", { "1.0", NULL, "t", NULL },
	  "images:\n- name: \"1.0\"\n  newTag: \"t\"\n", NULL },
	/* the last line without a newline */
	{ "images:\n- name: app\n  newTag: a", { "app", NULL, "b", NULL },
	  "images:\n- name: app\n  newTag: \"b\"\n", NULL },
	/* an images: key nested deeper is not the top-level list */
	{ "spec:\n  images:\n  - name: app\n", { "app", NULL, "b", NULL }, NULL,
	  "k.yaml has no top-level images: list" },
	{ "images: [{name: app, newTag: a}]\n", { "app", NULL, "b", NULL }, NULL,
	  "k.yaml writes images: in flow style" },
	{ "images:\n- name: app\n", { "app", NULL, "a\nb", NULL }, NULL,
	  "an image value has control characters; set k.yaml by hand" },
};

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pc_error err = PC_ERROR_INIT;
		char *out = NULL;
		int r = pc_kustomization_set_images(&out, "k.yaml", cases[i].text, &cases[i].img, 1, &err);

		if (cases[i].want) {
			ok(r == 0, "case %zu is written (%s)", i, r ? err.msg : "ok");
			is_str(out ? out : "(null)", cases[i].want, "case %zu reads as expected", i);
		} else {
			ok(r == PC_EINVAL && !out, "case %zu is refused", i);
			ok(strstr(err.msg, cases[i].error) != NULL, "case %zu says why: %s", i, err.msg);
		}
		free(out);
	}
	return done_testing();
}

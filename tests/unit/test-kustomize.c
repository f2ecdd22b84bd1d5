/*
 * test-kustomize.c: what pc_kustomization_parse reads from a kustomization:
 * images, includes, files and remotes, and the shapes it refuses.
 */
#include "kustomize.h"
#include "buf.h"
#include "tap.h"

#include <stdlib.h>

static void join(pc_buf *b, const pc_strlist *l)
{
	size_t i;

	pc_buf_clear(b);
	for (i = 0; i < l->n; i++)
		pc_buf_printf(b, "%s%s", i ? "|" : "", l->items[i]);
}

static void images_text(pc_buf *b, const pc_kustomization *k)
{
	size_t i;

	pc_buf_clear(b);
	for (i = 0; i < k->nimages; i++)
		pc_buf_printf(b, "%s%s=%s:%s@%s", i ? "|" : "", k->images[i].name,
			k->images[i].new_name ? k->images[i].new_name : "-",
			k->images[i].new_tag ? k->images[i].new_tag : "-",
			k->images[i].digest ? k->images[i].digest : "-");
}

static const struct {
	const char *yaml;
	const char *error;	/* a substring of the message, or NULL for success */
	const char *images, *includes, *files, *remotes;
} cases[] = {
	{ "", NULL, "", "", "", "" },
	{ "images:\n- name: app\n  newTag: \"1.0\"\n", NULL, "app=-:1.0@-", "", "", "" },
	{ "images:\n- {name: app, newName: reg/app, newTag: v1, digest: sha256:aa}\n", NULL,
	  "app=reg/app:v1@sha256:aa", "", "", "" },
	{ "resources: [../../base, deploy.yaml]\nbases: [../b]\ncomponents: [../../c]\n", NULL,
	  "", "../../base|deploy.yaml|../b|../../c", "", "" },
	{ "generators: [g]\ntransformers: [t]\nvalidators: [v]\n", NULL, "", "g|t|v", "", "" },
	{ "patches:\n- path: p.yaml\n- patch: |\n    kind: X\n", NULL, "", "", "p.yaml", "" },
	{ "patchesStrategicMerge:\n- s.yaml\n- |\n  kind: Inline\n  x: 1\n", NULL, "", "", "s.yaml", "" },
	{ "patchesJson6902:\n- {target: {kind: D}, path: j.yaml}\nreplacements: [{path: r.yaml}]\n",
	  NULL, "", "", "j.yaml|r.yaml", "" },
	{ "crds: [crd.yaml]\nconfigurations: [conf.yaml]\n", NULL, "", "", "crd.yaml|conf.yaml", "" },
	{ "helmCharts:\n- {name: web, repo: https://charts.example, version: 1.2.3}\n", NULL, "", "", "",
	  "helm chart {4:name=3:web,4:repo=22:https://charts.example,7:version=5:1.2.3,}" },
	{ "helmCharts:\n- {name: w, valuesInline: {image: {tag: '9'}}}\n", NULL, "", "", "",
	  "helm chart {4:name=1:w,12:valuesInline={5:image={3:tag=1:9,},},}" },
	/* Kustomize decodes through encoding/json: keys match without case, U+017F is s, U+212A is k */
	{ "IMAGES:\n- NAME: app\n  newtag: \"9\"\n  Digest: sha256:bb\n", NULL, "app=-:9@sha256:bb", "", "", "" },
	{ "image\xc5\xbf:\n- name: app\n  dige\xc5\xbft: sha256:cc\n", NULL, "app=-:-@sha256:cc", "", "", "" },
	{ "Re\xc5\xbfources: [a]\ncomponents: [b]\n\xe2\x84\xaaind: Component\n", NULL, "", "a|b", "", "" },
	{ "images: [{name: a}]\nImages: [{name: b}]\n", "duplicate key in the kustomization", NULL, NULL, NULL, NULL },
	{ "images:\n- {name: a, newTag: x, NEWTAG: y}\n", "duplicate key in image entry", NULL, NULL, NULL, NULL },
	{ "patches:\n- {path: a.yaml, PATH: b.yaml}\n", "duplicate key", NULL, NULL, NULL, NULL },
	{ "images:\n- name: app\n  <<: {newTag: \"9\"}\n", "merge keys (<<) are not supported", NULL, NULL, NULL, NULL },
	{ "<<: {images: [{name: app, newTag: \"9\"}]}\n", "merge keys (<<) are not supported", NULL, NULL, NULL, NULL },
	{ "patches:\n- {<<: {path: a.yaml}}\n", "merge keys (<<) are not supported", NULL, NULL, NULL, NULL },
	{ "images: []\n---\nimages: [{name: app, newTag: \"9\"}]\n", "more than one YAML document", NULL, NULL, NULL, NULL },
	{ "helmCharts:\n- &a {name: w, x: [*a]}\n", "too large or too deep", NULL, NULL, NULL, NULL },
	{ "resources:\nimages:\n", NULL, "", "", "", "" },
	{ "unknownKey: [1, 2]\nimages: []\n", NULL, "", "", "", "" },
	/* refused shapes */
	{ "- a\n- b\n", "a kustomization must be a mapping", NULL, NULL, NULL, NULL },
	{ "../dev/kustomization.yaml", "a kustomization must be a mapping", NULL, NULL, NULL, NULL },
	{ "images: app\n", "images must be a list", NULL, NULL, NULL, NULL },
	{ "images:\n- newTag: x\n", "an image entry has no name", NULL, NULL, NULL, NULL },
	{ "images:\n- {name: a, newTag: [1]}\n", "image values must be strings", NULL, NULL, NULL, NULL },
	{ "images:\n- {name: a, newTag: x, newTag: y}\n", "duplicate key in image entry", NULL, NULL, NULL, NULL },
	{ "images: []\nimages:\n- {name: a, newTag: y}\n", "duplicate key in the kustomization", NULL, NULL, NULL, NULL },
	{ "resources: [a]\nresources: [b]\n", "duplicate key in the kustomization", NULL, NULL, NULL, NULL },
	{ "resources: a\n", "resources must be a list", NULL, NULL, NULL, NULL },
	{ "resources: [[a]]\n", "resources must name files as strings", NULL, NULL, NULL, NULL },
	{ "resources: ['']\n", "an entry of resources is empty", NULL, NULL, NULL, NULL },
	{ "patches: [p.yaml]\n", "an entry of patches must be a mapping", NULL, NULL, NULL, NULL },
	{ "patches:\n- path: [p]\n", "patches must name files as strings", NULL, NULL, NULL, NULL },
	{ "helmCharts: [x]\n", "an entry of helmCharts must be a mapping", NULL, NULL, NULL, NULL },
	{ "{[a]: 1}\n", "kustomization keys must be strings", NULL, NULL, NULL, NULL },
	{ "images: [\n", "kustomization.yaml:", NULL, NULL, NULL, NULL },
};

static const struct {
	const char *path;
	int is;
} names[] = {
	{ "overlays/prd/kustomization.yaml", 1 },
	{ "kustomization.yml", 1 },
	{ "overlays/prd/Kustomization", 1 },
	{ "overlays/prd/kustomization.json", 0 },
	{ "overlays/prd/kustomization", 0 },
	{ "overlays/prd/Kustomization.yaml", 0 },
	{ "overlays/kustomization.yaml/x", 0 },
};

static const struct {
	const char *include;
	int remote;
} remotes[] = {
	{ "https://github.com/example/app//deploy?ref=v1", 1 },
	{ "ssh://git@example.com/app.git", 1 },
	{ "git@github.com:example/app.git//deploy", 1 },
	{ "git::https://example.com/app", 1 },
	{ "../../base", 0 },
	{ "github.com/example/app", 0 },	/* decided by the tree: local first */
};

int main(void)
{
	pc_buf b = PC_BUF_INIT;
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
		pc_error err = PC_ERROR_INIT;
		pc_kustomization *k = NULL;
		int r = pc_kustomization_parse(&k, "kustomization.yaml", cases[i].yaml,
			strlen(cases[i].yaml), &err);

		if (cases[i].error) {
			ok(r < 0 && !k && strstr(err.msg, cases[i].error) != NULL,
				"case %zu refused: %s (got: %s)", i, cases[i].error, err.msg);
			continue;
		}
		if (!ok(r == 0 && k, "case %zu parses (%s)", i, err.msg))
			continue;
		images_text(&b, k);
		is_str(b.ptr, cases[i].images, "case %zu images", i);
		join(&b, &k->includes);
		is_str(b.ptr, cases[i].includes, "case %zu includes", i);
		join(&b, &k->files);
		is_str(b.ptr, cases[i].files, "case %zu files", i);
		join(&b, &k->remotes);
		is_str(b.ptr, cases[i].remotes, "case %zu remotes", i);
		pc_kustomization_free(k);
	}
	for (i = 0; i < PC_ARRAY_SIZE(names); i++)
		ok(pc_is_kustomization(names[i].path) == names[i].is, "%s is %sa kustomization",
			names[i].path, names[i].is ? "" : "not ");
	for (i = 0; i < PC_ARRAY_SIZE(remotes); i++)
		ok(pc_kustomize_is_remote(remotes[i].include) == remotes[i].remote, "%s is %sremote",
			remotes[i].include, remotes[i].remote ? "" : "not ");
	pc_buf_release(&b);
	return done_testing();
}

/*
 * kustomize.h: what a Kustomize kustomization file says that Pattern3's
 * promotion order by content (`after:`) needs: its `images:` list and the
 * files, directories and remote URLs it includes.
 */
#ifndef PC_KUSTOMIZE_H
#define PC_KUSTOMIZE_H

#include "common.h"
#include "util.h"

/* The file names Kustomize accepts for a kustomization, in its order. */
extern const char *const pc_kustomization_names[3];
/* 1 when `path`'s last component is one of pc_kustomization_names. */
int pc_is_kustomization(const char *path);

typedef struct pc_kimage {
	char *name;
	char *new_name;		/* NULL when not given */
	char *new_tag;
	char *digest;
} pc_kimage;

typedef struct pc_kustomization {
	pc_kimage *images;
	size_t nimages;
	/*
	 * `resources`, `bases`, `components`, `generators`, `transformers`
	 * and `validators`: each a file, a directory with a kustomization,
	 * or a remote URL, as written.
	 */
	pc_strlist includes;
	/* Files only: patches, replacements, crds, configurations. */
	pc_strlist files;
	/* What is fetched from elsewhere without a URL in `includes`: helm charts. */
	pc_strlist remotes;
} pc_kustomization;

/*
 * Parse a kustomization (YAML, at most 1 MiB).  Keys it does not know
 * are ignored; a known key of the wrong shape is an error.  Errors carry
 * FILE:LINE:COLUMN.  Free with pc_kustomization_free.
 */
int pc_kustomization_parse(pc_kustomization **out, const char *file, const char *text,
	size_t len, pc_error *err);
void pc_kustomization_free(pc_kustomization *k);

/* 1 when an include is a remote URL (https://, git@host:, github.com/...). */
int pc_kustomize_is_remote(const char *include);

#endif

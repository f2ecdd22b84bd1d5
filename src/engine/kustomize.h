/*
 * kustomize.h: the `images:` list of a Kustomize kustomization file, for
 * Pattern3's promotion order by content (`after:`).
 */
#ifndef PC_KUSTOMIZE_H
#define PC_KUSTOMIZE_H

#include "common.h"

typedef struct pc_kimage {
	char *name;
	char *new_name;		/* NULL when not given */
	char *new_tag;
	char *digest;
} pc_kimage;

/*
 * Parse `images:` from a kustomization (YAML, at most 1 MiB).  A file
 * without `images:` gives an empty list.  Errors carry FILE:LINE:COLUMN.
 */
int pc_kustomize_images(pc_kimage **out, size_t *n, const char *file, const char *text,
	size_t len, pc_error *err);
void pc_kustomize_images_free(pc_kimage *images, size_t n);

#endif

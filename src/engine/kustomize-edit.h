/*
 * kustomize-edit.h: setting the images of a kustomization by rewriting its
 * text, for `policy-check promote`.  Only the top-level `images:` block
 * changes; every other line stays byte for byte.
 */
#ifndef PC_KUSTOMIZE_EDIT_H
#define PC_KUSTOMIZE_EDIT_H

#include "kustomize.h"

/*
 * *out: `text` with its top-level block-style `images:` list replaced by
 * `imgs` (n entries: name, then newName, newTag, digest when set), at the
 * indentation the list had.  newTag is always a double-quoted scalar,
 * other values are plain when that reads back as the same string.  The
 * result is parsed again and must give exactly `imgs`.  PC_EINVAL with a
 * message naming `file` for a flow-style or missing list, or a value with
 * control characters.
 */
int pc_kustomization_set_images(char **out, const char *file, const char *text,
	const pc_kimage *imgs, size_t n, pc_error *err);

#endif

/*
 * overlay.h: an environment's overlay as Kustomize sees it in a commit's
 * tree (symbolic links followed inside the repository, included
 * kustomizations, components and patches), for Pattern3's rules.
 */
#ifndef PC_OVERLAY_H
#define PC_OVERLAY_H

#include "engine.h"

/*
 * The environments each changed path of `c` reaches, as a matrix
 * hits[i * nenvironments + j] over c->paths (computed with
 * pc_change_paths), and shared[i] when path i reaches shared_paths.  A path
 * reaches the environment (or shared path) it lies under; a symbolic link
 * also reaches where it lands, and a path also reaches the environment of
 * every link, sitting in an overlay or shared path at NEW, that lands on it
 * or above it, and of every kustomization that reads it at NEW (a component
 * or base outside the overlay; a shared path stays shared).  When `bad` is given, it receives one message per changed
 * link in an overlay or shared path whose landing is not inside the
 * repository under an environment or shared path.  Free both with free().
 */
int pc_overlay_path_envs(unsigned char **hits, unsigned char **shared, pc_strlist *bad,
	pc_ctx *ctx, pc_change *c, pc_error *err);

/*
 * `after: E`: every image value (newName, newTag and digest, per image
 * name) that a kustomization of an environment, with all it includes,
 * has at NEW and did not have at the base must be E's at the base, in the
 * corresponding directory, or one E or this environment had at a commit of
 * the trunk's first-parent history (a rollback; at most
 * limits.max_rollback_commits commits back).  Adds reasons to c->v; what it
 * cannot judge is a reason too.
 */
int pc_overlay_after_check(pc_ctx *ctx, pc_change *c, const pc_environment *env, pc_error *err);

/*
 * When an environment has `after:`, the trunk's first parents from NEW
 * must reach OLD: the values the trunk's first-parent history had are
 * what ran, which pc_overlay_after_check trusts for rollbacks, so a merge
 * whose first parent is a side branch ("foxtrot") is a reason.
 */
int pc_overlay_first_parent_check(pc_ctx *ctx, pc_change *c, pc_error *err);

#endif

/*
 * policy-preset.c: the branches and environments a strategy brings, merged
 * with those the file lists.
 */
#include "config.h"
#include "policy-int.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Presets (DESIGN.md section 5) */

struct preset_branch {
	const char *name, *environment;
	const char *from[3], *require[2];
};

static const struct preset_branch preset1[] = {
	{ "develop", "dev", { "feature/*", "hotfix/*", NULL }, { NULL, NULL } },
	{ "staging", "stg", { "feature/*", "hotfix/*", NULL }, { "develop", NULL } },
	{ "main", "prd", { "feature/*", "hotfix/*", NULL }, { "staging", NULL } },
};

static const struct preset_branch preset2[] = {
	{ "develop", "dev", { "feature/*", "hotfix/*", NULL }, { NULL, NULL } },
	{ "staging", "stg", { "develop", NULL, NULL }, { NULL, NULL } },
	{ "main", "prd", { "staging", NULL, NULL }, { NULL, NULL } },
};

static const struct { const char *name, *path, *after; } preset3_envs[] = {
	{ "dev", "overlays/dev/", NULL },
	{ "stg", "overlays/stg/", "dev" },
	{ "prd", "overlays/prd/", "stg" },
};

static const char *const default_work_branches[] = { "feature/*", "hotfix/*" };

/*
 * Fill in what a branch's entry in the file does not say from the preset's
 * branch of the same name (`pre` NULL: the Pattern3 trunk), field by field,
 * so that adding approvals to a preset branch keeps its `from` and `require`.
 * `src` is the file's entry, NULL for a branch only the preset defines.
 */
static void fill_preset_branch(cx *c, pc_branch *b, const ynode *src, const struct preset_branch *pre)
{
	size_t k;

	if (pre && pre->environment && !b->environment && !pc_policy_y_get(src, "environment"))
		b->environment = pc_policy_cx_strdup(c, pre->environment);
	if (!pc_policy_y_get(src, "from")) {
		if (pre)
			for (k = 0; k < PC_ARRAY_SIZE(pre->from) && pre->from[k]; k++)
				pc_policy_cx_add(c, &b->from, pre->from[k]);
		else
			for (k = 0; k < PC_ARRAY_SIZE(default_work_branches); k++)
				pc_policy_cx_add(c, &b->from, default_work_branches[k]);
	}
	if (pre && !pc_policy_y_get(src, "require"))
		for (k = 0; k < PC_ARRAY_SIZE(pre->require) && pre->require[k]; k++)
			pc_policy_cx_add(c, &b->require, pre->require[k]);
}

/*
 * Put the preset's branches first, each merged with the file's entry of the
 * same name when there is one, then the file's other branches in order.
 */
static void merge_preset_branches(cx *c, const struct preset_branch *pre, size_t npre, const char *trunk)
{
	pc_policy *p = c->p;
	pc_branch *file = p->branches, *out;
	const ynode **fsrc = c->bsrc, **osrc;
	size_t nfile = p->nbranches, n = 0, i, j;
	unsigned char *used;

	out = pc_calloc(npre + nfile, sizeof(*out));
	osrc = pc_calloc(npre + nfile, sizeof(*osrc));
	used = pc_calloc(nfile, 1);
	if (!out || !osrc || !used) {
		free(out);
		free(osrc);
		free(used);
		c->oom = 1;
		return;
	}
	for (i = 0; i < npre; i++) {
		const char *name = pre ? pre[i].name : trunk;

		for (j = 0; j < nfile; j++)
			if (!used[j] && !strcmp(file[j].name, name))
				break;
		if (j < nfile) {
			out[n] = file[j];
			osrc[n] = fsrc[j];
			used[j] = 1;
		} else {
			out[n].name = pc_policy_cx_strdup(c, name);
			out[n].approvals = -1;
			out[n].line = c->strategy_node ? c->strategy_node->line : 0;
			osrc[n] = NULL;
		}
		fill_preset_branch(c, &out[n], osrc[n], pre ? &pre[i] : NULL);
		n++;
	}
	for (j = 0; j < nfile; j++) {
		if (used[j])
			continue;
		out[n] = file[j];
		osrc[n++] = fsrc[j];
	}
	free(file);
	free(fsrc);
	free(used);
	p->branches = out;
	p->nbranches = n;
	c->bsrc = osrc;
	c->absrc = c->abranches = npre + nfile;
}

/* As fill_preset_branch, for the Pattern3 environment preset3_envs[i]. */
static void fill_preset_environment(cx *c, pc_environment *e, const ynode *src, size_t i)
{
	if (!e->path && !pc_policy_y_get(src, "path"))
		e->path = pc_policy_cx_strdup(c, preset3_envs[i].path);
	if (preset3_envs[i].after && !e->after && !pc_policy_y_get(src, "after"))
		e->after = pc_policy_cx_strdup(c, preset3_envs[i].after);
}

static void merge_preset_environments(cx *c)
{
	pc_policy *p = c->p;
	pc_environment *file = p->environments, *out;
	const ynode **fsrc = c->esrc, **osrc;
	size_t nfile = p->nenvironments, npre = PC_ARRAY_SIZE(preset3_envs), n = 0, i, j;
	unsigned char *used;

	out = pc_calloc(npre + nfile, sizeof(*out));
	osrc = pc_calloc(npre + nfile, sizeof(*osrc));
	used = pc_calloc(nfile, 1);
	if (!out || !osrc || !used) {
		free(out);
		free(osrc);
		free(used);
		c->oom = 1;
		return;
	}
	for (i = 0; i < npre; i++) {
		for (j = 0; j < nfile; j++)
			if (!used[j] && !strcmp(file[j].name, preset3_envs[i].name))
				break;
		if (j < nfile) {
			out[n] = file[j];
			osrc[n] = fsrc[j];
			used[j] = 1;
		} else {
			out[n].name = pc_policy_cx_strdup(c, preset3_envs[i].name);
			out[n].approvals = -1;
			out[n].line = c->strategy_node ? c->strategy_node->line : 0;
			osrc[n] = NULL;
		}
		fill_preset_environment(c, &out[n], osrc[n], i);
		n++;
	}
	for (j = 0; j < nfile; j++) {
		if (used[j])
			continue;
		out[n] = file[j];
		osrc[n++] = fsrc[j];
	}
	free(file);
	free(fsrc);
	free(used);
	p->environments = out;
	p->nenvironments = n;
	c->esrc = osrc;
	c->aesrc = c->aenvs = npre + nfile;
}

void pc_policy_apply_presets(cx *c)
{
	pc_policy *p = c->p;
	size_t i;

	if (p->strategy != PC_STRATEGY_NONE && !c->have_work_branches)
		for (i = 0; i < PC_ARRAY_SIZE(default_work_branches); i++)
			pc_policy_cx_add(c, &p->work_branches, default_work_branches[i]);
	switch (p->strategy) {
	case PC_STRATEGY_PATTERN1:
		merge_preset_branches(c, preset1, PC_ARRAY_SIZE(preset1), NULL);
		break;
	case PC_STRATEGY_PATTERN2:
		merge_preset_branches(c, preset2, PC_ARRAY_SIZE(preset2), NULL);
		break;
	case PC_STRATEGY_PATTERN3:
		merge_preset_branches(c, NULL, 1, p->trunk);
		merge_preset_environments(c);
		if (!c->have_shared_paths)
			pc_policy_cx_add(c, &p->shared_paths, "base/");
		if (!c->have_one_env)
			p->one_environment_per_push = 1;
		break;
	default:
		break;
	}
	if (c->oom)
		return;
	/* Environments live on the trunk, so the trunk is protected whenever there are any. */
	if (p->nenvironments && !pc_policy_branch(p, p->trunk) && pc_policy_grow_branches(c) == 0) {
		pc_branch *b = &p->branches[p->nbranches];

		if ((b->name = pc_policy_cx_strdup(c, p->trunk)))
			p->nbranches++;
	}
	for (i = 0; i < p->nenvironments; i++)
		/* No default for an environment whose own path was refused: that error suffices. */
		if (!p->environments[i].path && p->environments[i].name &&
		    !(c->esrc[i] && pc_policy_y_get(c->esrc[i], "path")) &&
		    !(p->environments[i].path = pc_asprintf("overlays/%s/", p->environments[i].name)))
			c->oom = 1;
}

/*
 * policy-preset.c: the branches and environments a strategy brings, merged
 * with those the file lists.
 */
#include "config.h"
#include "policy-int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Presets (doc/DESIGN.md section 5) */

struct preset_branch {
	const char *name, *environment;
	const char *from[3], *require[2];
	const char *hotfix_from[2];
};

/* A hotfix may reach main first; its back-merges are follow-ups (status, audit reconcile). */
static const struct preset_branch preset1[] = {
	{ "develop", "dev", { "feature/*", "hotfix/*", NULL }, { NULL, NULL }, { NULL, NULL } },
	{ "staging", "stg", { "feature/*", "hotfix/*", NULL }, { "develop", NULL }, { NULL, NULL } },
	{ "main", "prd", { "feature/*", "hotfix/*", NULL }, { "staging", NULL }, { "hotfix/*", NULL } },
};

static const struct preset_branch preset2[] = {
	{ "develop", "dev", { "feature/*", "hotfix/*", NULL }, { NULL, NULL }, { NULL, NULL } },
	{ "staging", "stg", { "develop", NULL, NULL }, { NULL, NULL }, { NULL, NULL } },
	{ "main", "prd", { "staging", NULL, NULL }, { NULL, NULL }, { NULL, NULL } },
};

static const struct { const char *name, *path, *after; } preset3_envs[] = {
	{ "dev", "overlays/dev/", NULL },
	{ "stg", "overlays/stg/", "dev" },
	{ "prd", "overlays/prd/", "stg" },
};

static const char *const default_work_branches[] = { "feature/*", "hotfix/*" };

/* What a preset brings: the names of its entries, and fill() for what the file leaves out. */
struct preset {
	size_t n;
	const char *(*name)(const struct preset *pre, size_t i);
	void (*fill)(cx *c, const struct preset *pre, size_t i, void *entry, const ynode *src);
	const struct preset_branch *branches;	/* NULL: the Pattern3 trunk */
	const char *trunk;
};

/*
 * Put the preset's entries first, each merged with the file's entry of the
 * same name when there is one, then the file's other entries in order.
 */
static void merge_preset(cx *c, const struct pc_policy_entries *e, const struct preset *pre)
{
	char *file = *e->items, *out;
	const ynode **fsrc = *e->src, **osrc;
	size_t nfile = *e->n, npre = pre->n, n = 0, i, j;
	unsigned char *used;

	out = pc_calloc(npre + nfile, e->size);
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
		const char *name = pre->name(pre, i);
		char *o = out + n * e->size;

		for (j = 0; j < nfile; j++)
			if (!used[j] && !strcmp(PC_POLICY_ENTRY_FIELD(char *, file + j * e->size, e->name_off), name))
				break;
		if (j < nfile) {
			memcpy(o, file + j * e->size, e->size);
			osrc[n] = fsrc[j];
			used[j] = 1;
		} else {
			PC_POLICY_ENTRY_FIELD(char *, o, e->name_off) = pc_policy_cx_strdup(c, name);
			PC_POLICY_ENTRY_FIELD(int, o, e->approvals_off) = -1;
			PC_POLICY_ENTRY_FIELD(unsigned, o, e->line_off) = c->strategy_node ? c->strategy_node->line : 0;
			osrc[n] = NULL;
		}
		pre->fill(c, pre, i, o, osrc[n]);
		n++;
	}
	for (j = 0; j < nfile; j++) {
		if (used[j])
			continue;
		memcpy(out + n * e->size, file + j * e->size, e->size);
		osrc[n++] = fsrc[j];
	}
	free(file);
	free(fsrc);
	free(used);
	*e->items = out;
	*e->n = n;
	*e->src = osrc;
	*e->asrc = *e->alloc = npre + nfile;
}

static const char *preset_branch_name(const struct preset *pre, size_t i)
{
	return pre->branches ? pre->branches[i].name : pre->trunk;
}

/*
 * Fill in what a branch's entry in the file does not say from the preset's
 * branch of the same name (the Pattern3 trunk when the preset has no
 * branches), field by field, so that adding approvals to a preset branch
 * keeps its `from` and `require`.  `src` is the file's entry, NULL for a
 * branch only the preset defines.
 */
static void fill_preset_branch(cx *c, const struct preset *preset, size_t i, void *entry, const ynode *src)
{
	const struct preset_branch *pre = preset->branches ? &preset->branches[i] : NULL;
	pc_branch *b = entry;
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
	/* only where there is a `require` to skip: a file may drop main's */
	if (pre && b->require.n && !pc_policy_y_get(src, "hotfix_from"))
		for (k = 0; k < PC_ARRAY_SIZE(pre->hotfix_from) && pre->hotfix_from[k]; k++)
			pc_policy_cx_add(c, &b->hotfix_from, pre->hotfix_from[k]);
}

static void merge_preset_branches(cx *c, const struct preset_branch *branches, size_t n, const char *trunk)
{
	struct pc_policy_entries e;
	const struct preset pre = { n, preset_branch_name, fill_preset_branch, branches, trunk };

	pc_policy_branch_entries(c, &e);
	merge_preset(c, &e, &pre);
}

static const char *preset_environment_name(const struct preset *pre, size_t i)
{
	(void)pre;
	return preset3_envs[i].name;
}

/* As fill_preset_branch, for the Pattern3 environment preset3_envs[i]. */
static void fill_preset_environment(cx *c, const struct preset *pre, size_t i, void *entry, const ynode *src)
{
	pc_environment *e = entry;

	(void)pre;
	if (!e->path && !pc_policy_y_get(src, "path"))
		e->path = pc_policy_cx_strdup(c, preset3_envs[i].path);
	if (preset3_envs[i].after && !e->after && !pc_policy_y_get(src, "after"))
		e->after = pc_policy_cx_strdup(c, preset3_envs[i].after);
}

static void merge_preset_environments(cx *c)
{
	struct pc_policy_entries e;
	const struct preset pre = { PC_ARRAY_SIZE(preset3_envs), preset_environment_name,
		fill_preset_environment, NULL, NULL };

	pc_policy_environment_entries(c, &e);
	merge_preset(c, &e, &pre);
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
	if (p->nenvironments && !pc_policy_branch(p, p->trunk)) {
		struct pc_policy_entries e;
		pc_branch *b;

		pc_policy_branch_entries(c, &e);
		if ((b = pc_policy_grow_entries(c, &e)) && (b->name = pc_policy_cx_strdup(c, p->trunk)))
			p->nbranches++;
	}
	for (i = 0; i < p->nenvironments; i++)
		/* No default for an environment whose own path was refused: that error suffices. */
		if (!p->environments[i].path && p->environments[i].name &&
		    !(c->esrc[i] && pc_policy_y_get(c->esrc[i], "path")) &&
		    !(p->environments[i].path = pc_asprintf("overlays/%s/", p->environments[i].name)))
			c->oom = 1;
}

/*
 * Unit tests for the tlog tiles of the audit log (src/audit/tiles.c): the
 * path and width arithmetic, tiles written by many appends of irregular
 * sizes, and the subtree roots of every inclusion and consistency proof
 * read from them compared with the roots computed from the leaves in
 * memory; a corrupted partial tile stops the appends and is named by the
 * check.
 */
#include "tiles.h"
#include "util.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef unsigned char hash[PC_HASH_LEN];

static void test_paths(void)
{
	static const struct { unsigned level; uint64_t index; unsigned width; const char *path; } cases[] = {
		{ 0, 0, 256, "tile/0/000" },
		{ 0, 0, 1, "tile/0/000.p/1" },
		{ 0, 7, 255, "tile/0/007.p/255" },
		{ 1, 999, 256, "tile/1/999" },
		{ 0, 1000, 256, "tile/0/x001/000" },
		{ 2, 1234067, 256, "tile/2/x001/x234/067" },
		{ 3, 1234067, 8, "tile/3/x001/x234/067.p/8" },
		{ 7, UINT64_MAX, 256, "tile/7/x018/x446/x744/x073/x709/x551/615" },
	};
	static const struct { uint64_t size; unsigned level; uint64_t index; unsigned width; } widths[] = {
		{ 0, 0, 0, 0 }, { 1, 0, 0, 1 }, { 256, 0, 0, 256 }, { 256, 0, 1, 0 }, { 256, 1, 0, 1 },
		{ 257, 0, 1, 1 }, { 70000, 0, 273, 112 }, { 70000, 1, 0, 256 }, { 70000, 1, 1, 17 },
		{ 70000, 2, 0, 1 }, { 70000, 3, 0, 0 }, { UINT64_MAX, 7, 0, 255 },
	};
	char got[PC_TILE_PATH_MAX];
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
		pc_tile_path(got, cases[i].level, cases[i].index, cases[i].width);
		is_str(got, cases[i].path, "tile path of level %u index %llu width %u", cases[i].level,
			(unsigned long long)cases[i].index, cases[i].width);
	}
	for (i = 0; i < PC_ARRAY_SIZE(widths); i++)
		is_int(pc_tile_width(widths[i].size, widths[i].level, widths[i].index), widths[i].width,
			"tree of %llu: tile %u/%llu has width %u", (unsigned long long)widths[i].size,
			widths[i].level, (unsigned long long)widths[i].index, widths[i].width);
}

/* 0 when the tiles give, for every range of the proof, the root computed from the leaves. */
static int ranges_agree(const char *log, const hash *leaves, const pc_merkle_range *r, size_t n, uint64_t size)
{
	hash got[PC_MERKLE_MAX_PROOF], want;
	size_t i;

	if (pc_tiles_range_hashes(got, log, r, n, size) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		pc_merkle_root(want, leaves + r[i].begin, r[i].end - r[i].begin);
		if (memcmp(want, got[i], PC_HASH_LEN))
			return -1;
	}
	return 0;
}

static int proofs_agree(const char *log, const hash *leaves, uint64_t size, uint64_t index, uint64_t m)
{
	pc_merkle_range r[PC_MERKLE_MAX_PROOF];
	size_t n;

	pc_merkle_inclusion_ranges(r, &n, index, size);
	if (ranges_agree(log, leaves, r, n, size) < 0)
		return -1;
	pc_merkle_consistency_ranges(r, &n, m, size);
	return ranges_agree(log, leaves, r, n, size);
}

int main(void)
{
	enum { N = 70000 };
	char dir[] = "/tmp/pc-test-tiles.XXXXXX", *log, *tile, *cmd;
	pc_merkle_edge edge, before;
	pc_strlist bad = PC_STRLIST_INIT;
	pc_tile_builder *b = NULL;
	uint64_t pos = 0, batch, s, missing = 99;
	unsigned appends = 0, skipped = 0, bad_sizes = 0, checked = 0;
	hash *leaves = calloc(N, sizeof(hash)), root;
	char name[32];
	FILE *f;
	int len;

	test_paths();
	if (!leaves || !mkdtemp(dir) || !(log = pc_asprintf("%s/audit.log", dir)) ||
	    !(tile = pc_asprintf("%s/audit.log.tiles/tile/0/273.p/112", dir)))
		return 1;
	for (s = 0; s < N; s++) {
		len = snprintf(name, sizeof(name), "record-%llu", (unsigned long long)s);
		pc_merkle_leaf_hash(leaves[s], name, (size_t)len);
	}

	/* appends of 1, 2, ... 299 records, then again: every width and tile boundary */
	pc_merkle_edge_init(&edge);
	for (batch = 1; pos < N; batch = batch % 299 + 1) {
		if (batch > N - pos)
			batch = N - pos;
		before = edge;
		for (s = pos; s < pos + batch; s++)
			pc_merkle_edge_append(&edge, leaves[s]);
		if (pc_tiles_append(log, &before, (const hash *)leaves + pos, batch, 1, NULL) != 0)
			skipped++;
		appends++;
		pos += batch;
	}
	is_int(skipped, 0, "%u appends wrote their tiles", appends);

	/* every size up to 600 and around the level-2 boundary, several indices each */
	for (s = 1; s <= N; s = s < 600 ? s + 1 : s < 65535 ? 65535 : s < 65537 ? s + 1 : s < N ? N : N + 1) {
		uint64_t idx[] = { 0, s - 1, s / 2, s / 3, (s * 7) / 8 };
		size_t k;
		for (k = 0; k < PC_ARRAY_SIZE(idx); k++)
			if (proofs_agree(log, (const hash *)leaves, s, idx[k], idx[(k + 1) % 5] + 1) < 0)
				bad_sizes++;
		checked++;
	}
	is_int(bad_sizes, 0, "proof hashes from the tiles equal those from the leaves (%u sizes)", checked);

	/* the check mode finds them all, and the same */
	pc_tile_builder_new(&b, log, PC_TILES_CHECK, NULL);
	for (s = 0; s < N; s++)
		pc_tile_builder_add(b, leaves[s], NULL);
	pc_tile_builder_finish(b, &bad, &missing, NULL);
	pc_tile_builder_free(b);
	ok(bad.n == 0 && missing == 0, "the tiles written by the appends match the leaves");

	/* a corrupted partial tile: appends stop extending it, the check names it */
	f = fopen(tile, "r+b");
	ok(f && fputc('X', f) != EOF && fclose(f) == 0, "corrupt %s", tile + strlen(dir) + 1);
	pc_merkle_edge_root(root, &edge);
	ok(pc_tiles_append(log, &edge, (const hash *)leaves, 1, 1, NULL) == 1,
		"an append does not extend a partial tile that disagrees with its edge");
	ok(access(tile, F_OK) == 0, "and leaves it as it was");
	pc_tile_builder_new(&b, log, PC_TILES_CHECK, NULL);
	for (s = 0; s < N; s++)
		pc_tile_builder_add(b, leaves[s], NULL);
	pc_tile_builder_finish(b, &bad, &missing, NULL);
	pc_tile_builder_free(b);
	ok(bad.n == 1 && !strcmp(bad.items[0], "tile/0/273.p/112"), "the check names the corrupted tile");
	ok(proofs_agree(log, (const hash *)leaves, N, N - 1, 1) < 0, "its hashes do not pass as the leaves'");

	if ((cmd = pc_asprintf("rm -rf '%s'", dir)) && system(cmd) != 0)
		diag("cannot remove %s", dir);
	free(cmd);
	pc_strlist_clear(&bad);
	free(tile);
	free(log);
	free(leaves);
	return done_testing();
}

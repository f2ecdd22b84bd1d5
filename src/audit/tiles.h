/*
 * tiles.h: the audit log's Merkle tree kept as C2SP tlog-tiles hash tiles
 * (c2sp.org/tlog-tiles) in the directory LOG.tiles/, so that proofs cost
 * O(log n) file reads instead of a pass over the log, and auditors can
 * mirror the directory as static files.
 *
 * Tiles have height 8: the tile at level L, index N holds the hashes of
 * the tree's nodes at height 8L (level 0: the leaf hashes) numbered
 * 256N..256N+255, 32 bytes each; LOG.tiles/tile/<L>/<N> for a full tile,
 * LOG.tiles/tile/<L>/<N>.p/<W> for the first W (1..255) of a partial one.
 * N is written in 3-digit path elements, all but the last prefixed "x".
 *
 * Tiles are a cache nobody signs: every hash read from them ends in a
 * proof that is checked against a signed root before it is used, and the
 * writer checks the tiles it extends against its own right edge.
 */
#ifndef PC_TILES_H
#define PC_TILES_H

#include "common.h"
#include "merkle.h"
#include "util.h"

#include <stdint.h>

#define PC_TILE_HEIGHT 8
#define PC_TILE_WIDTH 256
#define PC_TILE_LEVELS 8	/* 8 levels of height 8 cover any size below 2^64 */
#define PC_TILE_PATH_MAX 64

/*
 * "tile/<L>/<N>" or "tile/<L>/<N>.p/<W>" (width < 256) into out, which has
 * room for PC_TILE_PATH_MAX bytes.
 */
void pc_tile_path(char out[PC_TILE_PATH_MAX], unsigned level, uint64_t index, unsigned width);

/* Entries at height 8*level of a tree of `size` leaves, and the width of tile `index` there. */
uint64_t pc_tile_entries(uint64_t size, unsigned level);
unsigned pc_tile_width(uint64_t size, unsigned level, uint64_t index);

/*
 * After an append of leaves[0, n) to the tree whose right edge was `old`,
 * write the tiles that change (O(log n) of them) under log_path's
 * LOG.tiles, each synced unless `nosync`, before the checkpoint.  The
 * partial tiles it extends must agree with `old`: when they are missing
 * or disagree, nothing is written and 1 is returned (audit verify reports
 * the tiles as stale until `audit tiles --rebuild`).  0 when written,
 * < 0 with a message when a tile could not be written.
 */
int pc_tiles_append(const char *log_path, const pc_merkle_edge *old, const unsigned char (*leaves)[PC_HASH_LEN],
	size_t n, int nosync, pc_error *err);

/*
 * The subtree roots of the leaf ranges r[0, n) of the tree of `size`
 * leaves, read from the tiles.  0 when every tile needed was there, < 0
 * otherwise (the caller falls back to the log, and checks the result in
 * any case).
 */
int pc_tiles_range_hashes(unsigned char (*out)[PC_HASH_LEN], const char *log_path,
	const pc_merkle_range *r, size_t n, uint64_t size);

/*
 * Tiles built from a stream of leaf hashes: written (rebuild) or compared
 * with those on disk (check).  The hashes of the tiles that differ are
 * errors naming the tile; missing ones are counted.
 */
typedef struct pc_tile_builder pc_tile_builder;
enum { PC_TILES_CHECK, PC_TILES_WRITE };
int pc_tile_builder_new(pc_tile_builder **out, const char *log_path, int mode, pc_error *err);
int pc_tile_builder_add(pc_tile_builder *b, const unsigned char leaf[PC_HASH_LEN], pc_error *err);
/*
 * Finish the partial tiles.  In check mode, each tile that differs is added
 * to bad ("tile/0/001.p/7 does not match the log"), and *missing receives
 * how many were not there (all of them when LOG.tiles does not exist).
 */
int pc_tile_builder_finish(pc_tile_builder *b, pc_strlist *bad, uint64_t *missing, pc_error *err);
void pc_tile_builder_free(pc_tile_builder *b);

/*
 * Rewrite LOG.tiles from the log (its first `size` lines), under the log's
 * lock: what `policy-check audit tiles --rebuild` runs.
 */
int pc_tiles_rebuild(const char *log_path, uint64_t size, pc_error *err);

/* The directory of the tiles of log_path (malloc'd), NULL when out of memory. */
char *pc_tiles_dir(const char *log_path);

#endif

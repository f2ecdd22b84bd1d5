/*
 * merkle.h: the RFC 6962 Merkle tree hash over the audit log's lines.
 *
 * Leaf hash SHA-256(0x00 || data), node hash SHA-256(0x01 || left ||
 * right), the root of n leaves splits at the largest power of two below n,
 * and the empty tree's root is SHA-256("").
 *
 * The log is streamed, never held in memory: a pc_merkle_edge keeps the
 * right edge of the tree (one subtree root per set bit of the size, the
 * "compact range" [0, size)), so appending a leaf and computing the root
 * cost O(log n).  Proofs are produced the same way: pc_merkle_*_ranges()
 * list the disjoint leaf ranges whose subtree roots form the proof, and the
 * caller feeds each leaf of the stream into the range that holds it.
 */
#ifndef PC_MERKLE_H
#define PC_MERKLE_H

#include "common.h"

#include <openssl/types.h>
#include <stdint.h>

#define PC_HASH_LEN 32
#define PC_MERKLE_MAX_PROOF 128	/* hashes in any proof of a tree of < 2^64 leaves */

int pc_merkle_leaf_hash(unsigned char out[PC_HASH_LEN], const void *data, size_t len);
int pc_merkle_node_hash(unsigned char out[PC_HASH_LEN],
	const unsigned char left[PC_HASH_LEN], const unsigned char right[PC_HASH_LEN]);
/* Plain SHA-256, for the callers that need one next to the tree. */
int pc_sha256(unsigned char out[PC_HASH_LEN], const void *data, size_t len);
/* OpenSSL's SHA-256, fetched once for the process (NULL when it cannot be). */
const EVP_MD *pc_sha256_md(void);

typedef struct pc_merkle_edge {
	uint64_t size;		/* leaves so far */
	unsigned n;		/* hashes in use: the number of set bits of size */
	unsigned char hash[64][PC_HASH_LEN];	/* largest (leftmost) subtree first */
} pc_merkle_edge;

void pc_merkle_edge_init(pc_merkle_edge *e);
/* Append a leaf hash. */
int pc_merkle_edge_append(pc_merkle_edge *e, const unsigned char leaf[PC_HASH_LEN]);
/* The root of the leaves appended so far. */
int pc_merkle_edge_root(unsigned char out[PC_HASH_LEN], const pc_merkle_edge *e);
/*
 * Rebuild an edge from its parts (as kept in a cache): n must be the number
 * of set bits of size.
 */
int pc_merkle_edge_set(pc_merkle_edge *e, uint64_t size, const unsigned char (*hashes)[PC_HASH_LEN], unsigned n);

/* Leaves [begin, end) of the tree. */
typedef struct pc_merkle_range {
	uint64_t begin, end;
} pc_merkle_range;

/*
 * The ranges whose subtree roots are the inclusion proof of leaf `index` in
 * a tree of `size` leaves (RFC 6962 2.1.1), in proof order: from the leaf's
 * sibling up to the root's child.  out has room for PC_MERKLE_MAX_PROOF.
 */
int pc_merkle_inclusion_ranges(pc_merkle_range *out, size_t *n, uint64_t index, uint64_t size);
/* The same for the consistency proof from tree size m to size (RFC 6962 2.1.2). */
int pc_merkle_consistency_ranges(pc_merkle_range *out, size_t *n, uint64_t m, uint64_t size);

/*
 * RFC 9162 2.1.3.2: 0 when proof shows leaf at index in the tree of size
 * leaves with the given root, PC_EVERIFY otherwise.
 */
int pc_merkle_inclusion_verify(const unsigned char leaf[PC_HASH_LEN], uint64_t index, uint64_t size,
	const unsigned char (*proof)[PC_HASH_LEN], size_t n, const unsigned char root[PC_HASH_LEN]);
/*
 * RFC 9162 2.1.4.2: 0 when proof shows that the tree of m leaves with
 * root_m is a prefix of the tree of size leaves with root, else PC_EVERIFY.
 */
int pc_merkle_consistency_verify(uint64_t m, const unsigned char root_m[PC_HASH_LEN],
	uint64_t size, const unsigned char root[PC_HASH_LEN],
	const unsigned char (*proof)[PC_HASH_LEN], size_t n);

/* The root of leaves[0, n) held in memory (tests and small trees). */
int pc_merkle_root(unsigned char out[PC_HASH_LEN], const unsigned char (*leaves)[PC_HASH_LEN], uint64_t n);

#endif

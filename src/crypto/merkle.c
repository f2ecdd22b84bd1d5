/*
 * merkle.c: RFC 6962 tree hashes, the right edge of a growing tree, and
 * inclusion and consistency proofs (produced as leaf ranges, checked with
 * the RFC 9162 algorithms).
 */
#include "merkle.h"

#include <openssl/evp.h>
#include <string.h>

/*
 * A log of n lines costs about 2n hashes, so the digest context is made
 * once per thread instead of once per hash.
 */
static __thread EVP_MD_CTX *hash_ctx;
static EVP_MD *sha256_md;

/*
 * SHA-256 fetched once.  EVP_sha256() is fetched again at each use, and
 * OpenSSL 3 sends a digest so named through its legacy engine table first:
 * together more than a reference-transaction hook's whole recording.
 */
const EVP_MD *pc_sha256_md(void)
{
	if (!sha256_md) {
		EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
		if (!md)
			return NULL;
		/* Another thread may have won the race; keep one, free the other. */
		if (!__sync_bool_compare_and_swap(&sha256_md, NULL, md))
			EVP_MD_free(md);
	}
	return sha256_md;
}

static int hash_parts(unsigned char out[PC_HASH_LEN], const void *prefix, size_t plen,
	const void *a, size_t alen, const void *b, size_t blen)
{
	unsigned int outlen = 0;

	if (!pc_sha256_md())
		return PC_ENOMEM;
	if (!hash_ctx && !(hash_ctx = EVP_MD_CTX_new()))
		return PC_ENOMEM;
	if (EVP_DigestInit_ex2(hash_ctx, sha256_md, NULL) != 1 ||
	    (plen && EVP_DigestUpdate(hash_ctx, prefix, plen) != 1) ||
	    (alen && EVP_DigestUpdate(hash_ctx, a, alen) != 1) ||
	    (blen && EVP_DigestUpdate(hash_ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(hash_ctx, out, &outlen) != 1 || outlen != PC_HASH_LEN)
		return PC_ERROR;
	return 0;
}

int pc_sha256(unsigned char out[PC_HASH_LEN], const void *data, size_t len)
{
	return hash_parts(out, NULL, 0, data, len, NULL, 0);
}

int pc_merkle_leaf_hash(unsigned char out[PC_HASH_LEN], const void *data, size_t len)
{
	static const unsigned char zero = 0x00;

	return hash_parts(out, &zero, 1, data, len, NULL, 0);
}

int pc_merkle_node_hash(unsigned char out[PC_HASH_LEN],
	const unsigned char left[PC_HASH_LEN], const unsigned char right[PC_HASH_LEN])
{
	static const unsigned char one = 0x01;

	return hash_parts(out, &one, 1, left, PC_HASH_LEN, right, PC_HASH_LEN);
}

void pc_merkle_edge_init(pc_merkle_edge *e)
{
	memset(e, 0, sizeof(*e));
}

int pc_merkle_edge_append(pc_merkle_edge *e, const unsigned char leaf[PC_HASH_LEN])
{
	unsigned char h[PC_HASH_LEN];
	uint64_t s = e->size;
	int r;

	if (e->size == UINT64_MAX)
		return PC_ELIMIT;
	memcpy(h, leaf, PC_HASH_LEN);
	/* Each trailing one bit of the size is a perfect subtree that the new leaf completes. */
	while (s & 1) {
		if ((r = pc_merkle_node_hash(h, e->hash[e->n - 1], h)) < 0)
			return r;
		e->n--;
		s >>= 1;
	}
	memcpy(e->hash[e->n++], h, PC_HASH_LEN);
	e->size++;
	return 0;
}

int pc_merkle_edge_root(unsigned char out[PC_HASH_LEN], const pc_merkle_edge *e)
{
	unsigned char h[PC_HASH_LEN];
	unsigned i;
	int r;

	if (e->n == 0)
		return pc_sha256(out, NULL, 0);
	memcpy(h, e->hash[e->n - 1], PC_HASH_LEN);
	for (i = e->n - 1; i-- > 0;)
		if ((r = pc_merkle_node_hash(h, e->hash[i], h)) < 0)
			return r;
	memcpy(out, h, PC_HASH_LEN);
	return 0;
}

static unsigned popcount64(uint64_t v)
{
	return (unsigned)__builtin_popcountll(v);
}

int pc_merkle_edge_set(pc_merkle_edge *e, uint64_t size, const unsigned char (*hashes)[PC_HASH_LEN], unsigned n)
{
	if (n != popcount64(size))
		return PC_EINVAL;
	e->size = size;
	e->n = n;
	if (n)
		memcpy(e->hash, hashes, (size_t)n * PC_HASH_LEN);
	return 0;
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static void reverse_ranges(pc_merkle_range *r, size_t n)
{
	size_t i;

	for (i = 0; i < n / 2; i++) {
		pc_merkle_range t = r[i];
		r[i] = r[n - 1 - i];
		r[n - 1 - i] = t;
	}
}

int pc_merkle_inclusion_ranges(pc_merkle_range *out, size_t *n, uint64_t index, uint64_t size)
{
	uint64_t begin = 0, end = size, k;

	*n = 0;
	if (index >= size)
		return PC_EINVAL;
	/* Walk down from the root; the siblings met on the way are the proof, top first. */
	while (end - begin > 1) {
		k = split_point(end - begin);
		if (index - begin < k) {
			out[(*n)++] = (pc_merkle_range){ begin + k, end };
			end = begin + k;
		} else {
			out[(*n)++] = (pc_merkle_range){ begin, begin + k };
			begin += k;
		}
	}
	reverse_ranges(out, *n);
	return 0;
}

int pc_merkle_consistency_ranges(pc_merkle_range *out, size_t *n, uint64_t m, uint64_t size)
{
	uint64_t begin = 0, end = size, k;
	int whole = 1;	/* RFC 6962's b: the old tree is the left part of this subtree */

	*n = 0;
	if (m > size)
		return PC_EINVAL;
	if (m == 0 || m == size)
		return 0;
	while (m != end - begin) {
		k = split_point(end - begin);
		if (m <= k) {
			out[(*n)++] = (pc_merkle_range){ begin + k, end };
			end = begin + k;
		} else {
			out[(*n)++] = (pc_merkle_range){ begin, begin + k };
			m -= k;
			begin += k;
			whole = 0;
		}
	}
	if (!whole)
		out[(*n)++] = (pc_merkle_range){ begin, end };
	reverse_ranges(out, *n);
	return 0;
}

int pc_merkle_inclusion_verify(const unsigned char leaf[PC_HASH_LEN], uint64_t index, uint64_t size,
	const unsigned char (*proof)[PC_HASH_LEN], size_t n, const unsigned char root[PC_HASH_LEN])
{
	unsigned char r[PC_HASH_LEN];
	uint64_t fn, sn;
	size_t i;

	if (index >= size)
		return PC_EVERIFY;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, PC_HASH_LEN);
	for (i = 0; i < n; i++) {
		if (sn == 0)
			return PC_EVERIFY;
		if ((fn & 1) || fn == sn) {
			if (pc_merkle_node_hash(r, proof[i], r) < 0)
				return PC_ERROR;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (pc_merkle_node_hash(r, r, proof[i]) < 0) {
			return PC_ERROR;
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && !memcmp(r, root, PC_HASH_LEN) ? 0 : PC_EVERIFY;
}

int pc_merkle_consistency_verify(uint64_t m, const unsigned char root_m[PC_HASH_LEN],
	uint64_t size, const unsigned char root[PC_HASH_LEN],
	const unsigned char (*proof)[PC_HASH_LEN], size_t n)
{
	unsigned char fr[PC_HASH_LEN], sr[PC_HASH_LEN];
	uint64_t fn, sn;
	size_t i = 0;

	if (m > size)
		return PC_EVERIFY;
	if (m == size)
		return n == 0 && !memcmp(root_m, root, PC_HASH_LEN) ? 0 : PC_EVERIFY;
	if (m == 0)
		return n == 0 ? 0 : PC_EVERIFY;
	if (n == 0)
		return PC_EVERIFY;
	fn = m - 1;
	sn = size - 1;
	/* A power-of-two old tree is itself a node of the new one: its root starts the path. */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root_m, PC_HASH_LEN);
	} else {
		memcpy(fr, proof[0], PC_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, PC_HASH_LEN);
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < n; i++) {
		if (sn == 0)
			return PC_EVERIFY;
		if ((fn & 1) || fn == sn) {
			if (pc_merkle_node_hash(fr, proof[i], fr) < 0 || pc_merkle_node_hash(sr, proof[i], sr) < 0)
				return PC_ERROR;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (pc_merkle_node_hash(sr, sr, proof[i]) < 0) {
			return PC_ERROR;
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && !memcmp(fr, root_m, PC_HASH_LEN) && !memcmp(sr, root, PC_HASH_LEN) ?
		0 : PC_EVERIFY;
}

static int range_root(unsigned char out[PC_HASH_LEN], const unsigned char (*leaves)[PC_HASH_LEN],
	uint64_t begin, uint64_t end)
{
	unsigned char l[PC_HASH_LEN], r[PC_HASH_LEN];
	uint64_t k;
	int e;

	if (end - begin == 1) {
		memcpy(out, leaves[begin], PC_HASH_LEN);
		return 0;
	}
	k = split_point(end - begin);
	if ((e = range_root(l, leaves, begin, begin + k)) < 0 ||
	    (e = range_root(r, leaves, begin + k, end)) < 0)
		return e;
	return pc_merkle_node_hash(out, l, r);
}

int pc_merkle_root(unsigned char out[PC_HASH_LEN], const unsigned char (*leaves)[PC_HASH_LEN], uint64_t n)
{
	if (n == 0)
		return pc_sha256(out, NULL, 0);
	return range_root(out, leaves, 0, n);
}

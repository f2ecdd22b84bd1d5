/*
 * Unit tests for the RFC 6962 tree: roots, the right edge, inclusion and
 * consistency proofs.  The fixed vectors were computed independently with
 * Python's hashlib from RFC 6962's recursive definitions (MTH, PATH,
 * PROOF); the first eight leaves are the certificate-transparency test
 * leaves.  For every size 1..64 the proofs are also compared with a direct
 * transcription of those definitions below, hashed with OpenSSL directly.
 */
#include "merkle.h"
#include "util.h"
#include "tap.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static const char *ct_leaves[] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static const char *ct_roots[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static const struct { unsigned a, size; const char *proof; } ct_inclusion[] = {
	{ 0, 8, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc75f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" },
	{ 5, 8, "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6bca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" },
	{ 2, 3, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" },
	{ 3, 7, "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e" },
	{ 0, 1, "" },
	{ 6, 7, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6ad37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" },
}, ct_consistency[] = {
	{ 1, 8, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc75f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" },
	{ 6, 8, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6aca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" },
	{ 2, 5, "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031ebc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" },
	{ 3, 7, "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe707506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e" },
	{ 4, 8, "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" },
	{ 7, 7, "" },
};

/* Roots of the leaves "leaf-0", "leaf-1", ... */
static const struct { unsigned size; const char *root; } named_roots[] = {
	{ 1, "305df59f9590c3c9ac63d2b2743c388e3792449078cebf7fb3dbe6471643b2b7" },
	{ 2, "60a53eed0de87a90c8e59427c59c46253c33a76a09502a51801300927b7e6bdc" },
	{ 3, "cf763a041c81ceef1578a6083f75c61bef2e0014f2a3e683a97fcfca5be7f19a" },
	{ 4, "bdd1c5ff55b19cb6b0e7c761bf9a6ccaa27fbbfc07b74f1fabb6e911a0bd2ab3" },
	{ 5, "00d21829a5503145348abcf712513eacf2a274211ad83e970202bb5b6d80b286" },
	{ 6, "160cf1a616e8792f9078a9665cb06520d95a33f467d0826f2310219d31383d73" },
	{ 7, "0b007fb915eb9b2a146f54b1c86ec53b664f8e455b7660b0b6ee13edc0d921c0" },
	{ 8, "ca6b7b3e674ac86c1027b59c87c064fc3bc27b313294c75f83bd05fdd13f0dcf" },
	{ 9, "1374d3a5ecbef4cd7c109e5d0127955f4ef014756496d70a0f99f65aa0ac8a30" },
	{ 10, "b45918633ee931a29d24197409547081c315d26ecb3fb0417b8941f859b8e07e" },
	{ 11, "1db5226a80052816fa403f39e329ed282432541d670d8a2f2708ee86a7df10d4" },
	{ 12, "63e10ec2c89ceebe1f5a82e62bf70c2b1c7c6906734b18a5bc87038c967d27fb" },
	{ 13, "a8ef4844c8e1d5ba49c811cdb86e95791f5d32ca7d9709afda28fdf65e949a53" },
	{ 14, "c6a8ada5942b752269db0abb473591edd79127239e116a7197dd8f9509658e63" },
	{ 15, "49d802595ac25179ef8603eecd16943d36ae28a344f4bde5ae7d2a6206a96118" },
	{ 16, "cba3a9fefaccc7480d94577a738a22b99d3b7ded3a218a5628b4c5c8f77b87a7" },
	{ 17, "9bff4478570b1fa635917302d4a4a88d610ab38bf01e9ce302f991554beaa848" },
	{ 31, "aab4ae4540feef0c96657b2b25243c835f384b2fd2a9ae5086bda4be167c7582" },
	{ 32, "5910ab4a28c8754ba5cd1b098f74ffb05926d7a91bd40ab0904ef8779465347b" },
	{ 33, "22924fa0fcb8ac3b8675a9719a021285fc622b3cedddd4eb5709ea9e8f2563e9" },
	{ 63, "027464f4e28b8e27310b67636d2f1cc669598b42823ccfe253244acece1850a5" },
	{ 64, "11206652df8512a0fbdc024270fcb6e4f72b5a9414f34e92f880242f6926f9a9" },
};

typedef unsigned char hash[PC_HASH_LEN];

/* The reference: RFC 6962 section 2.1 transcribed, with OpenSSL's SHA-256. */
static void ref_digest(hash out, unsigned char prefix, const void *a, size_t alen, const void *b, size_t blen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, &prefix, 1);
	EVP_DigestUpdate(ctx, a, alen);
	if (blen)
		EVP_DigestUpdate(ctx, b, blen);
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
}

static unsigned ref_k(unsigned n)
{
	unsigned k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void ref_mth(hash out, hash *leaves, unsigned n)
{
	hash l, r;
	unsigned k;

	if (n == 1) {
		memcpy(out, leaves[0], PC_HASH_LEN);
		return;
	}
	k = ref_k(n);
	ref_mth(l, leaves, k);
	ref_mth(r, leaves + k, n - k);
	ref_digest(out, 1, l, PC_HASH_LEN, r, PC_HASH_LEN);
}

static void ref_path(hash *out, unsigned *np, unsigned m, hash *leaves, unsigned n)
{
	unsigned k;

	if (n <= 1)
		return;
	k = ref_k(n);
	if (m < k) {
		ref_path(out, np, m, leaves, k);
		ref_mth(out[(*np)++], leaves + k, n - k);
	} else {
		ref_path(out, np, m - k, leaves + k, n - k);
		ref_mth(out[(*np)++], leaves, k);
	}
}

static void ref_subproof(hash *out, unsigned *np, unsigned m, hash *leaves, unsigned n, int b)
{
	unsigned k;

	if (m == n) {
		if (!b)
			ref_mth(out[(*np)++], leaves, n);
		return;
	}
	k = ref_k(n);
	if (m <= k) {
		ref_subproof(out, np, m, leaves, k, b);
		ref_mth(out[(*np)++], leaves + k, n - k);
	} else {
		ref_subproof(out, np, m - k, leaves + k, n - k, 0);
		ref_mth(out[(*np)++], leaves, k);
	}
}

/* The proof from the library's ranges, with subtree roots taken over the in-memory leaves. */
static int proof_from_ranges(hash *out, const pc_merkle_range *r, size_t n, hash *leaves)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pc_merkle_root(out[i], (const unsigned char (*)[PC_HASH_LEN])(leaves + r[i].begin),
			r[i].end - r[i].begin) < 0)
			return -1;
	return 0;
}

static void hexhash(char out[65], const hash h)
{
	pc_hex(out, h, PC_HASH_LEN);
}

static void test_ct_vectors(void)
{
	hash leaves[8], root, proof[PC_MERKLE_MAX_PROOF], want[8];
	unsigned char raw[16];
	pc_merkle_edge e;
	pc_merkle_range ranges[PC_MERKLE_MAX_PROOF];
	char hex[65];
	size_t i, n, j, len;

	pc_merkle_edge_init(&e);
	pc_merkle_edge_root(root, &e);
	hexhash(hex, root);
	is_str(hex, ct_roots[0], "the empty tree's root is SHA-256 of nothing");
	for (i = 0; i < 8; i++) {
		len = strlen(ct_leaves[i]) / 2;
		pc_unhex(raw, ct_leaves[i], len);
		pc_merkle_leaf_hash(leaves[i], raw, len);
		pc_merkle_edge_append(&e, leaves[i]);
		pc_merkle_edge_root(root, &e);
		hexhash(hex, root);
		is_str(hex, ct_roots[i + 1], "CT vector root of %zu leaves, from the right edge", i + 1);
		pc_merkle_root(root, (const unsigned char (*)[PC_HASH_LEN])leaves, i + 1);
		hexhash(hex, root);
		is_str(hex, ct_roots[i + 1], "CT vector root of %zu leaves, from the leaves", i + 1);
	}
	for (i = 0; i < PC_ARRAY_SIZE(ct_inclusion); i++) {
		pc_merkle_inclusion_ranges(ranges, &n, ct_inclusion[i].a, ct_inclusion[i].size);
		proof_from_ranges(proof, ranges, n, leaves);
		len = strlen(ct_inclusion[i].proof) / 64;
		for (j = 0; j < len; j++)
			pc_unhex(want[j], ct_inclusion[i].proof + 64 * j, PC_HASH_LEN);
		ok(n == len && (n == 0 || !memcmp(proof, want, n * PC_HASH_LEN)),
			"inclusion proof of leaf %u in %u matches the Python vector", ct_inclusion[i].a, ct_inclusion[i].size);
		pc_unhex(root, ct_roots[ct_inclusion[i].size], PC_HASH_LEN);
		is_int(pc_merkle_inclusion_verify(leaves[ct_inclusion[i].a], ct_inclusion[i].a, ct_inclusion[i].size,
			(const unsigned char (*)[PC_HASH_LEN])want, len, root), 0,
			"and the vector verifies against the CT root");
	}
	for (i = 0; i < PC_ARRAY_SIZE(ct_consistency); i++) {
		hash old_root;
		pc_merkle_consistency_ranges(ranges, &n, ct_consistency[i].a, ct_consistency[i].size);
		proof_from_ranges(proof, ranges, n, leaves);
		len = strlen(ct_consistency[i].proof) / 64;
		for (j = 0; j < len; j++)
			pc_unhex(want[j], ct_consistency[i].proof + 64 * j, PC_HASH_LEN);
		ok(n == len && (n == 0 || !memcmp(proof, want, n * PC_HASH_LEN)),
			"consistency proof %u -> %u matches the Python vector", ct_consistency[i].a, ct_consistency[i].size);
		pc_unhex(old_root, ct_roots[ct_consistency[i].a], PC_HASH_LEN);
		pc_unhex(root, ct_roots[ct_consistency[i].size], PC_HASH_LEN);
		is_int(pc_merkle_consistency_verify(ct_consistency[i].a, old_root, ct_consistency[i].size, root,
			(const unsigned char (*)[PC_HASH_LEN])want, len), 0,
			"and the vector verifies against the CT roots");
	}
}

static void test_named_roots(hash *leaves)
{
	pc_merkle_edge e;
	hash root;
	char hex[65];
	size_t i, k = 0;

	pc_merkle_edge_init(&e);
	for (i = 0; i < 64; i++) {
		pc_merkle_edge_append(&e, leaves[i]);
		if (k < PC_ARRAY_SIZE(named_roots) && named_roots[k].size == i + 1) {
			pc_merkle_edge_root(root, &e);
			hexhash(hex, root);
			is_str(hex, named_roots[k].root, "root of %zu named leaves matches the Python value", i + 1);
			k++;
		}
	}
	ok(e.n == 1 && e.size == 64, "a tree of 64 leaves has one perfect subtree on its edge");
}

static void test_edge_roundtrip(hash *leaves)
{
	pc_merkle_edge e, copy;
	hash a, b;
	int good = 1;
	unsigned i;

	pc_merkle_edge_init(&e);
	for (i = 0; i < 64; i++) {
		pc_merkle_edge_append(&e, leaves[i]);
		pc_merkle_edge_init(&copy);
		if (pc_merkle_edge_set(&copy, e.size, (const unsigned char (*)[PC_HASH_LEN])e.hash, e.n) < 0)
			good = 0;
		pc_merkle_edge_root(a, &e);
		pc_merkle_edge_root(b, &copy);
		if (memcmp(a, b, PC_HASH_LEN))
			good = 0;
	}
	ok(good, "an edge rebuilt from its cached parts has the same root, sizes 1..64");
	is_int(pc_merkle_edge_set(&copy, 5, (const unsigned char (*)[PC_HASH_LEN])e.hash, 1), PC_EINVAL,
		"an edge whose hash count does not match its size is refused");
}

static void test_inclusion_all(hash *leaves)
{
	hash proof[PC_MERKLE_MAX_PROOF], ref[PC_MERKLE_MAX_PROOF], root, bigger, bad;
	pc_merkle_range ranges[PC_MERKLE_MAX_PROOF];
	unsigned size, m, nref;
	size_t n;
	int same, verifies, tamper_caught;
	const unsigned char (*P)[PC_HASH_LEN] = (const unsigned char (*)[PC_HASH_LEN])proof;

	for (size = 1; size <= 64; size++) {
		same = verifies = tamper_caught = 1;
		ref_mth(root, leaves, size);
		ref_mth(bigger, leaves, size + 1);
		for (m = 0; m < size; m++) {
			nref = 0;
			ref_path(ref, &nref, m, leaves, size);
			pc_merkle_inclusion_ranges(ranges, &n, m, size);
			proof_from_ranges(proof, ranges, n, leaves);
			if (n != nref || (n && memcmp(proof, ref, n * PC_HASH_LEN)))
				same = 0;
			if (pc_merkle_inclusion_verify(leaves[m], m, size, P, n, root) != 0)
				verifies = 0;
			/*
			 * Each way of lying must fail.  (The size is not bound by the
			 * proof but by the checkpoint that signs size and root together,
			 * so the lie about size is tested with the other tree's root.)
			 */
			if (pc_merkle_inclusion_verify(leaves[(m + 1) % 64], m, size, P, n, root) == 0 ||
			    (size > 1 && pc_merkle_inclusion_verify(leaves[m], (m + 1) % size, size, P, n, root) == 0) ||
			    pc_merkle_inclusion_verify(leaves[m], m, size + 1, P, n, bigger) == 0 ||
			    pc_merkle_inclusion_verify(leaves[m], size, size, P, n, root) == 0 ||
			    (n && pc_merkle_inclusion_verify(leaves[m], m, size, P, n - 1, root) == 0))
				tamper_caught = 0;
			if (n) {
				memcpy(bad, proof[n / 2], PC_HASH_LEN);
				proof[n / 2][0] ^= 1;
				if (pc_merkle_inclusion_verify(leaves[m], m, size, P, n, root) == 0)
					tamper_caught = 0;
				memcpy(proof[n / 2], bad, PC_HASH_LEN);
			}
			memcpy(proof[n], leaves[0], PC_HASH_LEN);
			if (pc_merkle_inclusion_verify(leaves[m], m, size, P, n + 1, root) == 0)
				tamper_caught = 0;
		}
		ok(same && verifies && tamper_caught,
			"size %u: every inclusion proof equals RFC 6962 PATH, verifies, and no altered proof does", size);
	}
}

static void test_consistency_all(hash *leaves)
{
	hash proof[PC_MERKLE_MAX_PROOF], ref[PC_MERKLE_MAX_PROOF], root, old_root, other, bigger;
	pc_merkle_range ranges[PC_MERKLE_MAX_PROOF];
	unsigned size, m, nref;
	size_t n;
	int same, verifies, tamper_caught;
	const unsigned char (*P)[PC_HASH_LEN] = (const unsigned char (*)[PC_HASH_LEN])proof;

	for (size = 1; size <= 64; size++) {
		same = verifies = tamper_caught = 1;
		ref_mth(root, leaves, size);
		ref_mth(bigger, leaves, size + 1);
		for (m = 1; m <= size; m++) {
			ref_mth(old_root, leaves, m);
			nref = 0;
			ref_subproof(ref, &nref, m, leaves, size, 1);
			pc_merkle_consistency_ranges(ranges, &n, m, size);
			proof_from_ranges(proof, ranges, n, leaves);
			if (n != nref || (n && memcmp(proof, ref, n * PC_HASH_LEN)))
				same = 0;
			if (pc_merkle_consistency_verify(m, old_root, size, root, P, n) != 0)
				verifies = 0;
			/* A different old tree (same size, one leaf changed) is not a prefix. */
			memcpy(other, old_root, PC_HASH_LEN);
			other[5] ^= 0x40;
			if (pc_merkle_consistency_verify(m, other, size, root, P, n) == 0 ||
			    pc_merkle_consistency_verify(m, old_root, size, other, P, n) == 0 ||
			    (m < size && pc_merkle_consistency_verify(m + 1, old_root, size, root, P, n) == 0) ||
			    pc_merkle_consistency_verify(m, old_root, size + 1, bigger, P, n) == 0)
				tamper_caught = 0;
			if (n) {
				proof[n - 1][0] ^= 1;
				if (pc_merkle_consistency_verify(m, old_root, size, root, P, n) == 0)
					tamper_caught = 0;
				proof[n - 1][0] ^= 1;
				if (pc_merkle_consistency_verify(m, old_root, size, root, P, n - 1) == 0)
					tamper_caught = 0;
			}
		}
		ok(same && verifies && tamper_caught,
			"size %u: every consistency proof equals RFC 6962 PROOF, verifies, and no altered one does", size);
	}
	pc_merkle_consistency_ranges(ranges, &n, 0, 10);
	ok(n == 0 && pc_merkle_consistency_verify(0, old_root, 10, root, P, 0) == 0,
		"every tree is consistent with the empty tree, with an empty proof");
	is_int(pc_merkle_consistency_ranges(ranges, &n, 11, 10), PC_EINVAL, "a larger old tree has no proof");
	is_int(pc_merkle_inclusion_ranges(ranges, &n, 10, 10), PC_EINVAL, "an index past the end has no proof");
}

int main(void)
{
	hash leaves[65];
	char name[16];
	int i;

	for (i = 0; i < 65; i++) {
		int len = snprintf(name, sizeof(name), "leaf-%d", i);
		ref_digest(leaves[i], 0, name, (size_t)len, NULL, 0);
	}
	{
		hash mine;
		pc_merkle_leaf_hash(mine, "leaf-3", 6);
		ok(!memcmp(mine, leaves[3], PC_HASH_LEN), "the leaf hash is SHA-256(0x00 || data)");
	}
	test_ct_vectors();
	test_named_roots(leaves);
	test_edge_roundtrip(leaves);
	test_inclusion_all(leaves);
	test_consistency_all(leaves);
	return done_testing();
}

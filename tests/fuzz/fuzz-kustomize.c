/*
 * fuzz-kustomize.c: libFuzzer entry for pc_kustomization_parse, which
 * reads the images and includes of a kustomization from pushed content
 * (Pattern3's `after:`).
 */
#include "kustomize.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pc_error err = PC_ERROR_INIT;
	pc_kustomization *k = NULL;

	if (pc_kustomization_parse(&k, "kustomization.yaml", (const char *)data, size, &err) == 0)
		pc_kustomization_free(k);
	return 0;
}

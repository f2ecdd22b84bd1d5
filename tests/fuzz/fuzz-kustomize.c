/*
 * fuzz-kustomize.c: libFuzzer entry for pc_kustomize_images, which reads
 * the images: of a kustomization from pushed content (Pattern3's `after:`).
 */
#include "kustomize.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pc_error err = PC_ERROR_INIT;
	pc_kimage *images = NULL;
	size_t n = 0;

	if (pc_kustomize_images(&images, &n, "kustomization.yaml", (const char *)data, size, &err) == 0)
		pc_kustomize_images_free(images, n);
	return 0;
}

/*
 * fuzz-update.c: libFuzzer entry for what the hooks read from git on
 * stdin: "OLD NEW REF" lines, one at a time (pc_update_parse) and as a
 * stream (pc_updates_read, with a small max_refs so the limit is reached).
 */
#include "session.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	git_libgit2_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pc_error err = PC_ERROR_INIT;
	pc_update u, *list = NULL;
	const char *p = (const char *)data, *end = p + size, *nl;
	size_t n = 0;
	FILE *fp;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (pc_update_parse(&u, p, (size_t)(nl - p), &err) == 0)
			pc_update_release(&u);
		p = nl + 1;
	}
	if (size && (fp = fmemopen((void *)data, size, "r"))) {
		if (pc_updates_read(&list, &n, fp, 16, &err) == 0)
			pc_updates_free(list, n);
		fclose(fp);
	}
	return 0;
}

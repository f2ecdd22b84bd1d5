/*
 * fuzz-codeowners.c: libFuzzer entry for CODEOWNERS.  The input is
 * "CODEOWNERS text" or "CODEOWNERS text\0path\npath...": the file is
 * parsed (pc_codeowners_parse) and each path, or a fixed set when none is
 * given, is matched against it (pc_codeowners_match).  The first line is
 * also tried as a single pattern against each path.
 */
#include "codeowners.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char default_paths[] =
	"README.md\nbase/app.yaml\noverlays/prd/kustomization.yaml\ndocs/a/b/c.md\n"
	".github/CODEOWNERS\nsrc/[x].c\n#not-a-comment\na b\n\\*\n";

static void match_all(const pc_codeowners *co, const char *pattern, const char *paths)
{
	pc_co_match *out;
	size_t n = pc_codeowners_nsections(co);
	char *copy, *path, *next;

	if (!(copy = strdup(paths)))
		return;
	if (!(out = calloc(n ? n : 1, sizeof(*out)))) {
		free(copy);
		return;
	}
	for (path = copy; path; path = next) {
		if ((next = strchr(path, '\n')))
			*next++ = '\0';
		pc_codeowners_match(co, path, out);
		if (pattern)
			pc_codeowners_pattern_match(pattern, path);
	}
	free(out);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pc_diag diags = PC_DIAG_INIT;
	pc_codeowners *co = NULL;
	const char *text = (const char *)data, *nul;
	size_t text_len = size;
	char *paths = NULL, *pattern = NULL;
	const char *eol;

	if ((nul = memchr(text, '\0', size))) {
		text_len = (size_t)(nul - text);
		if (!(paths = strndup(nul + 1, size - text_len - 1)))
			return 0;
	}
	eol = memchr(text, '\n', text_len);
	pattern = strndup(text, eol ? (size_t)(eol - text) : text_len);
	if (pc_codeowners_parse(&co, "CODEOWNERS", text, text_len, &diags) == 0)
		match_all(co, pattern, paths ? paths : default_paths);
	pc_codeowners_free(co);
	pc_diag_clear(&diags);
	free(pattern);
	free(paths);
	return 0;
}

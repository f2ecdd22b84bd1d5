/*
 * rules.h: PCRE2 patterns with match limits, as the push rules use them.
 */
#ifndef PC_RULES_H
#define PC_RULES_H

#include "common.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Limits that bound a pathological pattern (ReDoS) instead of hanging a push. */
#define PC_REGEX_MATCH_LIMIT 1000000
#define PC_REGEX_DEPTH_LIMIT 10000

typedef struct pc_regex {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	char *source;
} pc_regex;

/* Compile; errors say where the pattern is wrong ("at offset N: message"). */
int pc_regex_compile(pc_regex *re, const char *pattern, pc_error *err);
/* 1 match, 0 no match, PC_ELIMIT when the match limit was hit, <0 other errors. */
int pc_regex_match(pc_regex *re, const char *subject, size_t len);
void pc_regex_release(pc_regex *re);

#endif

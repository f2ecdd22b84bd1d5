/*
 * glob.h: the one glob matcher, for ref and branch patterns, OpenSSH
 * pattern lists (allowed_signers principals and namespaces) and the
 * components of CODEOWNERS patterns.
 *
 * Every match takes O(len(pattern) x len(name)) steps at worst and no
 * recursion, whatever the pusher puts in a ref name or a path: patterns
 * without `**` are matched greedily with one backtrack point (the last
 * `*`), patterns with `**` by a state-set simulation of the pattern.
 *
 * The dialects differ only in what is special:
 *   PC_GLOB_REF         `*` and `?` stay within one '/'-separated component,
 *                       `**` spans components and `**` followed by '/' also
 *                       matches no component at all; `[...]` classes (`!`
 *                       or `^` negation, ranges, `]` first is literal) never
 *                       match '/'; `\` quotes the next byte.
 *   PC_GLOB_SSH         OpenSSH's match_pattern: `*` and `?` only; '/', '['
 *                       and '\' are ordinary bytes.
 *   PC_GLOB_CODEOWNERS  one path component: `*` and `?`, `\` quotes; '[' and
 *                       ']' are ordinary (GitHub documents that character
 *                       ranges do not work in CODEOWNERS).
 * A pattern with an unterminated class matches nothing.
 */
#ifndef PC_GLOB_H
#define PC_GLOB_H

#include <stddef.h>

#define PC_GLOB_PATHNAME 0x1u	/* `*`, `?`, classes stop at '/'; `**` crosses it */
#define PC_GLOB_CLASS 0x2u	/* `[...]` classes; without it '[' is an ordinary byte */
#define PC_GLOB_ESCAPE 0x4u	/* `\` quotes the next byte */

#define PC_GLOB_REF (PC_GLOB_PATHNAME | PC_GLOB_CLASS | PC_GLOB_ESCAPE)
#define PC_GLOB_SSH 0u
#define PC_GLOB_CODEOWNERS PC_GLOB_ESCAPE

/* Ref and branch patterns are refused from this length on (pc_glob_valid). */
#define PC_GLOB_REF_MAX 1024

/*
 * OpenSSH copies each element of a pattern list into a 1024-byte buffer and
 * treats the whole list as matching nothing when an element (without its
 * `!`) is this long or longer.
 */
#define PC_GLOB_SSH_ELEM_MAX 1023

/* 1 when pattern[0..plen) matches name[0..nlen) in the dialect `flags`. */
int pc_glob_matchn(const char *pattern, size_t plen, const char *name, size_t nlen, unsigned flags);

/* Ref and branch patterns (PC_GLOB_REF), NUL-terminated. */
int pc_glob_match(const char *pattern, const char *name);
/* 1 when pattern is a valid ref glob (not empty, classes closed, no trailing `\`, not too long). */
int pc_glob_valid(const char *pattern, const char **why);
/* 1 when a ref pattern has a wildcard. */
int pc_is_glob(const char *pattern);

/*
 * An OpenSSH pattern list (ssh_config(5) PATTERNS: comma-separated, `!`
 * negates an element) against s, as OpenSSH's match_pattern_list: 1 when an
 * element matches and no negated one does, -1 when a negated element
 * matches, 0 otherwise, and 0 as soon as an element reaches
 * PC_GLOB_SSH_ELEM_MAX bytes.
 */
int pc_glob_match_list(const char *s, const char *list);

#endif

/*
 * common.h: error codes and the error value every module reports through.
 *
 * Functions return 0 on success or a negative PC_E* code, and fill a
 * pc_error with a lower-case message that says what to fix.
 */
#ifndef PC_COMMON_H
#define PC_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

enum {
	PC_OK = 0,
	PC_ERROR = -1,		/* generic failure, message set */
	PC_ENOMEM = -2,		/* allocation failed */
	PC_EINVAL = -3,		/* invalid input (syntax, type, value) */
	PC_ENOTFOUND = -4,	/* object, file or key not found */
	PC_ETRUNCATED = -5,	/* input ended early */
	PC_ELIMIT = -6,		/* a configured or built-in limit was exceeded */
	PC_EIO = -7,		/* system call failed */
	PC_EVERIFY = -8,	/* signature or proof did not verify */
	PC_EUNSAFE = -9		/* file ownership or permissions refused */
};

#define PC_ERROR_MAX 1024

typedef struct pc_error {
	int code;
	char msg[PC_ERROR_MAX];
} pc_error;

#define PC_ERROR_INIT { 0, { 0 } }

/* Set err (may be NULL) and return code, so callers can `return pc_error_set(...)`. */
int pc_error_set(pc_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix an existing message: "context: old message". */
int pc_error_prefix(pc_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pc_error_clear(pc_error *err);

/* An object id in hex, SHA-1 or SHA-256, plus NUL. */
#define PC_HEX_MAX 65

#define PC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif

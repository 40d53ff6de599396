#ifndef INFOSTORE_LOG_H
#define INFOSTORE_LOG_H

/*
 * Structured logging to stderr, one line per event:
 *
 *   2026-11-24T09:10:00.123Z info imap: login user=alice@example.test ip=127.0.0.1
 *
 * The message is free text followed by key=value pairs; values with spaces
 * or quotes are quoted by log_kv(). Never pass a password, a session id or
 * a token to these functions.
 */

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERROR,
};

void log_set_level(enum log_level level);
/* 0 on success, -1 for an unknown name ("debug", "info", "warning", "error"). */
int log_level_parse(const char *name, enum log_level *level_r);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level level, const char *component, const char *fmt,
	      va_list args) __attribute__((format(printf, 3, 0)));

#define log_debug(comp, ...) \
	do { if (log_enabled(LOG_LEVEL_DEBUG)) \
		log_msg(LOG_LEVEL_DEBUG, comp, __VA_ARGS__); } while (0)
#define log_info(comp, ...) log_msg(LOG_LEVEL_INFO, comp, __VA_ARGS__)
#define log_warning(comp, ...) log_msg(LOG_LEVEL_WARNING, comp, __VA_ARGS__)
#define log_error(comp, ...) log_msg(LOG_LEVEL_ERROR, comp, __VA_ARGS__)

/*
 * Make value safe for a key=value log field: control characters are
 * escaped, and the value is quoted when it holds spaces, quotes or '='.
 * Returns a pointer into a small thread-local ring of buffers, valid for the
 * next few calls (enough for one log line); long values are truncated.
 */
const char *log_value(const char *value);

#endif

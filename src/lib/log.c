#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level log_min_level = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_ERROR] = "error",
};

void log_set_level(enum log_level level)
{
	log_min_level = level;
}

int log_level_parse(const char *name, enum log_level *level_r)
{
	for (size_t i = 0; i < sizeof(log_level_names) / sizeof(*log_level_names); i++) {
		if (strcmp(name, log_level_names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

bool log_enabled(enum log_level level)
{
	return level >= log_min_level;
}

void log_vmsg(enum log_level level, const char *component, const char *fmt,
	      va_list args)
{
	char line[4096];
	struct timespec ts;
	struct tm tm;
	size_t pos;
	int n;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	pos = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + pos, sizeof(line) - pos, ".%03ldZ %s %s: ",
		     ts.tv_nsec / 1000000, log_level_names[level], component);
	if (n > 0)
		pos += (size_t)n;
	n = vsnprintf(line + pos, sizeof(line) - pos - 1, fmt, args);
	if (n < 0)
		n = 0;
	pos += (size_t)n;
	if (pos > sizeof(line) - 2)
		pos = sizeof(line) - 2;
	/* One write per line so that concurrent writers do not interleave. */
	line[pos++] = '\n';
	fwrite(line, 1, pos, stderr);
	fflush(stderr);
}

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_vmsg(level, component, fmt, args);
	va_end(args);
}

const char *log_value(const char *value)
{
	static _Thread_local char ring[8][256];
	static _Thread_local unsigned int next;
	char *out = ring[next++ % 8];
	size_t o = 0, max = sizeof(ring[0]) - 8;
	bool quote = false;

	if (value == NULL)
		return "-";
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\') {
			quote = true;
			break;
		}
	}
	if (*value == '\0')
		quote = true;
	if (quote)
		out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)value;
	     *p != '\0' && o < max; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	if (quote)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}

#ifndef INFOSTORE_DAV_HEADERS_H
#define INFOSTORE_DAV_HEADERS_H

/*
 * The request headers DAV reads, parsed without I/O (fuzzed): Depth
 * (RFC 4918 10.2), the entity-tag lists of If-Match, If-None-Match and
 * If-Schedule-Tag-Match (RFC 9110 13.1, RFC 6638 8.3), Basic credentials
 * (RFC 7617) and the Brief/Prefer hints (RFC 7240).
 */

#include <stdbool.h>

struct pool;

#define DAV_DEPTH_INFINITY (-1)
#define DAV_DEPTH_ABSENT (-2)
#define DAV_DEPTH_INVALID (-3)
/* 0, 1, DAV_DEPTH_INFINITY, DAV_DEPTH_ABSENT (value NULL) or
   DAV_DEPTH_INVALID */
int dav_depth_parse(const char *value);

/* Does the entity-tag list name etag ("\"12\"")? "*" names any existing
   resource (etag not ""); weak tags never match (strong comparison). */
bool dav_etag_listed(const char *list, const char *etag);

/* Longest Authorization header value we read. */
#define DAV_AUTH_MAX 1024
/* Basic credentials: "address:password" in base64. true with both in
   pool memory (the caller wipes the password), false when absent or
   malformed. */
bool dav_basic_parse(struct pool *pool, const char *header, const char **user_r,
		     char **password_r);

/* Brief: t (Apple) or Prefer: return=minimal (RFC 7240 4.2). */
bool dav_brief(const char *brief, const char *prefer);

#endif

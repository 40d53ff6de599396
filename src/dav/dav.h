#ifndef INFOSTORE_DAV_H
#define INFOSTORE_DAV_H

/*
 * CalDAV (RFC 4791) with scheduling (RFC 6638) and CardDAV (RFC 6352),
 * served under /dav/ by the web access's listeners (see dav-path.h for
 * the namespace). The same items as the web access and iMIP: a change
 * made here is a change of the user's calendar, seen everywhere.
 */

struct server;

/* Register /dav/ and the /.well-known/ redirects with the web access.
   0, or -1 with *error_r. */
int dav_init(struct server *srv, const char **error_r);
/* Answer requests still waiting for a password check (shutdown). */
void dav_deinit(void);

#endif

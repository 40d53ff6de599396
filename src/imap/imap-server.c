/* Placeholder until the IMAP front-end lands: binds nothing. */
#include "imap-server.h"

int imap_server_init(struct server *srv, const char **error_r)
{
	(void)srv;
	(void)error_r;
	return 0;
}

void imap_server_deinit(void)
{
}

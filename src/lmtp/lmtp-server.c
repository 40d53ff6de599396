/* Placeholder until the lmtp front-end lands: binds nothing. */
#include "lmtp-server.h"

int lmtp_server_init(struct server *srv, const char **error_r)
{
	(void)srv;
	(void)error_r;
	return 0;
}

void lmtp_server_deinit(void)
{
}

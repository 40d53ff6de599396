/* Placeholder until the web front-end lands: binds nothing. */
#include "web-server.h"

int web_server_init(struct server *srv, const char **error_r)
{
	(void)srv;
	(void)error_r;
	return 0;
}

void web_server_deinit(void)
{
}

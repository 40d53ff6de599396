/* Placeholder until the pop3 front-end lands: binds nothing. */
#include "pop3-server.h"

int pop3_server_init(struct server *srv, const char **error_r)
{
	(void)srv;
	(void)error_r;
	return 0;
}

void pop3_server_deinit(void)
{
}

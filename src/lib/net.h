#ifndef INFOSTORE_NET_H
#define INFOSTORE_NET_H

/*
 * Listener addresses ("host:port", "[v6]:port", "unix:/path") and CIDR
 * networks ("127.0.0.0/8", "::1/128").
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct net_address {
	bool is_unix;
	char host[256];      /* as written, without brackets; "" for unix */
	uint16_t port;
	char path[108];      /* unix socket path */
	struct sockaddr_storage sa;
	socklen_t sa_len;
};

/*
 * Parse one address. Hosts must be numeric IPs or "localhost" or "*"
 * (any, IPv4) so that starting never waits on DNS. 0 on success, -1 with
 * *error_r (static string) otherwise.
 */
int net_address_parse(const char *str, struct net_address *addr_r,
		       const char **error_r);
/* "127.0.0.1:143", "[::1]:143" or "unix:/run/x" into out. */
void net_address_str(const struct net_address *addr, char *out, size_t size);

struct net_cidr {
	int family;
	uint8_t addr[16];
	unsigned int bits;
};

int net_cidr_parse(const char *str, struct net_cidr *cidr_r, const char **error_r);
bool net_cidr_match(const struct net_cidr *cidr, const struct sockaddr *sa);

/* The peer IP of a socket address as text ("unix" for AF_UNIX). */
void net_sockaddr_ip(const struct sockaddr *sa, char *out, size_t size);

/*
 * Create, bind and listen on a socket for addr (non-blocking, close-on-exec,
 * SO_REUSEADDR; a stale unix socket file is replaced). Returns the fd or -1
 * with errno set and *error_r describing the step that failed.
 */
int net_listen(const struct net_address *addr, int backlog, const char **error_r);


#endif

#include "net.h"
#include "strutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int net_ip_parse(const char *host, uint16_t port,
			struct sockaddr_storage *ss, socklen_t *len_r)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	} else if (strcmp(host, "localhost") == 0) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len_r = sizeof(*sin6);
		return 0;
	} else {
		return -1;
	}
	sin->sin_port = htons(port);
	*len_r = sizeof(*sin);
	return 0;
}

int net_address_parse(const char *str, struct net_address *addr_r,
		      const char **error_r)
{
	const char *colon, *host_start, *host_end;
	uint64_t port;

	memset(addr_r, 0, sizeof(*addr_r));
	if (str_begins(str, "unix:")) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&addr_r->sa;
		const char *path = str + 5;

		if (path[0] != '/') {
			*error_r = "unix socket path must be absolute (unix:/path)";
			return -1;
		}
		if (strlen(path) >= sizeof(sun->sun_path) ||
		    strlen(path) >= sizeof(addr_r->path)) {
			*error_r = "unix socket path is too long";
			return -1;
		}
		addr_r->is_unix = true;
		strcpy(addr_r->path, path);
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, path);
		addr_r->sa_len = sizeof(*sun);
		return 0;
	}
	if (str[0] == '[') {
		host_start = str + 1;
		host_end = strchr(str, ']');
		if (host_end == NULL || host_end[1] != ':') {
			*error_r = "expected [IPv6]:port";
			return -1;
		}
		colon = host_end + 1;
	} else {
		host_start = str;
		colon = strrchr(str, ':');
		if (colon == NULL) {
			*error_r = "expected host:port";
			return -1;
		}
		host_end = colon;
		if (memchr(str, ':', (size_t)(colon - str)) != NULL) {
			*error_r = "IPv6 addresses must be written as [addr]:port";
			return -1;
		}
	}
	if ((size_t)(host_end - host_start) >= sizeof(addr_r->host) ||
	    host_end == host_start) {
		*error_r = "missing or overlong host";
		return -1;
	}
	memcpy(addr_r->host, host_start, (size_t)(host_end - host_start));
	if (str_to_u64(colon + 1, 65535, &port) < 0 || port == 0) {
		*error_r = "port must be a number from 1 to 65535";
		return -1;
	}
	addr_r->port = (uint16_t)port;
	if (net_ip_parse(addr_r->host, addr_r->port, &addr_r->sa,
			 &addr_r->sa_len) < 0) {
		*error_r = "host must be a numeric IP address, localhost or *";
		return -1;
	}
	return 0;
}

void net_address_str(const struct net_address *addr, char *out, size_t size)
{
	if (addr->is_unix)
		snprintf(out, size, "unix:%s", addr->path);
	else if (strchr(addr->host, ':') != NULL)
		snprintf(out, size, "[%s]:%u", addr->host, addr->port);
	else
		snprintf(out, size, "%s:%u", addr->host, addr->port);
}

int net_cidr_parse(const char *str, struct net_cidr *cidr_r, const char **error_r)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(str, '/');
	size_t hlen = slash != NULL ? (size_t)(slash - str) : strlen(str);
	unsigned int max;
	uint64_t bits;

	memset(cidr_r, 0, sizeof(*cidr_r));
	if (hlen == 0 || hlen >= sizeof(host)) {
		*error_r = "expected address/bits";
		return -1;
	}
	memcpy(host, str, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, cidr_r->addr) == 1) {
		cidr_r->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, cidr_r->addr) == 1) {
		cidr_r->family = AF_INET6;
		max = 128;
	} else {
		*error_r = "not a numeric IP address";
		return -1;
	}
	if (slash == NULL) {
		bits = max;
	} else if (str_to_u64(slash + 1, max, &bits) < 0) {
		*error_r = "bad prefix length";
		return -1;
	}
	cidr_r->bits = (unsigned int)bits;
	return 0;
}

static bool net_prefix_match(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int bytes = bits / 8, rem = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rem == 0)
		return true;
	return ((a[bytes] ^ b[bytes]) & (0xff << (8 - rem))) == 0;
}

bool net_cidr_match(const struct net_cidr *cidr, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET && cidr->family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		return net_prefix_match((const uint8_t *)&sin->sin_addr,
					cidr->addr, cidr->bits);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = (const uint8_t *)&sin6->sin6_addr;

		if (cidr->family == AF_INET6)
			return net_prefix_match(a, cidr->addr, cidr->bits);
		/* IPv4-mapped IPv6 against an IPv4 network */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return net_prefix_match(a + 12, cidr->addr, cidr->bits);
	}
	return false;
}

void net_sockaddr_ip(const struct sockaddr *sa, char *out, size_t size)
{
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)size);
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  out, (socklen_t)size);
	} else {
		snprintf(out, size, "unix");
	}
}

int net_listen(const struct net_address *addr, int backlog, const char **error_r)
{
	int fd, one = 1;
	int family = addr->is_unix ? AF_UNIX : addr->sa.ss_family;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = "socket()";
		return -1;
	}
	if (addr->is_unix) {
		struct stat st;

		/* Replace a stale socket left by a previous run, never a
		   regular file someone put there. */
		if (lstat(addr->path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(addr->path);
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)&addr->sa, addr->sa_len) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		*error_r = "bind()";
		return -1;
	}
	if (addr->is_unix)
		chmod(addr->path, 0666);
	if (listen(fd, backlog) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		*error_r = "listen()";
		return -1;
	}
	return fd;
}


#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static void test_address_parse(void **state)
{
	struct net_address addr;
	const char *error;
	char str[300];

	(void)state;
	assert_int_equal(net_address_parse("127.0.0.1:143", &addr, &error), 0);
	assert_int_equal(addr.port, 143);
	net_address_str(&addr, str, sizeof(str));
	assert_string_equal(str, "127.0.0.1:143");
	assert_int_equal(net_address_parse("[::1]:993", &addr, &error), 0);
	net_address_str(&addr, str, sizeof(str));
	assert_string_equal(str, "[::1]:993");
	assert_int_equal(net_address_parse("*:110", &addr, &error), 0);
	assert_int_equal(net_address_parse("unix:/run/infostore/lmtp", &addr, &error), 0);
	assert_true(addr.is_unix);
	assert_string_equal(addr.path, "/run/infostore/lmtp");

	assert_int_equal(net_address_parse("127.0.0.1", &addr, &error), -1);
	assert_int_equal(net_address_parse("127.0.0.1:0", &addr, &error), -1);
	assert_int_equal(net_address_parse("127.0.0.1:65536", &addr, &error), -1);
	assert_int_equal(net_address_parse("::1:143", &addr, &error), -1);
	assert_int_equal(net_address_parse("mail.example.test:143", &addr, &error), -1);
	assert_int_equal(net_address_parse("unix:relative", &addr, &error), -1);
	assert_int_equal(net_address_parse(":143", &addr, &error), -1);
}

static void test_cidr(void **state)
{
	struct net_cidr cidr;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const char *error;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);
	assert_int_equal(net_cidr_parse("10.0.0.0/8", &cidr, &error), 0);
	assert_true(net_cidr_match(&cidr, (struct sockaddr *)&sin));
	assert_int_equal(net_cidr_parse("10.1.2.0/25", &cidr, &error), 0);
	assert_true(net_cidr_match(&cidr, (struct sockaddr *)&sin));
	assert_int_equal(net_cidr_parse("10.1.2.128/25", &cidr, &error), 0);
	assert_false(net_cidr_match(&cidr, (struct sockaddr *)&sin));
	assert_int_equal(net_cidr_parse("127.0.0.1", &cidr, &error), 0);
	assert_false(net_cidr_match(&cidr, (struct sockaddr *)&sin));

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &sin6.sin6_addr);
	assert_int_equal(net_cidr_parse("10.0.0.0/8", &cidr, &error), 0);
	assert_true(net_cidr_match(&cidr, (struct sockaddr *)&sin6));
	assert_int_equal(net_cidr_parse("::1/128", &cidr, &error), 0);
	assert_false(net_cidr_match(&cidr, (struct sockaddr *)&sin6));

	assert_int_equal(net_cidr_parse("10.0.0.0/33", &cidr, &error), -1);
	assert_int_equal(net_cidr_parse("example/8", &cidr, &error), -1);
	assert_int_equal(net_cidr_parse("/8", &cidr, &error), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_parse),
		cmocka_unit_test(test_cidr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

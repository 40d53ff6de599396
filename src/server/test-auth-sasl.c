/* Unit tests: SASL responses (auth-sasl.c) as AUTH PLAIN and LOGIN send
   them, and the ways they can be malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth-sasl.h"
#include "buffer.h"
#include "secret.h"

#include <string.h>

static void test_decode(void **state)
{
	struct buffer out;
	char big[(AUTH_SASL_RESPONSE_MAX / 3 + 2) * 4 + 1];

	(void)state;
	buffer_init(&out, 0);
	/* "\0alice@example.test\0secret" */
	assert_int_equal(auth_sasl_decode("AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=", 36, &out), 0);
	assert_int_equal(out.used, 26);
	assert_memory_equal(out.data, "\0alice@example.test\0secret", 26);
	assert_int_equal(out.data[out.used], '\0');
	/* RFC 4954 4: "=" is the empty response */
	assert_int_equal(auth_sasl_decode("=", 1, &out), 0);
	assert_int_equal(out.used, 0);
	assert_int_equal(auth_sasl_decode("dXNlcg==", 8, &out), 0);
	assert_string_equal(out.data, "user");
	/* not base64: bad characters, missing padding, spaces, nothing */
	assert_int_equal(auth_sasl_decode("dXNlcg", 6, &out), -1);
	assert_int_equal(auth_sasl_decode("dXN lcg==", 9, &out), -1);
	assert_int_equal(auth_sasl_decode("d*Nlcg==", 8, &out), -1);
	assert_int_equal(auth_sasl_decode("", 0, &out), -1);
	/* canonical only: padding only at the end, and no bits it drops */
	assert_int_equal(auth_sasl_decode("Zg=", 3, &out), -1);
	assert_int_equal(auth_sasl_decode("TO+", 3, &out), -1);   /* no padding */
	/* a byte outside the alphabet that libsodium would take for '/' */
	assert_int_equal(auth_sasl_decode("l2\xff" "1", 4, &out), -1);
	assert_int_equal(auth_sasl_decode("l2/1", 4, &out), 0);
	assert_int_equal(auth_sasl_decode("Zg=a", 4, &out), -1);
	assert_int_equal(auth_sasl_decode("Z===", 4, &out), -1);
	assert_int_equal(auth_sasl_decode("Zg==Zg==", 8, &out), -1);
	assert_int_equal(auth_sasl_decode("Zh==", 4, &out), -1);
	assert_int_equal(auth_sasl_decode("Zm9=", 4, &out), -1);
	assert_int_equal(auth_sasl_decode("Zm9v\r\n", 6, &out), -1);
	assert_int_equal(auth_sasl_decode("Zm8=", 4, &out), 0);
	assert_int_equal(out.used, 2);
	/* too long */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_sasl_decode(big, strlen(big), &out), -1);
	auth_sasl_wipe(&out);
	assert_null(out.data);
}

static void test_plain(void **state)
{
	static const struct {
		const char *msg;
		size_t len;
		const char *authcid, *passwd;   /* NULL: refused */
	} cases[] = {
		{ "\0alice@example.test\0secret", 26, "alice@example.test", "secret" },
		{ "alice@example.test\0alice@example.test\0pw", 40, "alice@example.test", "pw" },
		{ "ALICE@example.test\0alice@example.test\0pw", 40, "alice@example.test", "pw" },
		{ "\0alice\0pass word", 16, "alice", "pass word" },
		{ "bob@example.test\0alice@example.test\0pw", 38, NULL, NULL },  /* -2 */
		{ "\0alice\0", 7, NULL, NULL },
		{ "\0\0pw", 4, NULL, NULL },
		{ "\0alice", 6, NULL, NULL },
		{ "alice", 5, NULL, NULL },
		{ "\0alice\0pw\0more", 14, NULL, NULL },
		{ "", 0, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buffer msg;
		const char *authcid, *passwd, *error = NULL;
		int ret;

		/* as auth_sasl_decode() leaves it: NUL after the bytes */
		buffer_init(&msg, 0);
		buffer_append(&msg, cases[i].msg, cases[i].len);
		ret = auth_sasl_plain_parse(msg.data, msg.used, &authcid, &passwd, &error);
		if (cases[i].authcid == NULL) {
			/* acting as another user is told apart (IMAP's
			   AUTHORIZATIONFAILED) */
			assert_int_equal(ret, cases[i].msg[0] == 'b' ? -2 : -1);
			assert_non_null(error);
		} else {
			assert_int_equal(ret, 0);
			assert_string_equal(authcid, cases[i].authcid);
			assert_string_equal(passwd, cases[i].passwd);
		}
		auth_sasl_wipe(&msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_plain),
	};

	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

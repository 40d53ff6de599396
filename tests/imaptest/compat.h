/*
 * Force-included before every file of imaptest (gcc -include): imaptest's
 * release-2.3 branch calls imap_parser_create() with three arguments, as
 * Dovecot 2.3.19 did; Debian's dovecot-dev (2.3.19.1 with the security
 * fixes of 2.3.21.1) adds a fourth, the parser's limits. No limits, as
 * before: imaptest parses what the server under test sends.
 */
#include "config.h"
#include "lib.h"
#include "imap-parser.h"

#define imap_parser_create(input, output, max_line_size) \
	(imap_parser_create)(input, output, max_line_size, \
			     &(const struct imap_parser_params){ 0 })

/* The configuration parser and validator on arbitrary files. */
#include "conf.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-config-XXXXXX";
	int fd = mkstemp(path);
	struct conf *conf;
	FILE *devnull;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	devnull = fopen("/dev/null", "w");
	log_set_level(LOG_LEVEL_ERROR);
	conf = conf_load(path, false, devnull);
	if (conf != NULL) {
		conf_print(conf, devnull);
		conf_free(&conf);
	}
	fclose(devnull);
	unlink(path);
	return 0;
}

/* libical glue; filled in by the meeting-request work. */
#include <libical/ical.h>

const char *infostore_ical_version(void);

const char *infostore_ical_version(void)
{
	return ICAL_VERSION;
}

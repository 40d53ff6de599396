#include "service-notify.h"
#include "config.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>

#include <time.h>

void service_notify_ready(const char *status)
{
	if (status != NULL)
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	else
		sd_notify(0, "READY=1");
}

void service_notify_reloading(void)
{
	struct timespec ts;

	/* MONOTONIC_USEC: systemd 253's Type=notify-reload wants to know
	   the reload is newer than its signal; older managers ignore it */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ULL +
		   (unsigned long long)ts.tv_nsec / 1000ULL);
}

void service_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

#else
void service_notify_ready(const char *status)
{
	(void)status;
}

void service_notify_reloading(void)
{
}

void service_notify_stopping(void)
{
}

#endif

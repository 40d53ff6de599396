#ifndef INFOSTORE_SERVICE_NOTIFY_H
#define INFOSTORE_SERVICE_NOTIFY_H

/*
 * Telling the service manager how the daemon is doing (systemd's
 * sd_notify protocol, for a unit with Type=notify): ready once every
 * listener is up, reloading around SIGHUP, stopping on SIGTERM.
 *
 * Through libsystemd when the build found it (meson: the optional
 * `libsystemd` dependency; this file is the only one that includes
 * <systemd/sd-daemon.h>), else these do nothing. Outside a notify unit
 * ($NOTIFY_SOCKET unset) they do nothing either. Errors are ignored, as
 * the protocol intends: a manager that cannot be told has not asked.
 * Call from the main thread.
 */

/* Every listener is up and privileges are dropped: READY=1. status: a
   line for `systemctl status` (may be NULL). */
void service_notify_ready(const char *status);
/* SIGHUP received, reloading: RELOADING=1 with the monotonic time. Follow
   with service_notify_ready() when done, whatever the outcome. */
void service_notify_reloading(void);
/* Shutting down (draining connections): STOPPING=1. */
void service_notify_stopping(void);

#endif

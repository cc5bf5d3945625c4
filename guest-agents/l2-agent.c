// SPDX-License-Identifier: GPL-2.0-only
/*
 * First process of a nested guest (L2): reports that the guest reached
 * userspace, with its kernel and uptime, then powers the guest off so that
 * L1's QEMU exits.
 */
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "agent-lib.h"

int main(void)
{
	struct utsname u;

	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	json_line(EVENT_UP, "\"kernel\":\"%s\",\"machine\":\"%s\",\"uptime_s\":%.3f",
		  u.release, u.machine, uptime_seconds());
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}

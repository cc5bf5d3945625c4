/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host under test as the on-target runner works with it, the way users
 * do: sysfs for the device, its driver and its interrupt counts, /dev/kmsg
 * for what the kernel says, modprobe and a bind mount for the kernel-side
 * control. Nothing else in the runner touches the host's kernel.
 */
#ifndef TARGET_HOST_H
#define TARGET_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HOST_MAX_IRQS 8

/* A platform device of the host and its GIC hwirqs, from its DT node. */
struct host_device {
	const char *name;
	uint32_t irqs[HOST_MAX_IRQS];
	unsigned int nirqs;
};

/* Whether program is an executable in a directory of PATH. */
bool host_on_path(const char *program);

/*
 * A reader of /dev/kmsg from now on (-1 if there is none); host_kmsg_each
 * calls line for each record since, with its stamp (us). The log's clock is
 * the kernel's local_clock, not CLOCK_BOOTTIME: on a loaded L1 the two have
 * been seen 0.5 s apart, so a log time is only compared with a log time.
 */
int host_kmsg_from_now(void);
void host_kmsg_each(int fd, void (*line)(void *ctx, unsigned long long usec, const char *text), void *ctx);

/* Writes one line to the kernel's log (silently nothing if it cannot). */
void host_kmsg_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The first platform device whose DT node is compatible, or NULL; the name lives until the next call. */
const char *host_find_device(const char *compatible);
void host_find_irqs(struct host_device *d);

/*
 * The device's interrupt count: the per-CPU counts of every GIC IRQ
 * descriptor of one of its hwirqs (/sys/kernel/irq/N outlives free_irq,
 * unlike /proc/interrupts); -1 while it has none.
 */
long long host_irq_count(const struct host_device *d);

/* Binds the device to vfio-platform with driver_override; false, with what the kernel said, if it refused. */
bool host_bind_vfio(const struct host_device *d, char *said, size_t size);
bool host_module_loaded(const char *module);

/*
 * Takes the device's reset away (the kernel-side control): vfio-platform
 * with reset_required=0, the reset module (TARGET_RESET_MODULE) unloaded
 * and its file read as empty under a bind mount, so that vfio-platform's
 * request for it fails. Returns "" if done, else why it cannot be here (in
 * why). host_give_reset_back undoes it and unbinds the device.
 */
const char *host_take_reset_away(const struct host_device *d, char *why, size_t size);
void host_give_reset_back(const struct host_device *d);

/* The state of a process that a signal did not end, as /proc shows it. */
void host_stuck_state(pid_t pid, char *buf, size_t size);

#endif

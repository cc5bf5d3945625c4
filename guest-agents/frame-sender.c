// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sends the run's frames (payload-build.h) out of a network interface at a
 * set rate until SIGTERM: the traffic source of the on-target test where no
 * harness streams frames into the XGMAC, e.g. a second NIC wired to it (in
 * the emulated host, on the same QEMU hub). Reports "sending" once the
 * socket is up, then "stats" each second.
 *
 * Usage: frame-sender --iface NAME --key HEX32 --run-id N --rate PER_SECOND
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "agent-lib.h"
#include "payload-build.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* A NIC wired only to the XGMAC is usually down: nothing else uses it. */
static void bring_up(int fd, const char *iface)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		agent_fail("get_if_flags", errno);
	if (ifr.ifr_flags & IFF_UP)
		return;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		agent_fail("set_if_up", errno);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' }, { "key", required_argument, NULL, 'k' },
		{ "run-id", required_argument, NULL, 'r' }, { "rate", required_argument, NULL, 'R' },
		{ 0 }
	};
	const char *iface = NULL;
	uint8_t key[16], frame[FRAME_LEN];
	uint32_t run_id = 0, seq = 0;
	unsigned long long rate = 0, failed = 0;
	bool have_key = false;
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = 6 };
	struct sigaction sa = { .sa_handler = on_term };
	uint64_t next_stats;
	int c, fd;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': iface = optarg; break;
		case 'k': parse_hex(optarg, key, sizeof(key), "key"); have_key = true; break;
		case 'r': run_id = (uint32_t)parse_num(optarg, 0, 0, UINT32_MAX, "run_id"); break;
		case 'R': rate = parse_num(optarg, 10, 1, 10000, "rate"); break;
		default: agent_fail("usage", EINVAL);
		}
	}
	if (!iface || !have_key || !rate)
		agent_fail("usage", EINVAL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	to.sll_ifindex = if_nametoindex(iface);
	if (!to.sll_ifindex)
		agent_fail("if_nametoindex", errno);
	memset(to.sll_addr, 0xff, 6);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		agent_fail("socket", errno);
	bring_up(fd, iface);
	json_line(EVENT_SENDING, "\"iface\":\"%s\",\"rate\":%llu", iface, rate);
	next_stats = mono_ms() + 1000;
	while (!stop) {
		struct timespec gap = { .tv_sec = 0, .tv_nsec = 1000000000 / rate };

		frame_build(frame, key, run_id, seq);
		if (sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(frame))
			seq++;
		else
			failed++;
		if (mono_ms() >= next_stats) {
			json_line(EVENT_STATS, "\"sent\":%u,\"failed\":%llu", seq, failed);
			next_stats += 1000;
		}
		nanosleep(&gap, NULL);
	}
	json_line(EVENT_STOPPED, "\"sent\":%u,\"failed\":%llu", seq, failed);
	return 0;
}

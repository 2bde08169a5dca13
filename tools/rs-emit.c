/*
 * rs-emit.c - how a proxy feeds routestat: send each routing decision as one
 * JSON datagram to the socket of its node's routestat-ingest.
 *
 *   rs-emit [--dontwait] unix /run/routestat/node-a.sock [count]
 *   rs-emit [--dontwait] udp 127.0.0.1:9000 [count]
 *
 * Sends count decisions (default 1) and prints "sent N, failed M" on stdout.
 * This file is meant to be copied: one socket, opened once, one send per
 * decision, no library beyond libc.  What a proxy must keep:
 *
 *   - One decision per datagram (or several, one per line, to save syscalls);
 *     at most 65536 bytes each (routestat-ingest --max-line).
 *   - Field names as below; "ts" in ms since the epoch, "duration_ms" a
 *     number, "request_id" ideally 32 hex digits (other ids are hashed).
 *   - Never let telemetry slow the proxy: with --dontwait (MSG_DONTWAIT) a
 *     full socket queue makes send fail with EAGAIN at once, and the decision
 *     is dropped and counted here instead of waiting for the ingest.  Without
 *     it a unix socket blocks the sender while the ingest's queue is full,
 *     and udp never blocks but the kernel may drop datagrams.
 *   - The unix socket is mode 0660: the proxy's user must own it or be in
 *     its group.
 *
 * Exit status: 0 when the socket could be used (failures are counted), 1 on
 * a setup error, 2 on a usage error.
 */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: rs-emit [--dontwait] unix PATH [count]\n"
			"       rs-emit [--dontwait] udp HOST:PORT [count]\n");
	return 2;
}

/* A datagram socket connected to PATH (unix) or HOST:PORT (udp, "[::1]:9000" for IPv6). */
static int connect_to(const char *kind, const char *where)
{
	if (strcmp(kind, "unix") == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		if (strlen(where) >= sizeof sa.sun_path) {
			fprintf(stderr, "rs-emit: %s: path too long\n", where);
			return -1;
		}
		strcpy(sa.sun_path, where);
		int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
		perror(where);
		return -1;
	}
	char host[256];
	const char *colon = strrchr(where, ':');
	if (colon == NULL || (size_t)(colon - where) >= sizeof host) {
		fprintf(stderr, "rs-emit: %s: want HOST:PORT\n", where);
		return -1;
	}
	snprintf(host, sizeof host, "%.*s", (int)(colon - where), where);
	if (host[0] == '[') {                       /* "[::1]" -> "::1" */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	int rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "rs-emit: %s: %s\n", where, gai_strerror(rc));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		perror(where);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One decision as the proxy would log it; i varies the id, provider and latency. */
static int format_decision(char *buf, size_t size, uint64_t i, uint64_t run_id)
{
	static const char *const providers[] = { "alchemy", "infura", "quicknode" };
	return snprintf(buf, size,
		"{\"ts\":%llu,\"request_id\":\"%016llx%016llx\",\"provider_id\":\"%s\","
		"\"chain\":\"ethereum\",\"method\":\"eth_call\",\"strategy\":\"latency_weighted\","
		"\"transport\":\"http\",\"duration_ms\":%.1f,\"result\":\"success\","
		"\"request_origin\":\"client\",\"failover_count\":0}",
		(unsigned long long)now_ms(), (unsigned long long)run_id, (unsigned long long)i,
		providers[i % 3], 5.0 + (double)(i % 200) / 4.0);
}

int main(int argc, char **argv)
{
	bool dontwait = argc > 1 && strcmp(argv[1], "--dontwait") == 0;
	argv += dontwait;
	argc -= dontwait;
	if (argc < 3 || argc > 4 || (strcmp(argv[1], "unix") != 0 && strcmp(argv[1], "udp") != 0))
		return usage();
	char *end;
	unsigned long long count = argc == 4 ? strtoull(argv[3], &end, 10) : 1;
	if (argc == 4 && (*end != '\0' || argv[3][0] == '-'))
		return usage();

	int fd = connect_to(argv[1], argv[2]);
	if (fd < 0)
		return 1;
	/* Unique ids per run, so that repeated runs are not deduplicated away. */
	uint64_t run_id = ((uint64_t)getpid() << 40) ^ now_ms();
	unsigned long long sent = 0, failed = 0;
	char buf[1024];
	for (unsigned long long i = 0; i < count; i++) {
		int n = format_decision(buf, sizeof buf, i, run_id);
		/* One send per decision.  EAGAIN (--dontwait, queue full), ECONNREFUSED (nobody bound),
		 * ENOBUFS: the decision is lost; a proxy counts it and carries on. */
		if (send(fd, buf, (size_t)n, dontwait ? MSG_DONTWAIT : 0) == n)
			sent++;
		else
			failed++;
	}
	close(fd);
	printf("sent %llu, failed %llu\n", sent, failed);
	return 0;
}

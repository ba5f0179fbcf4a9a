/*
 * sl-frag6 - sends UDP datagrams as hand-built IPv6 fragments.
 *
 *   sl-frag6 --src ADDR --to [ADDR]:PORT [--sport PORT] [--flow-label N]
 *            [-n|--count N] [--size BYTES] [--send all|first|later]
 *
 * Each datagram (a UDP header, --size bytes of payload and a correct
 * checksum) is cut in two fragments: the first holds the UDP header and
 * the first part of the payload, the second (a fragment offset other
 * than 0, the last fragment) the rest. Both carry --flow-label in their
 * IPv6 header. --send later sends only the second fragment of each
 * datagram (never reassembled: a fragment after the first reaches the
 * receiver's hooks without a transport header), --send first only the
 * first one, --send all (the default) both, first then second.
 *
 * The packets are whole IPv6 packets written to a raw socket
 * (AF_INET6, SOCK_RAW, IPPROTO_RAW: the kernel sends the header it is
 * given), so --src is put in them as it is: it should be an address of
 * this host for replies to come back. Needs CAP_NET_RAW.
 *
 * Prints, once everything was sent:
 *     sent datagrams=<n> fragments=<n> first_bytes=<b> later_bytes=<b>
 * with the IP bytes (IPv6 header included) of a first and of a second
 * fragment. Exit status: 0 success, 1 runtime failure (a send failed),
 * 2 usage error.
 */
#define _GNU_SOURCE
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SIZE	1024	/* payload: two fragments far below any MTU */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: sl-frag6 --src ADDR --to [ADDR]:PORT [--sport PORT] [--flow-label N]\n"
"                [-n|--count N] [--size BYTES] [--send all|first|later]\n"
"Sends --count UDP datagrams (default 1) of --size payload bytes (8-%d,\n"
"default 64) from --src (IPv6, port --sport, default 40000) to --to, each\n"
"as two IPv6 fragments with flow label --flow-label (0-1048575, default 0)\n"
"through a raw socket: the first fragment holds the UDP header, the second\n"
"(offset > 0) the rest. --send later: only the second fragments, first: only\n"
"the first ones, all (default): both. Prints\n"
"  sent datagrams=<n> fragments=<n> first_bytes=<b> later_bytes=<b>\n"
"(IP bytes of one fragment of each kind).\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n", MAX_SIZE);
}

/* The 16-bit ones' complement sum of @len bytes, added to @sum. */
static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP's checksum over IPv6 (RFC 8200, 8.1): pseudo-header, header, data. */
static uint16_t udp6_csum(const struct in6_addr *src,
			  const struct in6_addr *dst,
			  const uint8_t *udp, size_t len)
{
	uint8_t pseudo[8] = {
		(uint8_t)(len >> 24), (uint8_t)(len >> 16),
		(uint8_t)(len >> 8), (uint8_t)len, 0, 0, 0, IPPROTO_UDP,
	};
	uint32_t sum = 0;
	uint16_t c;

	sum = csum_add(sum, src, sizeof(*src));
	sum = csum_add(sum, dst, sizeof(*dst));
	sum = csum_add(sum, pseudo, sizeof(pseudo));
	sum = csum_add(sum, udp, len);
	c = csum_fold(sum);
	return c ? c : 0xffff;	/* 0 means "no checksum", refused over IPv6 */
}

/*
 * One fragment in @pkt: IPv6 header, fragment header, then @len bytes of
 * @data, the datagram's bytes from @off (a multiple of 8). Returns its size.
 */
static size_t build_fragment(uint8_t *pkt, const struct in6_addr *src,
			     const struct in6_addr *dst, uint32_t label,
			     uint32_t id, const uint8_t *data, size_t off,
			     size_t len, int more)
{
	struct ip6_hdr ip6;
	struct ip6_frag fh;

	memset(&ip6, 0, sizeof(ip6));
	ip6.ip6_flow = htonl(6u << 28 | label);	/* version 6, class 0 */
	ip6.ip6_plen = htons((uint16_t)(sizeof(fh) + len));
	ip6.ip6_nxt = IPPROTO_FRAGMENT;
	ip6.ip6_hlim = 64;
	ip6.ip6_src = *src;
	ip6.ip6_dst = *dst;
	memset(&fh, 0, sizeof(fh));
	fh.ip6f_nxt = IPPROTO_UDP;
	/* the offset in 8-byte units, in the top 13 bits; M the lowest */
	fh.ip6f_offlg = htons((uint16_t)(off | (more ? 1 : 0)));
	fh.ip6f_ident = htonl(id);
	memcpy(pkt, &ip6, sizeof(ip6));
	memcpy(pkt + sizeof(ip6), &fh, sizeof(fh));
	memcpy(pkt + sizeof(ip6) + sizeof(fh), data + off, len);
	return sizeof(ip6) + sizeof(fh) + len;
}

static void send_packet(int fd, const uint8_t *pkt, size_t len,
			const sl_addr *to)
{
	ssize_t n = sendto(fd, pkt, len, 0, &to->u.sa, to->len);

	if (n < 0)
		sl_die("sendto: %s", strerror(errno));
	if ((size_t)n != len)
		sl_die("sendto: sent %zd of %zu bytes", n, len);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "src", required_argument, NULL, 's' },
		{ "to", required_argument, NULL, 't' },
		{ "sport", required_argument, NULL, 'p' },
		{ "flow-label", required_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'z' },
		{ "send", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t sport = 40000, label = 0, count = 1, size = 64, i;
	int have_src = 0, have_to = 0, first = 1, later = 1, fd, c;
	uint8_t dgram[sizeof(struct udphdr) + MAX_SIZE];
	uint8_t pkt[sizeof(struct ip6_hdr) + sizeof(struct ip6_frag) +
		    sizeof(dgram)];
	size_t whole, cut, hdrs, n;
	uint64_t fragments = 0;
	struct in6_addr src, dst;
	struct udphdr uh;
	sl_addr a, to;
	uint32_t id;

	sl_prog = "sl-frag6";
	while ((c = getopt_long(argc, argv, ":n:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (sl_parse_ip(optarg, &a) || sl_family(&a) != AF_INET6)
				sl_usage_error("invalid --src '%s' (an IPv6 address)",
					       optarg);
			src = a.u.sin6.sin6_addr;
			have_src = 1;
			break;
		case 't':
			if (sl_parse_hostport(optarg, &to) ||
			    sl_family(&to) != AF_INET6)
				sl_usage_error("invalid --to '%s' (an IPv6 [ADDR]:PORT)",
					       optarg);
			have_to = 1;
			break;
		case 'p':
			if (sl_parse_u64(optarg, 1, 65535, &sport))
				sl_usage_error("invalid --sport '%s' (1-65535)", optarg);
			break;
		case 'l':
			if (sl_parse_u64(optarg, 0, 0xfffff, &label))
				sl_usage_error("invalid --flow-label '%s' (0-1048575)",
					       optarg);
			break;
		case 'n':
			if (sl_parse_u64(optarg, 1, 1000000, &count))
				sl_usage_error("invalid --count '%s' (1-1000000)",
					       optarg);
			break;
		case 'z':
			if (sl_parse_u64(optarg, 8, MAX_SIZE, &size))
				sl_usage_error("invalid --size '%s' (8-%d)", optarg,
					       MAX_SIZE);
			break;
		case 'S':
			if (!strcmp(optarg, "all"))
				first = later = 1;
			else if (!strcmp(optarg, "first"))
				first = 1, later = 0;
			else if (!strcmp(optarg, "later"))
				first = 0, later = 1;
			else
				sl_usage_error("invalid --send '%s' (all, first or later)",
					       optarg);
			break;
		case 'h':
			usage(stdout);
			return SL_EXIT_OK;
		default:
			sl_bad_option(c, argv, "");
		}
	}
	if (optind < argc)
		sl_usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_src || !have_to)
		sl_usage_error("--src and --to are required");
	dst = to.u.sin6.sin6_addr;

	/* The datagram: UDP header and payload, checksummed. */
	whole = sizeof(uh) + size;
	memset(&uh, 0, sizeof(uh));
	uh.uh_sport = htons((uint16_t)sport);
	uh.uh_dport = htons(sl_port(&to));
	uh.uh_ulen = htons((uint16_t)whole);
	memcpy(dgram, &uh, sizeof(uh));
	for (i = 0; i < size; i++)
		dgram[sizeof(uh) + i] = (uint8_t)i;
	uh.uh_sum = htons(udp6_csum(&src, &dst, dgram, whole));
	memcpy(dgram, &uh, sizeof(uh));
	/* The first fragment: half of it, in 8-byte units (size >= 8). */
	cut = whole / 2 & ~(size_t)7;
	hdrs = sizeof(struct ip6_hdr) + sizeof(struct ip6_frag);

	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		sl_die("socket(AF_INET6, SOCK_RAW, IPPROTO_RAW): %s",
		       strerror(errno));
	/* A raw socket's "port" is its protocol: none for IPPROTO_RAW. */
	sl_set_port(&to, 0);
	/* Identifications that differ from one run to the next. */
	id = (uint32_t)(sl_now_ns() / 1000) ^ (uint32_t)getpid() << 16;
	for (i = 0; i < count; i++, id++) {
		if (first) {
			n = build_fragment(pkt, &src, &dst, (uint32_t)label, id,
					   dgram, 0, cut, 1);
			send_packet(fd, pkt, n, &to);
			fragments++;
		}
		if (later) {
			n = build_fragment(pkt, &src, &dst, (uint32_t)label, id,
					   dgram, cut, whole - cut, 0);
			send_packet(fd, pkt, n, &to);
			fragments++;
		}
	}
	close(fd);
	printf("sent datagrams=%llu fragments=%llu first_bytes=%zu later_bytes=%zu\n",
	       (unsigned long long)count, (unsigned long long)fragments,
	       hdrs + cut, hdrs + whole - cut);
	return SL_EXIT_OK;
}

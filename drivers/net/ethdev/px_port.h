/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_PORT_H_
#define _PX_PORT_H_

/**
 * @file
 * Pollux's port layer over rte_ethdev: it configures a DPDK port (any PMD:
 * net_tap, net_memif, net_ring, net_af_packet, virtio_user, a PCI NIC),
 * creates its mbuf pool, and feeds a px_netif from an executor's poll hook,
 * transmitting through a per-lcore tx buffer flushed every iteration.
 *
 * Each executor gets its own rx/tx queue pair (as many as the PMD allows;
 * executors beyond that hand their packets to a queue owner through the
 * mailbox, so no queue is ever shared). Where the PMD does RSS it is
 * programmed with the stack's Toeplitz key (px_rss_key); the stack steers
 * in software as well (px_netif_input()), so PMDs without RSS, or whose
 * RSS cannot be controlled (net_tap), still deliver each flow to its
 * owner lcore.
 */

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include <px_fault.h>
#include <px_inet.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Port configuration; zero fields take the defaults. */
struct px_port_conf {
	uint32_t nb_mbufs;    /**< mbufs in the port's pool: 8191 */
	uint16_t nb_rxd;      /**< rx descriptors: 1024 */
	uint16_t nb_txd;      /**< tx descriptors: 1024 */
	uint32_t link_wait_ms; /**< how long px_port_start() waits for link: 3000 */
	uint16_t nb_queues;   /**< rx/tx queue pairs: 0 = one per executor
	                           (net_memif: 1, see below). Capped at the
	                           executor count and the PMD's limit;
	                           executors without a queue hand their
	                           packets to one that has. Both ends of a
	                           net_memif link must use the same count: it
	                           connects only the pairs its client has, and
	                           the server's others misbehave. */
};

/** Port counters (ours plus the PMD's). */
struct px_port_stats {
	uint64_t rx;          /**< packets received */
	uint64_t tx;          /**< packets handed to the PMD */
	uint64_t rx_drop;     /**< the PMD's imissed + rx_nombuf */
	uint64_t tx_drop;     /**< dropped: the PMD's ring stayed full */
	uint64_t tx_retry;    /**< tx bursts retried on a full ring */
	uint64_t captured;    /**< packets written to the capture file */
	uint64_t capture_drop; /**< packets the capture missed (copy pool
	                            empty or writer behind) */
};

/** What the port found it can offload (px_port_info()). */
struct px_port_info {
	uint16_t nb_queues;     /**< rx/tx queue pairs in use */
	uint8_t rss;            /**< the PMD spreads flows with px_rss_key */
	uint8_t rx_cksum;       /**< IPv4 and UDP checksums verified on rx */
	uint8_t tx_cksum;       /**< IPv4, UDP and TCP checksums computed on tx */
	uint8_t multi_seg;      /**< chained mbufs accepted on tx */
	uint8_t tso;            /**< TCP segmentation (for the TCP stack) */
	uint8_t link_up;        /**< link status now */
	uint32_t link_speed;    /**< Mb/s, 0 if unknown */
};

struct px_port;

/**
 * Configure DPDK port *port_id* (not started).
 *
 * @param port_id
 *   An ethdev port (e.g. from --vdev=net_tap0).
 * @param conf
 *   Configuration, or NULL for defaults.
 * @param out
 *   Receives the port.
 * @return
 *   - 0 on success.
 *   - -ENODEV if *port_id* is not a valid port.
 *   - -EINVAL without a runtime, or on a NULL *out*.
 *   - -ENOMEM if the pool cannot be created.
 *   - another negative errno from rte_ethdev.
 */
int px_port_create(uint16_t port_id, const struct px_port_conf *conf,
		struct px_port **out);

/**
 * What the port does in hardware (the stack does the rest in software:
 * checksums it cannot offload are computed and verified by the CPU) and
 * its link state now.
 */
void px_port_info(const struct px_port *p, struct px_port_info *out);

/**
 * Counters of one queue pair (the one executor *qid* owns).
 *
 * @return
 *   0, or -EINVAL for a queue the port does not have.
 */
int px_port_queue_stats(const struct px_port *p, uint16_t qid,
		struct px_port_stats *out);

/**
 * The port's MAC address.
 */
void px_port_mac(const struct px_port *p, struct rte_ether_addr *mac);

/**
 * The port's mbuf pool (for px_netif_create()).
 */
struct rte_mempool *px_port_mempool(const struct px_port *p);

/**
 * The transmit callback and its context for px_netif_create().
 */
px_netif_tx_cb_t px_port_tx_cb(void);

/**
 * Connect the port to an interface: received frames go to
 * px_netif_input() on the polling lcore, and the interface's transmit
 * offloads are set from what the port configured
 * (px_netif_set_tx_offloads(): checksums, chains by its tx_zc policy).
 * Control path, before px_run().
 *
 * @return
 *   0, -EBUSY if already attached, -ENOSPC if the executor has no hook
 *   slot left, -EINVAL on NULL.
 */
int px_port_attach(struct px_port *p, struct px_netif *nif);

/**
 * Start the port and wait (bounded) for link up.
 *
 * @return
 *   0, -ETIMEDOUT if the link stayed down (the port is started anyway),
 *   or a negative errno from rte_eth_dev_start().
 */
int px_port_start(struct px_port *p);

/**
 * Inject faults on receive and/or transmit (see px_fault.h). Control
 * path: before px_port_start().
 *
 * @param p
 *   The port.
 * @param rx
 *   Faults on received packets, or NULL for none.
 * @param tx
 *   Faults on transmitted packets, or NULL for none.
 * @return
 *   0, -EBUSY once started, or an error of px_fault_create().
 */
int px_port_fault_set(struct px_port *p, const struct px_fault_conf *rx,
		const struct px_fault_conf *tx);

/**
 * Read the fault stages' counters (zeroes for a direction without one).
 */
void px_port_fault_stats(const struct px_port *p, struct px_fault_stats *rx,
		struct px_fault_stats *tx);

/**
 * Read the counters.
 */
void px_port_stats_get(const struct px_port *p, struct px_port_stats *out);

/**
 * The names of struct px_port_stats's counters, in field order (for
 * px_counters_print()).
 *
 * @param n
 *   Receives the count, PX_COUNTERS_N(struct px_port_stats).
 */
const char *const *px_port_stats_names(unsigned int *n);

/**
 * Write the port's traffic to a pcapng file that Wireshark and tshark
 * read: each received packet as the PMD delivered it (before fault
 * injection) and each transmitted one as it is handed to the PMD, with
 * TSC timestamps and direction. The lcores copy packets (at most
 * *snaplen* bytes each; 0: whole packets) into a capture pool of their
 * own and a writer thread writes them, so the data path never waits for
 * the disk; when the writer falls behind, copies are dropped, never
 * packets, and counted in capture_drop. Call before the port is polled
 * (before px_run()); px_port_close() finishes the file.
 *
 * @return 0; -EINVAL (bad argument or port closed); -EBUSY (already
 *   capturing); a negative errno from opening *path* or allocating.
 */
int px_port_capture(struct px_port *p, const char *path, uint32_t snaplen);

/**
 * Stop and close the device and free every mbuf the port layer holds
 * (transmit buffers, fault-injection queues), keeping the pool: what
 * rte_mempool_in_use_count() then reports on px_port_mempool() is what
 * the application leaked. Idempotent. No lcore may be polling the port
 * (call after px_run() returned); px_port_free() follows.
 */
void px_port_close(struct px_port *p);

/**
 * Close the port (px_port_close(), if not done yet) and free its pool
 * and itself. No lcore may be polling it (call after px_run() returned).
 */
void px_port_free(struct px_port *p);

#ifdef __cplusplus
}
#endif
#endif /* _PX_PORT_H_ */

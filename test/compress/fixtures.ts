// A realistic multi-section Markdown document (headings, lists, fenced code, URLs, a table) used by
// the compress tests. Each section has a distinct topic so ranking and query guidance are observable.
export const GUIDE = `# Harbor Deployment Guide

Harbor is a job scheduler for small clusters. This guide explains how to install it, configure
storage, secure the API, tune the scheduler and operate it in production. Read the overview first;
the later sections assume its vocabulary of nodes, queues and leases.

## Overview

A Harbor cluster has one coordinator and any number of worker nodes. Jobs enter named queues and
workers take leases on them. A lease lasts 30 seconds by default and is renewed by heartbeats; when
a worker stops sending heartbeats, its leases expire and the jobs return to the queue. The
coordinator keeps every queue in a write-ahead log, so a restart loses no accepted job. Throughput
depends mostly on the lease length and the number of workers, not on the coordinator's hardware.

## Installation

Harbor ships as a single static binary for Linux and macOS. Download the release archive from
https://example.org/harbor/releases and verify its checksum before unpacking it. Then place the
binary on your PATH and create the data directory.

\`\`\`bash
tar -xzf harbor-2.4.1-linux-amd64.tar.gz
sudo install harbor /usr/local/bin/harbor
sudo mkdir -p /var/lib/harbor && sudo chown harbor: /var/lib/harbor
harbor version
\`\`\`

The installer does not create a system user; create one called harbor with no login shell. Never run
the coordinator as root: it does not need any privileged port.

## Storage configuration

The write-ahead log lives in the data directory. Use a local SSD; network file systems are not
supported because Harbor relies on fsync ordering. The option \`wal_segment_mb\` sets the segment
size (default 64). Compaction runs every 10 minutes and keeps the last 3 segments. On a busy cluster
the log grows by roughly 2 GB per day before compaction.

| option | default | meaning |
|---|---|---|
| wal_segment_mb | 64 | size of one log segment |
| compaction_interval | 10m | how often old segments are merged |
| retain_segments | 3 | segments kept after compaction |

## Securing the API

The HTTP API listens on port 7443 and requires TLS. Point \`tls_cert_file\` and \`tls_key_file\` at
your certificate and key. Clients authenticate with bearer tokens created by \`harbor token create\`;
tokens carry a role of reader, submitter or admin. Rotate tokens every 90 days. The API does not
accept plain HTTP, and there is no way to disable authentication in production builds. See
https://example.org/harbor/docs/security for the threat model.

## Scheduler tuning

The scheduler assigns jobs in priority order and, within a priority, first in first out. The
setting \`max_inflight_per_worker\` caps how many leases one worker may hold (default 4). Raising it
helps short jobs but starves long ones. The function \`computeBackoff()\` decides how long a failed
job waits before its retry: it doubles from 5 seconds up to a ceiling of 10 minutes. Jobs that fail
7 times move to the dead-letter queue, where they stay until an operator requeues them.

\`\`\`yaml
scheduler:
  max_inflight_per_worker: 4
  retry_ceiling: 10m
  dead_letter_after: 7
\`\`\`

## Monitoring

Harbor exposes Prometheus metrics on /metrics. The most useful are harbor_queue_depth, which counts
waiting jobs per queue, and harbor_lease_expired_total, which rises when workers die or stall. Alert
when queue depth grows for more than 15 minutes while workers are idle: that usually means a
misrouted queue name. Logs are JSON lines; set log_level to debug only while investigating.

## Upgrades

Upgrade workers first and the coordinator last. Version 2.4 reads logs written by 2.3 but not the
reverse, so keep a backup of the data directory until the whole cluster runs 2.4. Rolling back the
coordinator after it has written 2.4 segments is not possible without restoring that backup.

## Troubleshooting

If jobs stay in the queue although workers are running, check that the worker's queue list matches
the queue names exactly; names are case sensitive. If leases expire constantly, the heartbeat
interval is probably longer than a third of the lease length. Clock skew above 2 seconds between
nodes also causes spurious expiries, so run NTP everywhere.
`;

/** A near-duplicate of GUIDE: the same document with one sentence reworded. */
export const GUIDE_VARIANT = GUIDE.replace('Rotate tokens every 90 days.', 'Tokens should be rotated every 90 days.');

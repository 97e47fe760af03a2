// A small technical handbook with distinct sections, written for these tests.

const install = `## Installation

Harbor ships as a single static binary for Linux, macOS and Windows. Download the archive for your
platform from the releases page, unpack it and put the harbor executable somewhere on your PATH.
On Debian and Ubuntu you can instead add the signed apt repository and run apt-get install harbor,
which also installs the systemd unit and creates the harbor system user.

The binary has no runtime dependencies beyond a C library. Container users can pull the official
image, which runs as an unprivileged user and exposes port 7420 by default. When you upgrade, stop
the service first: the on-disk index format is versioned and the new release migrates it on start.
A migration of a large index can take several minutes, during which the service does not answer.

Verify the installation with harbor version, which prints the release, the commit it was built from
and the index format it understands. If the command is not found, your shell has not picked up the
new PATH entry yet; open a new terminal or source your profile again.`;

const config = `## Configuration

Harbor reads its settings from harbor.toml in the working directory, then from environment
variables, which take precedence. Every setting has a default, so an empty file is a valid
configuration. The listen address defaults to 127.0.0.1:7420; set listen_addr to 0.0.0.0:7420 to
accept connections from other machines, and put a TLS-terminating proxy in front when you do.

The storage section chooses where the index lives. data_dir must be on a local disk: network file
systems break the file locks that keep two processes from writing the same index. The
max_segment_mb setting bounds the size of one index segment; smaller segments merge more often but
keep memory use predictable. Retention is controlled by retain_days, after which old segments are
deleted by the background compactor.

Logging goes to standard error as JSON lines. Raise log_level to debug while diagnosing a problem,
but lower it again afterwards, because debug output includes query text.`;

const auth = `## Authentication

Every request must carry a bearer token in the Authorization header. Tokens are created with
harbor token create and are shown exactly once; the server stores only a salted hash, so a lost
token cannot be recovered and must be replaced. Each token is bound to one tenant and carries a
role: reader tokens may only query, writer tokens may also ingest, and admin tokens may manage
other tokens.

Tokens expire after ninety days unless created with --no-expiry. The function refreshAccessToken
in the client library exchanges a token that is about to expire for a new one without downtime.
Revoked tokens are rejected immediately by every node, because revocations are replicated before
the revoke command returns.

When a request is refused, the server answers 401 with a WWW-Authenticate header. Repeated failures
from one address are rate limited to protect against guessing.`;

const caching = `## Caching

Query results are cached in memory for sixty seconds, keyed by the normalised query and the tenant.
The cache is invalidated for a tenant whenever that tenant ingests new data, so a reader never sees
results older than the latest write. The cache_size_mb setting caps the memory the cache may use;
when the cap is reached, the least recently used entries are evicted first.

For repeated analytical queries you can enable the persistent result cache, which writes results
to data_dir/cache and survives restarts. It is off by default because it trades disk space for
latency, and because cached results of deleted documents linger until they expire.`;

const troubleshooting = `## Troubleshooting

If the service refuses to start with "index locked", another process holds the lock on data_dir.
Check for a second harbor instance or a stale container before removing the lock file by hand.

Slow queries are usually caused by very large segments. Run harbor compact to merge small segments
and split oversized ones, and watch the segment_count metric afterwards. Out-of-memory crashes
during ingest mean max_segment_mb is too large for the machine; halve it and restart.

When clients report connection resets behind a proxy, raise the proxy's idle timeout above the
keep-alive interval of 75 seconds that harbor uses.`;

export const HANDBOOK_SECTIONS = { install, config, auth, caching, troubleshooting };

export const HANDBOOK = `# Harbor operations handbook

Harbor is a small search service for log and event data. This handbook covers installing it,
configuring it, securing it, tuning its cache and fixing common problems.

${install}

${config}

${auth}

${caching}

${troubleshooting}
`;

export const RECIPES = `# Bread baking notes

## Sourdough starter

Feed the starter twice a day with equal weights of flour and water. A healthy starter doubles in
four to six hours at room temperature and smells pleasantly sour, like yoghurt.

## Shaping

Shape the dough gently into a tight ball, building surface tension without tearing the skin. Let
it proof in a floured basket overnight in the refrigerator for a more open crumb and deeper flavour.

## Baking

Bake in a preheated cast iron pot at 250 degrees Celsius with the lid on for twenty minutes, then
remove the lid and bake until the crust is deep brown.
`;

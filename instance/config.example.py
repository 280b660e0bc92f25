# NextStep settings. Copy to instance/config.py and change what you need.
# Environment variables of the same name override this file; this file overrides
# the defaults shown here. A bad value stops start-up with a sentence naming the key.

# Database URL. Default: a SQLite file nextstep.sqlite3 in this instance/ folder.
# PostgreSQL works with no code change: "postgresql://user@127.0.0.1:5432/nextstep".
# NEXTSTEP_DATABASE_URL = "sqlite:////absolute/path/to/nextstep.sqlite3"

# Where rate-limit counters live: "memory://" for one process, "redis://host:6379/0"
# when several processes or machines serve the API.
NEXTSTEP_RATELIMIT_STORAGE_URI = "memory://"

# Requests allowed per API key, counted over a moving window.
NEXTSTEP_RATE_LIMIT = "100 per minute"

# Failed authentications allowed per client address, so keys cannot be guessed at speed.
NEXTSTEP_AUTH_FAILURE_LIMIT = "30 per minute"

# Base domain for team subdomains (acme.<base>); None: no subdomain routing.
NEXTSTEP_BASE_DOMAIN = None

# Largest request body in bytes; larger bodies get 413 payload_too_large.
NEXTSTEP_MAX_CONTENT_LENGTH = 1024 * 1024

# How many reverse proxies stand in front; 0 ignores X-Forwarded-For entirely.
NEXTSTEP_PROXY_COUNT = 0

# `nextstep serve`: the most client connections open at once; more wait in the kernel's
# queue. The process's open-file limit is raised to fit (docs/configuration.md).
NEXTSTEP_CONNECTION_LIMIT = 1000

# `nextstep serve`: seconds a connection has to send a complete request, from when it
# opened or got its last answer; then it is closed. Idle and trickling clients are cut off.
NEXTSTEP_REQUEST_TIMEOUT = 30

# How long a SQLite writer waits for the write lock, in milliseconds.
NEXTSTEP_SQLITE_BUSY_TIMEOUT_MS = 5000

# Timezone given to teams created without one (an IANA name).
NEXTSTEP_DEFAULT_TIMEZONE = "UTC"

# Webhooks (docs/webhooks.md). Seconds before each delivery attempt: the first counts
# from the event, each next one from the failed attempt before it (four attempts here).
NEXTSTEP_WEBHOOK_RETRY_DELAYS = "0,300,1800,7200"

# Seconds one webhook POST may take in all (connecting, sending, reading the answer).
NEXTSTEP_WEBHOOK_TIMEOUT = 10

# Accept http:// receivers; normally only https:// ones are.
NEXTSTEP_WEBHOOK_ALLOW_HTTP = False

# Deliver to loopback, private, link-local and other non-public addresses (an internal
# network, by the operator's choice); normally refused.
NEXTSTEP_WEBHOOK_ALLOW_PRIVATE = False

# Deliveries one worker sends at the same time (threads of `nextstep worker` or of the
# worker inside `nextstep serve`).
NEXTSTEP_WEBHOOK_CONCURRENCY = 4

# How often an idle worker looks for due deliveries, in milliseconds.
NEXTSTEP_WEBHOOK_POLL_MS = 500

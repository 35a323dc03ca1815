/*
 * proxy.h - a fault-injecting TCP proxy for the faults suite. It listens on 127.0.0.1
 * (a free port) and forwards every connection to a target host:port; on command it
 * misbehaves, so a client pointed at it (FIRESTORE_EMULATOR_HOST, CLOUD_TASKS_EMULATOR_HOST,
 * a key file's token_uri) sees the failures of a real network:
 *
 *   pass    forward both ways (the initial mode)
 *   delay   forward, sleeping N ms before each chunk, both ways
 *   drop    accept and read, never answer: nothing is forwarded either way (a connection
 *           accepted while dropping stays dead for good)
 *   cut     reset a connection once it has forwarded N response bytes after a request
 *           containing `match` (any request when NULL); PROXY_BEFORE_FORWARD resets it
 *           instead of forwarding that request at all. After `times` cuts (0: no limit)
 *           the proxy is back to pass.
 *   refuse  close the listening socket (connect: ECONNREFUSED) and reset every open
 *           connection; any other mode listens again on the same port
 *
 * Modes apply to open connections too (an HTTP client's kept-alive ones). Runs on
 * threads of the test process: one acceptor, one per connection. Setters are
 * thread-safe and return once the mode is in force (refuse: listener closed and every
 * connection reset). No Criterion calls here.
 */
#ifndef FAULTS_PROXY_H
#define FAULTS_PROXY_H

typedef struct proxy proxy;

#define PROXY_BEFORE_FORWARD (-1L)

/* Starts a proxy to target "host:port" (IPv4 literal). NULL on error (reason on stderr). */
proxy *proxy_start(const char *target);
/* Stops it: closes the listener and every connection, joins every thread. NULL is fine. */
void proxy_stop(proxy *p);

int proxy_port(const proxy *p);
/* "127.0.0.1:PORT", owned by p: what an *_EMULATOR_HOST variable takes. */
const char *proxy_addr(const proxy *p);

/* Each returns 0, or -1 when the port could not be listened on again after a refuse. */
int proxy_pass(proxy *p);
int proxy_delay(proxy *p, int ms);
int proxy_drop(proxy *p);
int proxy_cut(proxy *p, long after_response_bytes, const char *match, int times);
int proxy_refuse(proxy *p);

/* Counters since start: connections accepted, connections cut. */
int proxy_accepted(proxy *p);
int proxy_cuts(proxy *p);

#endif

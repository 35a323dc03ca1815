/*
 * tcp_proxy.h - a tiny TCP forwarder on 127.0.0.1 for the end-to-end suite: put between
 * the functions server and an emulator, it can be switched off (new connections are
 * closed at once, open ones cut) and on again, to make that emulator unreachable for a
 * while without touching the server. Runs on threads of the test process.
 */
#ifndef TCP_PROXY_H
#define TCP_PROXY_H

typedef struct tcp_proxy tcp_proxy;

/* Listens on a free 127.0.0.1 port and forwards to upstream "host:port" (IPv4). NULL on error. */
tcp_proxy *tcp_proxy_start(const char *upstream);
/* The port it listens on. */
int tcp_proxy_port(const tcp_proxy *p);
/* on = forward (the initial state); off = refuse service by closing every connection. */
void tcp_proxy_set_enabled(tcp_proxy *p, int on);
/* How many connections it has accepted so far. */
int tcp_proxy_accepted(const tcp_proxy *p);
/* Stops it, closes every connection and waits for its threads. NULL is fine. */
void tcp_proxy_free(tcp_proxy *p);

#endif

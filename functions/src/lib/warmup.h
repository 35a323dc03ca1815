/*
 * warmup.h - readies a function's outbound paths before its port listens.
 *
 * The functions' init hooks run after the port is bound and before listen(), so Cloud
 * Run's startup probe (a TCP connect) sends no traffic until they return. The warm-up
 * loads libcurl, fetches and caches the access token, leaves one live connection to
 * Firestore (and to Cloud Tasks) in the shared handle pool and draws one document ID
 * (the kernel's random generator must be seeded before getrandom answers), so the first request costs
 * what a warm one does.
 */
#ifndef PIPELINE_WARMUP_H
#define PIPELINE_WARMUP_H

/*
 * Outside emulator mode, warms Firestore up, and Cloud Tasks too when `tasks` is
 * nonzero, within a few seconds (in emulator mode it does nothing and returns 0).
 * A failure only costs the first request its latency: it is logged as a WARNING and the
 * start goes on. Returns the milliseconds spent.
 */
long pipeline_warmup(int tasks);

#endif

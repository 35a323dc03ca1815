/*
 * crash.c - the crash report. On SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT the handler
 * writes one CRITICAL Cloud Logging line (a ReportedErrorEvent, so Error Reporting picks
 * it up) naming the signal, the function and trace of every invocation in flight and a
 * backtrace, then re-raises the signal so the process dies of it and the platform
 * restarts the instance. Jobs left half-done are the sweeper's.
 *
 * Everything the handler touches is prepared beforehand and async-signal-safe: each
 * invocation in flight holds one slot of a static table (found again through an ff_slot
 * slot, as an invocation may change threads), each thread that runs handlers has an
 * alternate signal stack (so a stack overflow is reported too), the line is built in a
 * static buffer and written with one write(2).
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "log.h"
#include "request.h"

#define MAX_SLOTS     1024
#define MAX_FRAMES    48
#define ALTSTACK_SIZE (64 * 1024)

/* A slot's state: free, being filled by ff_crash_track, or an invocation in flight. */
enum { SLOT_FREE, SLOT_FILLING, SLOT_ACTIVE };

typedef struct {
    atomic_int state;
    const char *function; /* lives as long as the app */
    char trace[64];
} crash_slot;

static crash_slot g_slots[MAX_SLOTS];
static atomic_int g_backtrace_ready;        /* backtrace() has run once: libgcc is loaded */
static atomic_uint g_slot_hint;             /* where the search for a free slot starts */
static ff_slot_id g_mine = FF_SLOT_ID_INIT; /* the invocation's slot index + 1, 0 for none */
static __thread int t_altstack;             /* this thread has its alternate signal stack */
/* every thread's alternate stack, kept for the process's life; volatile: written only,
 * so the compiler would drop the stores, and a leak checker then sees the stacks lost */
static void *volatile g_altstacks[MAX_SLOTS];
static atomic_uint g_n_altstacks;
static char g_line[64 * 1024];
static size_t g_len;
static volatile sig_atomic_t g_in_handler;
static char g_service[128]; /* K_SERVICE, Error Reporting's serviceContext.service */

static const struct {
    int sig;
    const char *name, *what;
} fatal[] = {
    {SIGSEGV, "SIGSEGV", "segmentation fault"},
    {SIGBUS, "SIGBUS", "bus error"},
    {SIGFPE, "SIGFPE", "arithmetic exception"},
    {SIGILL, "SIGILL", "illegal instruction"},
    {SIGABRT, "SIGABRT", "aborted"},
};

/* ---- tracking (worker side) ---------------------------------------------------------- */

void ff_crash_thread(void)
{
    if (t_altstack)
        return;
    t_altstack = 1;
    stack_t old;
    /* keep a stack someone else set up (sanitizers do, and unmap it at thread exit) */
    if (sigaltstack(NULL, &old) != 0 || !(old.ss_flags & SS_DISABLE))
        return;
    unsigned n = atomic_fetch_add(&g_n_altstacks, 1);
    void *stack = n < MAX_SLOTS ? malloc(ALTSTACK_SIZE) : NULL;
    if (stack == NULL)
        return;
    g_altstacks[n] = stack;
    stack_t ss = {.ss_sp = stack, .ss_size = ALTSTACK_SIZE};
    sigaltstack(&ss, NULL);
}

/* The calling invocation's slot index + 1 (0: none). */
static intptr_t *my_slot(void)
{
    return ff_slot(&g_mine);
}

void ff_crash_track(const ff_request *req)
{
    ff_crash_thread();
    unsigned start = atomic_load(&g_slot_hint);
    for (unsigned k = 0; k < MAX_SLOTS; k++) {
        unsigned i = (start + k) % MAX_SLOTS;
        int expect = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&g_slots[i].state, &expect, SLOT_FILLING))
            continue;
        g_slots[i].function = req->function;
        memcpy(g_slots[i].trace, req->trace_id, sizeof(g_slots[i].trace));
        atomic_store(&g_slots[i].state, SLOT_ACTIVE);
        atomic_store(&g_slot_hint, (i + 1) % MAX_SLOTS);
        *my_slot() = (intptr_t)i + 1;
        return;
    }
    *my_slot() = 0; /* more in flight than slots: this one goes unnamed in a report */
}

void ff_crash_untrack(void)
{
    intptr_t *slot = my_slot();
    if (*slot > 0 && *slot <= MAX_SLOTS)
        atomic_store(&g_slots[*slot - 1].state, SLOT_FREE);
    *slot = 0;
}

/* ---- the report (signal handler side) --------------------------------------------------- */

static void put(const char *s)
{
    for (; *s && g_len < sizeof(g_line) - 8; s++)
        g_line[g_len++] = *s;
}

/* Appends s as JSON string content: quotes, backslashes and control bytes escaped. */
static void put_escaped(const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; s && *s && g_len < sizeof(g_line) - 16; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            g_line[g_len++] = '\\';
            g_line[g_len++] = (char)c;
        } else if (c == '\n') {
            put("\\n");
        } else if (c < 0x20 || c >= 0x7f) { /* ASCII only: no UTF-8 check in a signal handler */
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            put(u);
        } else {
            g_line[g_len++] = (char)c;
        }
    }
}

/* Appends ,"key":"value" (value escaped). */
static void put_field(const char *key, const char *value)
{
    put(",\"");
    put(key);
    put("\":\"");
    put_escaped(value);
    put("\"");
}

static void put_hex(uintptr_t v)
{
    char buf[2 + 2 * sizeof(v) + 1], *p = buf + sizeof(buf) - 1;
    *p = '\0';
    do {
        *--p = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    *--p = 'x';
    *--p = '0';
    put(p);
}

/* "object(symbol+0xoff) [0xaddr]" for one frame, as backtrace_symbols prints it. */
static void put_frame(void *addr)
{
    Dl_info info;
    if (dladdr(addr, &info) != 0 && info.dli_fname != NULL) {
        put_escaped(info.dli_fname);
        put("(");
        if (info.dli_sname != NULL) {
            put_escaped(info.dli_sname);
            put("+");
            put_hex((uintptr_t)addr - (uintptr_t)info.dli_saddr);
        } else {
            put("+");
            put_hex((uintptr_t)addr - (uintptr_t)info.dli_fbase);
        }
        put(") ");
    }
    put("[");
    put_hex((uintptr_t)addr);
    put("]");
}

static void put_inflight(int crashed_slot)
{
    int first = 1;
    put(",\"inflight\":[");
    for (unsigned i = 0; i < MAX_SLOTS; i++) {
        if (atomic_load(&g_slots[i].state) != SLOT_ACTIVE)
            continue;
        put(first ? "{\"function\":\"" : ",{\"function\":\"");
        first = 0;
        put_escaped(g_slots[i].function);
        put("\",\"trace\":\"");
        put_escaped(g_slots[i].trace);
        put((int)i == crashed_slot ? "\",\"crashed\":true}" : "\",\"crashed\":false}");
    }
    put("]");
}

static void build_report(int index, void *const *frames, int n_frames)
{
    /* ff_slot only reads memory once its id has a key (a tracked invocation gave it one) */
    intptr_t mine = __atomic_load_n(&g_mine.key, __ATOMIC_ACQUIRE) ? *my_slot() : 0;
    int slot = mine > 0 && mine <= MAX_SLOTS && atomic_load(&g_slots[mine - 1].state) == SLOT_ACTIVE
                   ? (int)mine - 1
                   : -1;
    const char *project = ff_log_project();
    g_len = 0;
    put("{\"severity\":\"CRITICAL\",\"@type\":\"type.googleapis.com/"
        "google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent\",\"message\":\"crash: ");
    put(fatal[index].name);
    put(" (");
    put(fatal[index].what);
    put(")");
    if (slot >= 0) {
        put(" in function ");
        put_escaped(g_slots[slot].function);
    }
    for (int i = 0; i < n_frames; i++) {
        put("\\n    at ");
        put_frame(frames[i]);
    }
    put("\"");
    put_field("signal", fatal[index].name);
    if (slot >= 0) {
        put_field("function", g_slots[slot].function);
        if (g_slots[slot].trace[0] != '\0' && project[0] != '\0') {
            put(",\"logging.googleapis.com/trace\":\"projects/");
            put_escaped(project);
            put("/traces/");
            put_escaped(g_slots[slot].trace);
            put("\"");
        }
    }
    if (g_service[0] != '\0') {
        put(",\"serviceContext\":{\"service\":\"");
        put_escaped(g_service);
        put("\"}");
    }
    put_inflight(slot);
    put(",\"backtrace\":[");
    for (int i = 0; i < n_frames; i++) {
        put(i ? ",\"" : "\"");
        put_frame(frames[i]);
        put("\"");
    }
    put("]}\n");
}

static void on_fatal_signal(int sig, siginfo_t *info, void *uctx)
{
    (void)info;
    (void)uctx;
    if (!g_in_handler) { /* a second fault while reporting: just die */
        g_in_handler = 1;
        int index = 0;
        for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
            if (fatal[i].sig == sig)
                index = (int)i;
        void *frames[MAX_FRAMES];
        /* Before ff_crash_prepare the first backtrace() would load libgcc: not here. */
        int n = atomic_load(&g_backtrace_ready) ? backtrace(frames, MAX_FRAMES) : 0;
        build_report(index, frames, n);
        int fd = ff_log_fd();
        for (size_t off = 0; off < g_len;) {
            ssize_t w = write(fd, g_line + off, g_len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    signal(sig, SIG_DFL);
    raise(sig); /* blocked until we return; then the default action ends the process */
}

void ff_crash_prepare(void)
{
    void *warm[1];
    backtrace(warm, 1); /* loads libgcc: the first call may allocate */
    atomic_store(&g_backtrace_ready, 1);
}

void ff_crash_install(void)
{
    ff_crash_thread(); /* the main thread's alternate stack */
    const char *service = getenv("K_SERVICE");
    ff_strlcpy(g_service, sizeof(g_service), service);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fatal_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        sigaction(fatal[i].sig, &sa, NULL);
}

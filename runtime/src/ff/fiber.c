/*
 * fiber.c - stackful coroutines (fiber.h): the stack switch, the stacks, and what the
 * sanitizers need to hear about both.
 *
 * Why not ucontext: swapcontext saves and restores the signal mask with a system call
 * on every switch, and an invocation switches twice per outbound call.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fiber.h"

/*
 * LeakSanitizer scans the threads' own stacks, never ours: a live fiber's stack is
 * registered as a root region, or whatever only a suspended (or running) handler holds
 * would be reported leaked by an exit that does not wait for it.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#define ASAN_START(save, lo, size)  __sanitizer_start_switch_fiber(save, lo, size)
#define ASAN_FINISH(save, lo, size) __sanitizer_finish_switch_fiber(save, lo, size)
#define LSAN_ROOT(lo, size)         __lsan_register_root_region(lo, size)
#define LSAN_UNROOT(lo, size)       __lsan_unregister_root_region(lo, size)
#else
#define ASAN_START(save, lo, size)  ((void)(save), (void)(lo), (void)(size))
#define ASAN_FINISH(save, lo, size) ((void)(save), (void)(lo), (void)(size))
#define LSAN_ROOT(lo, size)         ((void)(lo), (void)(size))
#define LSAN_UNROOT(lo, size)       ((void)(lo), (void)(size))
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND 1
#endif
#endif

/* 1 MiB: as deep as a handler may go (address space only; pages are touched on use). */
#define STACK_SIZE (1u << 20)
/* Stacks kept mapped for the next fibers: enough for the invocations of a busy process. */
#define STACKS_KEPT 256

struct ff_fiber {
    void *sp;     /* the fiber's saved stack pointer while it is not running */
    void *ret_sp; /* the resumer's, while the fiber runs */
    char *map;    /* the mapping: guard page, then the stack */
    ff_fiber_fn fn;
    void *arg;
    int done;
    unsigned vg_id;
    void *asan_fake;    /* the fiber's fake stack while it is switched out */
    const void *ret_lo; /* the resumer's stack, for AddressSanitizer */
    size_t ret_size;
    struct ff_fiber *next_free; /* in the kept list */
};

static __thread ff_fiber *t_current;

static struct {
    pthread_mutex_t lock;
    ff_fiber *kept;
    unsigned n_kept;
    size_t page;
} g_fibers = {.lock = PTHREAD_MUTEX_INITIALIZER};

/*
 * ff_fiber_switch(save, to): pushes the registers a call preserves, stores the stack
 * pointer in *save, continues on the stack `to` (as saved by an earlier switch, or laid
 * out by ff_fiber_new), pops its registers and returns there.
 */
void ff_fiber_switch(void **save, void *to);
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl ff_fiber_switch\n"
        ".hidden ff_fiber_switch\n"
        ".type ff_fiber_switch,@function\n"
        "ff_fiber_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size ff_fiber_switch,.-ff_fiber_switch\n");
#define SAVED_WORDS 6
#else
#error "ff_fiber_switch: no stack switch for this architecture"
#endif

ff_fiber *ff_fiber_current(void)
{
    return t_current;
}

/* Where a fiber starts: its first switch-in returns here (laid out by lay_out). */
static void fiber_entry(void)
{
    ff_fiber *f = t_current;
    ASAN_FINISH(NULL, &f->ret_lo, &f->ret_size);
    f->fn(f->arg);
    f->done = 1;
    ASAN_START(NULL, f->ret_lo, f->ret_size); /* NULL: this stack's frames are gone */
    ff_fiber_switch(&f->sp, f->ret_sp);
    abort(); /* a finished fiber is never resumed */
}

/* Lays out the stack as if ff_fiber_switch had saved it with fiber_entry to return to. */
static void lay_out(ff_fiber *f)
{
    uintptr_t top = ((uintptr_t)f->map + g_fibers.page + STACK_SIZE) & ~(uintptr_t)15;
    void **sp = (void **)top;
    *--sp = NULL;                /* fiber_entry's own return address: it never returns */
    *--sp = (void *)fiber_entry; /* where ff_fiber_switch's ret goes */
    for (int i = 0; i < SAVED_WORDS; i++)
        *--sp = NULL;
    f->sp = sp;
}

static ff_fiber *take_kept(void)
{
    pthread_mutex_lock(&g_fibers.lock);
    ff_fiber *f = g_fibers.kept;
    if (f != NULL) {
        g_fibers.kept = f->next_free;
        g_fibers.n_kept--;
    }
    if (g_fibers.page == 0)
        g_fibers.page = (size_t)sysconf(_SC_PAGESIZE);
    pthread_mutex_unlock(&g_fibers.lock);
    return f;
}

/* A new fiber with its stack: the guard page below it stays unmapped for access. */
static ff_fiber *map_new(void)
{
    ff_fiber *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    size_t len = g_fibers.page + STACK_SIZE;
    f->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (f->map == MAP_FAILED || mprotect(f->map, g_fibers.page, PROT_NONE) != 0) {
        if (f->map != MAP_FAILED)
            munmap(f->map, len);
        free(f);
        return NULL;
    }
#ifdef HAVE_VALGRIND
    f->vg_id = VALGRIND_STACK_REGISTER(f->map + g_fibers.page, f->map + len);
#endif
    return f;
}

ff_fiber *ff_fiber_new(ff_fiber_fn fn, void *arg)
{
    ff_fiber *f = take_kept();
    if (f == NULL && (f = map_new()) == NULL)
        return NULL;
    f->fn = fn;
    f->arg = arg;
    f->done = 0;
    f->next_free = NULL;
    lay_out(f);
    LSAN_ROOT(f->map + g_fibers.page, STACK_SIZE);
    return f;
}

int ff_fiber_resume(ff_fiber *f)
{
    ff_fiber *outer = t_current;
    void *fake = NULL;
    t_current = f;
    ASAN_START(&fake, f->map + g_fibers.page, STACK_SIZE);
    ff_fiber_switch(&f->ret_sp, f->sp);
    ASAN_FINISH(fake, NULL, NULL);
    t_current = outer;
    return f->done;
}

void ff_fiber_yield(ff_fiber *f)
{
    ASAN_START(&f->asan_fake, f->ret_lo, f->ret_size);
    ff_fiber_switch(&f->sp, f->ret_sp);
    /* possibly on another thread now: nothing here reads thread-local state */
    ASAN_FINISH(f->asan_fake, &f->ret_lo, &f->ret_size);
}

void ff_fiber_free(ff_fiber *f)
{
    if (f == NULL)
        return;
    LSAN_UNROOT(f->map + g_fibers.page, STACK_SIZE); /* a kept stack's old frames hold nothing */
    pthread_mutex_lock(&g_fibers.lock);
    if (g_fibers.n_kept < STACKS_KEPT) {
        f->next_free = g_fibers.kept;
        g_fibers.kept = f;
        g_fibers.n_kept++;
        f = NULL;
    }
    pthread_mutex_unlock(&g_fibers.lock);
    if (f == NULL)
        return;
#ifdef HAVE_VALGRIND
    VALGRIND_STACK_DEREGISTER(f->vg_id);
#endif
    munmap(f->map, g_fibers.page + STACK_SIZE);
    free(f);
}

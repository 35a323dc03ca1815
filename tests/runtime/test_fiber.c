/*
 * test_fiber.c - fibers: a fiber runs to its end and says so, yields and is resumed where
 * it stopped with its stack intact, may be resumed on another thread, knows itself as
 * ff_fiber_current (NULL outside), can resume a fiber of its own, has a deep enough
 * stack, and its stack is used again by the next fiber; under AddressSanitizer, what a
 * suspended fiber holds is not reported as a leak.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/src/ff/fiber.h"

static void set_one(void *arg)
{
    *(int *)arg = 1;
}

Test(fiber, runs_to_its_end)
{
    int ran = 0;
    ff_fiber *f = ff_fiber_new(set_one, &ran);
    cr_assert_not_null(f);
    cr_expect_eq(ran, 0, "a new fiber has not run yet");
    cr_expect_eq(ff_fiber_resume(f), 1, "resume says the function returned");
    cr_expect_eq(ran, 1);
    ff_fiber_free(f);
}

/* Appends to a trace, yielding between steps; its locals must survive the yields. */
typedef struct {
    ff_fiber *self;
    char trace[32];
    size_t len;
} stepper;

static void step_three_times(void *arg)
{
    stepper *s = arg;
    char mine[8] = "abc"; /* on the fiber's stack */
    for (int i = 0; i < 3; i++) {
        s->trace[s->len++] = mine[i];
        ff_fiber_yield(s->self);
    }
    s->trace[s->len++] = '!';
}

Test(fiber, yields_and_resumes_where_it_stopped)
{
    stepper s = {0};
    s.self = ff_fiber_new(step_three_times, &s);
    cr_assert_not_null(s.self);
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(ff_fiber_resume(s.self), 0, "yield %d returned as the end", i);
        s.trace[s.len++] = '-';
    }
    cr_expect_eq(ff_fiber_resume(s.self), 1);
    cr_expect_str_eq(s.trace, "a-b-c-!");
    ff_fiber_free(s.self);
}

typedef struct {
    ff_fiber *self;
    pthread_t ran_on[2];
    ff_fiber *current[2];
    int canary;
} mover;

/* pthread_self is declared const: the compiler may reuse a call's result across the
 * yield, as it may the address of errno or of any thread-local. Asked afresh here. */
__attribute__((noipa)) static pthread_t thread_now(void)
{
    return pthread_self();
}

static void note_thread_twice(void *arg)
{
    mover *m = arg;
    int canary = 12345;
    m->ran_on[0] = thread_now();
    m->current[0] = ff_fiber_current();
    ff_fiber_yield(m->self);
    m->ran_on[1] = thread_now();
    m->current[1] = ff_fiber_current();
    m->canary = canary;
}

static void *resume_here(void *arg)
{
    return (void *)(intptr_t)ff_fiber_resume(arg);
}

Test(fiber, continues_on_another_thread)
{
    mover m = {0};
    m.self = ff_fiber_new(note_thread_twice, &m);
    cr_assert_not_null(m.self);
    cr_expect_eq(ff_fiber_resume(m.self), 0);
    pthread_t other;
    void *done = NULL;
    cr_assert_eq(pthread_create(&other, NULL, resume_here, m.self), 0);
    pthread_join(other, &done);
    cr_expect_eq((intptr_t)done, 1, "the other thread ran it to its end");
    cr_expect(pthread_equal(m.ran_on[0], pthread_self()));
    cr_expect(pthread_equal(m.ran_on[1], other), "the second half ran on the other thread");
    cr_expect_eq(m.current[0], m.self);
    cr_expect_eq(m.current[1], m.self, "ff_fiber_current follows the fiber");
    cr_expect_eq(m.canary, 12345, "its stack came along");
    ff_fiber_free(m.self);
}

typedef struct {
    ff_fiber *outer, *inner;
    ff_fiber *seen_in_inner, *seen_after;
    int inner_done;
} nest;

static void inner_fn(void *arg)
{
    nest *n = arg;
    n->seen_in_inner = ff_fiber_current();
}

static void outer_fn(void *arg)
{
    nest *n = arg;
    n->inner = ff_fiber_new(inner_fn, n);
    if (n->inner == NULL)
        return;
    n->inner_done = ff_fiber_resume(n->inner);
    n->seen_after = ff_fiber_current();
    ff_fiber_free(n->inner);
}

Test(fiber, current_is_the_running_fiber_and_null_outside)
{
    cr_expect_null(ff_fiber_current(), "a thread's own stack is no fiber");
    nest n = {0};
    n.outer = ff_fiber_new(outer_fn, &n);
    cr_assert_not_null(n.outer);
    cr_expect_eq(ff_fiber_resume(n.outer), 1);
    cr_expect_eq(n.inner_done, 1);
    cr_expect_eq(n.seen_in_inner, n.inner);
    cr_expect_eq(n.seen_after, n.outer, "back in the outer fiber after the inner one");
    cr_expect_null(ff_fiber_current());
    ff_fiber_free(n.outer);
}

/* Touches about `depth` KiB of stack, one frame per KiB; returns depth + 1. */
__attribute__((noipa)) static int deep(int depth)
{
    volatile char frame[1024];
    memset((char *)frame, 1, sizeof(frame));
    return frame[0] + (depth == 0 ? 0 : deep(depth - 1)) + frame[1023] - 1;
}

static void go_deep(void *arg)
{
    *(int *)arg = deep(512);
}

Test(fiber, has_half_a_mebibyte_of_stack)
{
    int sum = -1;
    ff_fiber *f = ff_fiber_new(go_deep, &sum);
    cr_assert_not_null(f);
    cr_expect_eq(ff_fiber_resume(f), 1);
    cr_expect_eq(sum, 513, "the recursion came back intact");
    ff_fiber_free(f);
}

static void note_stack(void *arg)
{
    int here;
    *(uintptr_t *)arg = (uintptr_t)&here;
}

Test(fiber, a_freed_stack_serves_the_next_fiber)
{
    uintptr_t first = 0, second = 0;
    ff_fiber *f = ff_fiber_new(note_stack, &first);
    cr_assert_not_null(f);
    ff_fiber_resume(f);
    ff_fiber_free(f);
    f = ff_fiber_new(note_stack, &second);
    cr_assert_not_null(f);
    ff_fiber_resume(f);
    ff_fiber_free(f);
    cr_expect_eq(first, second, "the same stack, the same frame address");
}

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>

typedef struct {
    ff_fiber *self;
    int freed;
} holder;

/* Holds a block that only its own stack knows of across a yield. */
static void hold_across_a_yield(void *arg)
{
    holder *h = arg;
    char *volatile mine = malloc(4096);
    ff_fiber_yield(h->self);
    free(mine);
    h->freed = 1;
}

/* An exit that does not wait for a suspended handler runs LeakSanitizer's check with the
 * handler's fiber alive: what its stack holds is not a leak. */
Test(fiber, a_live_fibers_stack_is_a_leak_check_root)
{
    holder h = {0};
    h.self = ff_fiber_new(hold_across_a_yield, &h);
    cr_assert_not_null(h.self);
    cr_assert_eq(ff_fiber_resume(h.self), 0);
    cr_expect_eq(__lsan_do_recoverable_leak_check(), 0, "a block held by a suspended fiber was reported");
    cr_expect_eq(ff_fiber_resume(h.self), 1);
    cr_expect_eq(h.freed, 1);
    ff_fiber_free(h.self);
}
#endif

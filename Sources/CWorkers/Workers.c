// Process-wide worker pool (see forecast_workers.h).
//
// Job protocol. `generation` is even while a job is open and odd while the caller rewrites the
// job fields. A pool thread joins the open job g by incrementing `active` and then re-reading
// `generation`; the caller closes a job by making `generation` odd and then waiting for
// `active` to reach zero before it touches the fields. Both sides use sequentially consistent
// operations, so either the caller sees the thread registered (and waits for it) or the thread
// sees the odd generation (and leaves without reading the fields).
#define _GNU_SOURCE
#include "forecast_workers.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

enum { FW_MAX_POOL = 63 };
/// How long a pool thread keeps spinning for the next job before it sleeps. The gaps between one
/// minibatch's jobs are microseconds, so 0.2 ms covers them; longer spinning only takes the
/// processor from working threads on a busy machine (2 ms before 2026-12-03: EWR training 4
/// epochs at load 5-7 took 1.27x as long, median of 6 alternating pairs, range 1.19-1.67).
static const int64_t FW_SPIN_NS = 200000;

static pthread_mutex_t fw_busy = PTHREAD_MUTEX_INITIALIZER;     // one job at a time (trylock)
static pthread_mutex_t fw_grow = PTHREAD_MUTEX_INITIALIZER;     // starting pool threads
static _Atomic uint32_t fw_generation = 0;
static _Atomic int fw_active = 0;
static _Atomic int fw_sleepers = 0;
static int fw_started = 0;
static int fw_cores = 1;

// The open job: written by its caller only while the generation is odd and nobody is active.
static fw_task fw_job_task;
static void *fw_job_context;
static int fw_job_count;
static int fw_job_helpers;
static _Atomic int fw_job_next;
static _Atomic int fw_job_done;
static _Atomic int fw_job_slots;

static inline void fw_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t fw_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fw_sleep_while(_Atomic uint32_t *word, uint32_t value) {
#if defined(__linux__)
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
#else
    (void)word; (void)value;
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
#endif
}

static void fw_wake_all(_Atomic uint32_t *word) {
#if defined(__linux__)
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
#else
    (void)word;
#endif
}

static void fw_run_claimed(void) {
    const int count = fw_job_count;
    int i;
    while ((i = atomic_fetch_add(&fw_job_next, 1)) < count) {
        fw_job_task(fw_job_context, i);
        atomic_fetch_add_explicit(&fw_job_done, 1, memory_order_release);
    }
}

static void *fw_pool_main(void *arg) {
    // Threads beyond the core count sleep at once instead of spinning: spinning there would take
    // the processor from the threads doing the work.
    const int64_t spin_ns = (intptr_t)arg < fw_cores - 1 ? FW_SPIN_NS : 0;
    // A new thread has seen no job: it may join the one open now (generations of open jobs are
    // even, so this odd value matches none). Team jobs need that, since their members wait
    // for each other and cannot fall back to the caller.
    uint32_t seen = UINT32_MAX;
    for (;;) {
        // Wait for a new open (even) generation: spin first, then sleep.
        uint32_t g = atomic_load(&fw_generation);
        int64_t deadline = 0;
        unsigned spins = 0;
        while (g == seen || (g & 1)) {
            if (++spins % 256 == 0) {
                int64_t now = fw_now_ns();
                if (deadline == 0) deadline = now + spin_ns;
                else if (now > deadline) {
                    atomic_fetch_add(&fw_sleepers, 1);
                    fw_sleep_while(&fw_generation, g);
                    atomic_fetch_sub(&fw_sleepers, 1);
                    deadline = 0;
                }
            }
            fw_relax();
            g = atomic_load(&fw_generation);
        }
        seen = g;
        atomic_fetch_add(&fw_active, 1);
        if (atomic_load(&fw_generation) == g && atomic_fetch_add(&fw_job_slots, 1) < fw_job_helpers) {
            fw_run_claimed();
        }
        atomic_fetch_sub(&fw_active, 1);
    }
    return NULL;
}

static void fw_ensure_threads(int wanted) {
    if (wanted > FW_MAX_POOL) wanted = FW_MAX_POOL;
    pthread_mutex_lock(&fw_grow);
    if (fw_started == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        fw_cores = n > 0 ? (int)n : 1;
    }
    while (fw_started < wanted) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attr, fw_pool_main, (void *)(intptr_t)fw_started);
        pthread_attr_destroy(&attr);
        if (failed) break;
        fw_started++;
    }
    pthread_mutex_unlock(&fw_grow);
}

int fw_pool_threads(void) {
    pthread_mutex_lock(&fw_grow);
    int n = fw_started;
    pthread_mutex_unlock(&fw_grow);
    return n;
}

// Runs an open job of `count` iterations with `threads - 1` helpers; the caller holds fw_busy.
static void fw_run_job(int count, int threads, fw_task task, void *context) {
    // Close: odd generation, then wait until no thread is still registered on the last job.
    atomic_fetch_add(&fw_generation, 1);
    while (atomic_load(&fw_active) != 0) fw_relax();
    fw_job_task = task;
    fw_job_context = context;
    fw_job_count = count;
    fw_job_helpers = threads - 1;
    atomic_store(&fw_job_next, 0);
    atomic_store(&fw_job_done, 0);
    atomic_store(&fw_job_slots, 0);
    // Open: even generation; wake sleepers.
    atomic_fetch_add(&fw_generation, 1);
    if (atomic_load(&fw_sleepers) > 0) fw_wake_all(&fw_generation);
    fw_run_claimed();
    unsigned spins = 0;
    while (atomic_load_explicit(&fw_job_done, memory_order_acquire) < count) {
        if (++spins > 4096) sched_yield(); else fw_relax();
    }
}

void fw_parallel_for(int count, int threads, fw_task task, void *context) {
    if (count <= 0) return;
    if (threads > count) threads = count;
    if (threads <= 1 || pthread_mutex_trylock(&fw_busy) != 0) {
        for (int i = 0; i < count; i++) task(context, i);
        return;
    }
    fw_ensure_threads(threads - 1);
    fw_run_job(count, threads, task, context);
    pthread_mutex_unlock(&fw_busy);
}

struct fw_team_job { fw_team_task task; void *context; int team; };

static void fw_team_trampoline(void *context, int index) {
    struct fw_team_job *job = context;
    job->task(job->context, index, job->team);
}

void fw_parallel_team(int threads, fw_team_task task, void *context) {
    if (threads <= 1 || pthread_mutex_trylock(&fw_busy) != 0) {
        task(context, 0, 1);
        return;
    }
    fw_ensure_threads(threads - 1);
    if (fw_pool_threads() < threads - 1) {
        pthread_mutex_unlock(&fw_busy);
        task(context, 0, 1);
        return;
    }
    // Each member waits for the others, so no thread can finish one and claim another: the
    // caller and threads - 1 pool threads each run one.
    struct fw_team_job job = { task, context, threads };
    fw_run_job(threads, threads, fw_team_trampoline, &job);
    pthread_mutex_unlock(&fw_busy);
}

void fw_publish(int *counter, int value) {
    atomic_store_explicit((_Atomic int *)counter, value, memory_order_release);
}

void fw_wait_at_least(const int *counter, int value) {
    unsigned spins = 0;
    while (atomic_load_explicit((_Atomic int *)counter, memory_order_acquire) < value) {
        // A tight loop first: pipeline partners publish every few hundred nanoseconds.
        if (++spins > 256) { if (spins > 4096) sched_yield(); else fw_relax(); }
    }
}

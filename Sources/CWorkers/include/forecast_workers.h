// A small process-wide pool of worker threads for short parallel jobs (training shards,
// gradient sums, the two-layer inference pipeline), plus progress counters for pipelines.
//
// Why not Dispatch: on virtual machines an idle vCPU can take a millisecond or more to wake, and
// `DispatchQueue.concurrentPerform` then runs every iteration on the calling thread. Pool threads
// here spin for a short while after each job (FW_SPIN_NS) before they sleep on a futex, so back
// to back jobs (one per training step, one per forecast) start at once.
#ifndef FORECAST_WORKERS_H
#define FORECAST_WORKERS_H

/// One iteration of a parallel job.
typedef void (*fw_task)(void *context, int index);

/// Runs task(context, i) for every i in [0, count) on the calling thread and up to
/// `threads - 1` pool threads, each claiming the next unclaimed index, and returns when all
/// iterations have finished. Iterations must not depend on which thread runs them.
/// If another job is running (another caller, or a nested call from inside a task) the
/// iterations run on the calling thread in order, so calls never block each other.
void fw_parallel_for(int count, int threads, fw_task task, void *context);

/// Pipeline progress: a store with release semantics ...
void fw_publish(int *counter, int value);
/// ... and a wait (acquire) until *counter >= value: spins, then yields the processor.
void fw_wait_at_least(const int *counter, int value);

/// Pool threads started so far (for diagnostics).
int fw_pool_threads(void);

#endif

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

/// One member of a team job: index in [0, team), team the number of members running at once.
typedef void (*fw_team_task)(void *context, int index, int team);

/// Runs task(context, i, team) for i in [0, team) on `team` distinct threads at the same time
/// (the caller and team - 1 pool threads), so members may wait for each other. team is
/// `threads` when the pool is free, else 1 (then task(context, 0, 1) runs alone on the
/// calling thread and must do all the work itself).
void fw_parallel_team(int threads, fw_team_task task, void *context);

/// Pipeline progress: a store with release semantics ...
void fw_publish(int *counter, int value);
/// ... and a wait (acquire) until *counter >= value: spins, then yields the processor.
void fw_wait_at_least(const int *counter, int value);

/// Pool threads started so far (for diagnostics).
int fw_pool_threads(void);

#endif

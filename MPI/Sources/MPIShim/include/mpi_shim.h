// The few MPI calls forecast-mpi needs, as plain functions over MPI_COMM_WORLD.
#ifndef FORECAST_MPI_SHIM_H
#define FORECAST_MPI_SHIM_H
int fmpi_init(int *argc, char ***argv);
int fmpi_rank(void);
int fmpi_size(void);
/// Broadcasts `count` floats (or doubles) from `root` to every rank; returns 0 on success.
int fmpi_bcast_floats(float *data, long count, int root);
int fmpi_bcast_doubles(double *data, long count, int root);
/// In-place bitwise OR of `bytes` bytes across every rank (MPI_Allreduce, MPI_BOR on MPI_BYTE).
int fmpi_allreduce_bor_bytes(void *data, long bytes);
void fmpi_barrier(void);
void fmpi_abort(int code);
void fmpi_finalize(void);
#endif

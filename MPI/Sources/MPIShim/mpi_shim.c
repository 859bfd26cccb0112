#include "mpi_shim.h"
#include <mpi.h>
#include <limits.h>

int fmpi_init(int *argc, char ***argv) {
    int ok = MPI_Init(argc, argv);
    // Errors abort the whole job (Open MPI prints which rank failed and why).
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    return ok;
}
int fmpi_rank(void) { int r = 0; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }
int fmpi_size(void) { int s = 1; MPI_Comm_size(MPI_COMM_WORLD, &s); return s; }

int fmpi_bcast_floats(float *data, long count, int root) {
    while (count > 0) {   // MPI counts are int: send large buffers in pieces
        int n = count > INT_MAX ? INT_MAX : (int)count;
        int rc = MPI_Bcast(data, n, MPI_FLOAT, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        data += n; count -= n;
    }
    return 0;
}
int fmpi_bcast_doubles(double *data, long count, int root) {
    return MPI_Bcast(data, (int)count, MPI_DOUBLE, root, MPI_COMM_WORLD);
}
int fmpi_allreduce_bor_bytes(void *data, long bytes) {
    unsigned char *p = (unsigned char *)data;
    while (bytes > 0) {
        int n = bytes > INT_MAX ? INT_MAX : (int)bytes;
        int rc = MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_BYTE, MPI_BOR, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        p += n; bytes -= n;
    }
    return 0;
}
void fmpi_barrier(void) { MPI_Barrier(MPI_COMM_WORLD); }
void fmpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
void fmpi_finalize(void) { MPI_Finalize(); }

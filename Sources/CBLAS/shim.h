// OpenBLAS through Debian's libopenblas-dev (pkg-config "openblas").
// cblas.h also declares openblas_get_corename, openblas_get_config and the thread controls.
#include <cblas.h>

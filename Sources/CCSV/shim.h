// libcsv (Debian's libcsv-dev): a small, fast, callback-based CSV parser.
#include <csv.h>

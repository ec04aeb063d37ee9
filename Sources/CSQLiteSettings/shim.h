#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call; these wrap the settings the replica
   makes. Each must run before SQLite initialises, that is before the first connection. */

/* Turns off SQLite's memory statistics: with them on, every allocation and free in every
   connection takes one process-wide mutex. */
static inline int pccc_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

// Umbrella header: the Debian sqlite3 library as seen from Swift.
#include <sqlite3.h>

// Umbrella header: the Debian yaml library as seen from Swift.
#include <yaml.h>

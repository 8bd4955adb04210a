// zlib, used for permessage-deflate (RFC 7692).
#include <zlib.h>

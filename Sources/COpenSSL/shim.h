// libcrypto, used for SHA-1 in the WebSocket handshake (RFC 6455 §4.2.2).
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

// Umbrella header: the Debian microhttpd library as seen from Swift.
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdarg.h>
#include <microhttpd.h>

// Non-variadic wrappers for the variadic parts of the API (Swift cannot call C variadic functions).

/// URI logger signature of MHD_OPTION_URI_LOG_CALLBACK.
typedef void *(*lanyard_mhd_uri_logger)(void *cls, const char *uri, struct MHD_Connection *connection);
/// Unescaper signature of MHD_OPTION_UNESCAPE_CALLBACK.
typedef size_t (*lanyard_mhd_unescaper)(void *cls, struct MHD_Connection *connection, char *s);

/// Starts a daemon with the options Lanyard uses; `listen_fd` < 0 means "no listen socket option".
static inline struct MHD_Daemon *
lanyard_mhd_start (unsigned int flags, int listen_fd, unsigned int pool_size, unsigned int connection_limit,
                   unsigned int timeout_seconds, size_t memory_limit,
                   MHD_AccessHandlerCallback handler, MHD_RequestCompletedCallback completed,
                   MHD_NotifyConnectionCallback notify, lanyard_mhd_uri_logger uri_logger,
                   lanyard_mhd_unescaper unescaper, void *cls)
{
  struct MHD_OptionItem ops[10];
  int n = 0;
  if (listen_fd >= 0)
    ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL };
  if (pool_size > 1)
    ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, pool_size, NULL };
  ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, connection_limit, NULL };
  ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds, NULL };
  ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t) memory_limit, NULL };
  ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) completed, cls };
  ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t) notify, cls };
  ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t) uri_logger, cls };
  ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t) unescaper, cls };
  ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
  return MHD_start_daemon (flags, 0, NULL, NULL, handler, cls, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
}

/// The client's address of a connection (NULL if unknown).
static inline const struct sockaddr *
lanyard_mhd_client_address (struct MHD_Connection *connection)
{
  const union MHD_ConnectionInfo *info =
    MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  return (NULL == info) ? NULL : info->client_addr;
}

/// The socket of a connection (-1 if unknown).
static inline int
lanyard_mhd_connection_fd (struct MHD_Connection *connection)
{
  const union MHD_ConnectionInfo *info =
    MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  return (NULL == info) ? -1 : info->connect_fd;
}

/// The socket context set by the MHD_OPTION_NOTIFY_CONNECTION callback (NULL if none).
static inline void *
lanyard_mhd_socket_context (struct MHD_Connection *connection)
{
  const union MHD_ConnectionInfo *info =
    MHD_get_connection_info (connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return (NULL == info) ? NULL : info->socket_context;
}

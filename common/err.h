/* err.h: the one list of error codes used across dcsfu.
 *
 * Functions return 0 on success or a negative DC_E* code from this list.
 * Parsers may also return a positive count of bytes consumed.  dc_strerror()
 * returns a static string for any code (unknown codes get "unknown error"). */
#ifndef DC_ERR_H
#define DC_ERR_H

#define DC_ERRORS(X)                                   \
    X(DC_ENOMEM, -1, "out of memory")                  \
    X(DC_EINVAL, -2, "invalid argument")               \
    X(DC_EAGAIN, -3, "need more data")                 \
    X(DC_EPROTO, -4, "protocol error")                 \
    X(DC_ETOOBIG, -5, "too large")                     \
    X(DC_ENOTFOUND, -6, "not found")                   \
    X(DC_EPERM, -7, "permission denied")               \
    X(DC_EEXIST, -8, "already exists")                 \
    X(DC_EIO, -9, "i/o error")                         \
    X(DC_ECONFIG, -10, "configuration error")          \
    X(DC_EAUTH, -11, "authentication failed")          \
    X(DC_ELIMIT, -12, "limit exceeded")                \
    X(DC_ECLOSED, -13, "closed")

enum dc_err {
#define DC_ERR_ENUM(name, val, msg) name = (val),
    DC_ERRORS(DC_ERR_ENUM)
#undef DC_ERR_ENUM
};

const char *dc_strerror(int code);

#endif

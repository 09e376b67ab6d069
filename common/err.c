#include "common/err.h"

const char *dc_strerror(int code)
{
    switch (code) {
    case 0:
        return "ok";
#define DC_ERR_CASE(name, val, msg) \
    case val:                       \
        return msg;
        DC_ERRORS(DC_ERR_CASE)
#undef DC_ERR_CASE
    default:
        return "unknown error";
    }
}

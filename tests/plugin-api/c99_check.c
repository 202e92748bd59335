/* Compiled with -std=c99 -pedantic -Werror: the ABI header is C99. */
#include <machi/plugin_api.h>

int machi_c99_check(void);
int machi_c99_check(void) {
  machi_negotiate_out out = {sizeof(machi_negotiate_out), MACHI_ABI_MAJOR, MACHI_ABI_MINOR, 0,
                             {0, 0}, {0, 0}, {0, 0}, 0};
  return (int)out.struct_size;
}

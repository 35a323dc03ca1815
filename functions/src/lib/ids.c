/*
 * ids.c - ID and request-string shapes (see ids.h).
 */
#include <string.h>

#include "lib/ids.h"

/* [A-Za-z0-9_-], tested directly: strspn with a 64-character set costs ~500 instructions an ID */
static int id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int ids_valid(const char *s)
{
    if (s == NULL)
        return 0;
    size_t n = 0;
    while (n <= IDS_MAX_LEN && id_char((unsigned char)s[n]))
        n++;
    if (n == 0 || n > IDS_MAX_LEN || s[n] != '\0')
        return 0;
    /* __name__ is reserved by Firestore: such a document cannot be addressed. */
    return !(n >= 4 && strncmp(s, "__", 2) == 0 && strcmp(s + n - 2, "__") == 0);
}

int ids_valid_step(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > IDS_STEP_MAX_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

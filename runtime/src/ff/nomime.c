/*
 * nomime.c - takes h2o's MIME type table off the start-up path.
 *
 * libh2o 2.2's h2o_config_init builds a table of 109 MIME types, each definition
 * rebuilding an index of all the others: 2.6 M instructions, about 0.3 ms of every cold
 * start (callgrind: 17 % of exec -> first response). The runtime serves no files and
 * never looks a type up by extension, so this definition takes the place of the
 * library's (ELF symbol interposition: libh2o calls it through its PLT) and defines
 * nothing. The map keeps its default type, application/octet-stream; responses get
 * h2o's "as is" MIME attributes (no compression, default HTTP/2 priority), which is what
 * the runtime wants for the bodies its handlers build. Should a future libh2o bind the
 * call internally, the only effect is that the 0.3 ms come back.
 */
#include <h2o.h>

void h2o_mimemap_define_mimetype(h2o_mimemap_t *mimemap, const char *ext, const char *mime,
                                 h2o_mime_attributes_t *attr)
{
    (void)mimemap;
    (void)ext;
    (void)mime;
    (void)attr;
}

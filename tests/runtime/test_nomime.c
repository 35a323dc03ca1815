/*
 * test_nomime.c - h2o's MIME table stays empty (runtime/src/ff/nomime.c): the
 * runtime's definition of h2o_mimemap_define_mimetype takes the place of libh2o's, so
 * h2o_config_init does not spend 0.3 ms of every cold start building it.
 */
#include <criterion/criterion.h>
#include <h2o.h>

Test(nomime, config_init_defines_no_types)
{
    h2o_globalconf_t conf;
    h2o_config_init(&conf);
    h2o_mimemap_type_t *dflt = h2o_mimemap_get_default_type(conf.mimemap);
    cr_assert_not_null(dflt);
    cr_expect_eq(h2o_mimemap_get_type_by_extension(conf.mimemap, h2o_iovec_init(H2O_STRLIT("html"))), dflt,
                 "libh2o's MIME table was built: the interposition of h2o_mimemap_define_mimetype is lost");
    h2o_config_dispose(&conf);
}

/*
 * test_curl_load.c - libcurl is loaded at the first outbound call (gcp_curl.h): found
 * and complete, missing, or a library that is not libcurl. Each failure is a transport
 * error that names the library, never a crash at the first request.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../runtime/src/gcp/gcp_curl.h"
#include "gcp/http.h"

TestSuite(curl_load);

Test(curl_load, libcurl_loads_with_every_function)
{
    gcp_curl_api api = {0};
    ff_error err = {0};
    cr_assert_eq(gcp_curl_open(GCP_LIBCURL_SONAME, &api, &err), 0, "%s", err.message);
    CURL *h = api.easy_init();
    cr_assert_not_null(h);
    cr_expect_eq(api.easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
    cr_expect_str_eq(api.easy_strerror(CURLE_OK), "No error");
    api.easy_cleanup(h);
    cr_expect_eq(gcp_http_init(&err), 0, "%s", err.message);
}

Test(curl_load, a_missing_library_is_a_transport_error_naming_it)
{
    gcp_curl_api api = {0};
    ff_error err = {0};
    cr_assert_eq(gcp_curl_open("libgcp-no-such-library.so.0", &api, &err), GCP_HTTP_ERR_TRANSPORT);
    cr_expect_eq(err.code, GCP_HTTP_ERR_TRANSPORT);
    cr_expect_not_null(strstr(err.message, "cannot load libgcp-no-such-library.so.0"), "%s", err.message);
}

Test(curl_load, a_library_without_curl_functions_is_refused)
{
    gcp_curl_api api = {0};
    ff_error err = {0};
    cr_assert_eq(gcp_curl_open("libjansson.so.4", &api, &err), GCP_HTTP_ERR_TRANSPORT);
    cr_expect_not_null(strstr(err.message, "libjansson.so.4 has no curl_global_init"), "%s", err.message);
}
